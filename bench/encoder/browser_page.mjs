// In-page half of bench/encoder/browser.mjs: latency of kfembed with relaxed SIMD, kfembed with SIMD128
// (relaxedSimd: false) and onnxruntime-web (wasm, 1 thread) on the same token ids, interleaved rounds.
import * as kfembed from '/js/index.js';
import * as ort from '/ort/ort.wasm.min.mjs';
import { median, textOfLength, timeAsync as time } from '/bench/timing.mjs';



window.benchBase2 = async ({ model, onnx, lengths, rounds }) => {
  const relaxed = await kfembed.load(model, { cache: false, maxSeqLength: 512 });
  const simd128 = await kfembed.load(model, { cache: false, maxSeqLength: 512, relaxedSimd: false });
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.wasmPaths = '/ort/';
  const session = await ort.InferenceSession.create(onnx, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const rows = [];
  for (const L of lengths) {
    const text = textOfLength(relaxed, L);
    const ids = relaxed.tokenize(text);
    const feeds = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, L]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(L).fill(1n), [1, L]),
    };
    const runners = { relaxed: () => relaxed.encode(text), simd128: () => simd128.encode(text), ort: () => session.run(feeds) };
    const samples = { relaxed: [], simd128: [], ort: [] };
    for (const fn of Object.values(runners)) for (let i = 0; i < 3; i++) await fn();
    for (let r = 0; r < rounds; r++) for (const [k, fn] of Object.entries(runners)) samples[k].push(await time(fn));
    rows.push({ L, ids: Array.from(ids), relaxed: median(samples.relaxed), simd128: median(samples.simd128), ort: median(samples.ort) });
  }
  const backends = [relaxed.backend, simd128.backend];
  relaxed.dispose();
  simd128.dispose();
  await session.release();
  return { backends, rows };
};

window.benchFull = async ({ model, lengths, rounds }) => {
  const out = { rows: [] };
  for (const relaxedSimd of [true, false]) {
    const m = await kfembed.load(model, { cache: false, relaxedSimd });
    for (const L of lengths) {
      const text = textOfLength(m, L);
      for (let i = 0; i < 2; i++) await m.encode(text);
      const samples = [];
      for (let r = 0; r < rounds; r++) samples.push(await time(() => m.encode(text)));
      out.rows.push({ backend: m.backend, L, ms: median(samples) });
    }
    m.dispose();
  }
  return out;
};
window.benchReady = true;
