// In-page half of bench/encoder/threads.mjs (a cross-origin-isolated page): latency of kfembed and of
// onnxruntime-web at the same thread count on the same token ids, interleaved rounds, medians; and KorSTS
// throughput (encode(array) of real sentences).
import * as kfembed from '/js/index.js';
import * as ort from '/ort/ort.wasm.min.mjs';
import { median, textOfLength, timeAsync as time } from '/bench/timing.mjs';

async function ortSession(onnx, threads) {
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.wasmPaths = '/ort/';
  return ort.InferenceSession.create(onnx, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
}

// Latency rows: for each L, kfembed at each thread count and (with `onnx`) ORT-web at the same counts.
window.benchThreads = async ({ model, onnx, lengths, rounds, threads, sentences }) => {
  const models = {};
  for (const n of threads) models[n] = await kfembed.load(model, { cache: false, maxSeqLength: 512, threads: n });
  const reported = Object.fromEntries(threads.map((n) => [n, models[n].threads]));
  // ORT-web fixes its thread count at its first session: one count per page (the caller opens a page each).
  const session = onnx ? await ortSession(onnx, threads[threads.length - 1]) : null;
  const rows = [];
  for (const L of lengths) {
    const text = textOfLength(models[threads[0]], L);
    const ids = models[threads[0]].tokenize(text);
    const runners = {};
    for (const n of threads) runners[`kf${n}`] = () => models[n].encode(text);
    if (session) {
      const feeds = {
        input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, L]),
        attention_mask: new ort.Tensor('int64', new BigInt64Array(L).fill(1n), [1, L]),
      };
      runners.ort = () => session.run(feeds);
    }
    const samples = Object.fromEntries(Object.keys(runners).map((k) => [k, []]));
    for (const fn of Object.values(runners)) for (let i = 0; i < 3; i++) await fn();
    // A pause before each timed call, outside the timing: the previous runner's threads (both runtimes spin a
    // while after a call before they sleep) must not take the cores from the next one on a 2-core machine.
    for (let r = 0; r < rounds; r++) {
      for (const [k, fn] of Object.entries(runners)) {
        await new Promise((resolve) => setTimeout(resolve, 40));
        samples[k].push(await time(fn));
      }
    }
    rows.push({ L, ...Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)])) });
  }
  const throughput = {};
  if (sentences?.length) {
    for (const n of threads) {
      await models[n].encode(sentences.slice(0, 16));
      throughput[n] = sentences.length / ((await time(() => models[n].encode(sentences))) / 1000);
    }
  }
  for (const m of Object.values(models)) m.dispose();
  await session?.release();
  const backend = models[threads[0]].backend;
  return { isolated: window.crossOriginIsolated, reported, backend, rows, throughput };
};
window.benchReady = true;
