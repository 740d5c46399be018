// Encoder latency: kfembed (WASM SIMD128, one thread) vs onnxruntime-web 1.30 (wasm backend, numThreads 1) on
// the same base2 weights (../shared/reference/base2-onnx/onnx/model_quantized.onnx), in one Node process,
// interleaved rounds, medians. Then throughput on KorSTS test sentences: kfembed encode(array) (packed
// passes) and one sentence per call vs onnxruntime-web on padded batches of 16. Then, for the full-size model
// (make_model.py full: 12 layers, 130k vocabulary), package bytes, load time, peak WASM memory, encode
// latency at L = 32 and 128, and encode(array) throughput; and the peak memory of quantizing it at load.
//   node bench/encoder/bench.mjs [--dtype int8|fp32] [--rounds N] [--skip-full] [--embeddings int8|int4]
// The full int8 package is made once with kfembed-convert ($KFEMBED_CONVERT, else build/native's).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-web';
import { load } from '../../js/index.js';
import { median, textOfLength, timeAsync } from './timing.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const REF = path.resolve(ROOT, '../shared/reference');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const dtype = arg('--dtype', 'int8');
const rounds = Number(arg('--rounds', 15));
const embeddings = arg('--embeddings', 'int8');
const LENGTHS = [16, 32, 64, 128];

function referenceModel(preset) {
  const dir = path.join(os.tmpdir(), `kfembed-ref-${preset}`);
  if (!fs.existsSync(path.join(dir, 'model.safetensors'))) {
    execFileSync('/usr/bin/python3', [path.join(REF, 'make_model.py'), preset, dir], { stdio: 'inherit' });
  }
  return dir;
}


// --- base2: kfembed vs onnxruntime-web -------------------------------------------------------------------
const base2 = referenceModel('base2');
const ours = await load(base2, { dtype, maxSeqLength: 512 });
ort.env.wasm.numThreads = 1;
const session = await ort.InferenceSession.create(fs.readFileSync(path.join(REF, 'base2-onnx/onnx/model_quantized.onnx')),
  { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });

console.log(`base2 (2 layers, 768 hidden, 12 heads, 3072 FFN), kfembed dtype ${dtype}, ${rounds} interleaved rounds, 1 thread`);
console.log('   L   kfembed ms   ort-web ms   ratio');
const ratios = {};
for (const L of LENGTHS) {
  const text = textOfLength(ours, L);
  const ids = ours.tokenize(text);
  const feeds = {
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, L]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(L).fill(1n), [1, L]),
  };
  const runners = { kfembed: () => ours.encode(text), ort: () => session.run(feeds) };
  const samples = { kfembed: [], ort: [] };
  for (const fn of Object.values(runners)) for (let i = 0; i < 3; i++) await fn(); // warm-up
  for (let r = 0; r < rounds; r++) for (const [k, fn] of Object.entries(runners)) samples[k].push(await timeAsync(fn));
  const a = median(samples.kfembed);
  const b = median(samples.ort);
  ratios[L] = a / b;
  console.log(`${String(L).padStart(4)} ${a.toFixed(2).padStart(12)} ${b.toFixed(2).padStart(12)} ${(a / b).toFixed(3).padStart(7)}`);
}
// --- throughput: many short sentences ---------------------------------------------------------------------
const sentences = fs.readFileSync(path.resolve(ROOT, '../shared/data/kor-nlu/sts-test.tsv'), 'utf8')
  .split('\n').slice(1).flatMap((line) => line.split('\t').slice(5, 7)).filter(Boolean);
const corpus = sentences.slice(0, 256);
const meanTokens = corpus.reduce((n, t) => n + ours.tokenize(t).length, 0) / corpus.length;
const ORT_BATCH = 16;
async function ortBatches() {
  for (let i = 0; i < corpus.length; i += ORT_BATCH) {
    const batch = corpus.slice(i, i + ORT_BATCH).map((t) => ours.tokenize(t));
    const width = Math.max(...batch.map((ids) => ids.length));
    const ids = new BigInt64Array(batch.length * width);
    const mask = new BigInt64Array(batch.length * width);
    batch.forEach((row, r) => row.forEach((id, c) => { ids[r * width + c] = BigInt(id); mask[r * width + c] = 1n; }));
    await session.run({
      input_ids: new ort.Tensor('int64', ids, [batch.length, width]),
      attention_mask: new ort.Tensor('int64', mask, [batch.length, width]),
    });
  }
}
const throughput = { packed: () => ours.encode(corpus), single: async () => { for (const t of corpus) await ours.encode(t); }, ort: ortBatches };
const tp = { packed: [], single: [], ort: [] };
for (const fn of Object.values(throughput)) await fn(); // warm-up
for (let r = 0; r < Math.max(3, rounds >> 2); r++) for (const [k, fn] of Object.entries(throughput)) tp[k].push(await timeAsync(fn));
const rate = (k) => corpus.length / median(tp[k]) * 1e3;
console.log(`throughput, ${corpus.length} KorSTS sentences (mean ${meanTokens.toFixed(1)} tokens): kfembed encode(array) ` +
  `${rate('packed').toFixed(1)} sent/s, one per call ${rate('single').toFixed(1)} sent/s, ort-web batches of ${ORT_BATCH} ` +
  `${rate('ort').toFixed(1)} sent/s → ${(rate('packed') / rate('ort')).toFixed(2)}× ort-web`);
ours.dispose();
await session.release();

// --- full-size model -------------------------------------------------------------------------------------
if (!process.argv.includes('--skip-full')) {
  const full = referenceModel('full');
  let dir = full;
  if (dtype === 'int8') {
    dir = path.join(os.tmpdir(), `kfembed-ref-full-${embeddings}`);
    const convert = process.env.KFEMBED_CONVERT ?? path.join(ROOT, 'build/native/src/tools/kfembed-convert');
    if (!fs.existsSync(path.join(dir, 'manifest.json'))) {
      execFileSync(convert, [full, dir, '--embeddings', embeddings], { stdio: 'inherit' });
    }
  }
  const packageBytes = fs.readdirSync(dir, { recursive: true })
    .map((f) => path.join(dir, f)).filter((f) => fs.statSync(f).isFile())
    .reduce((n, f) => n + fs.statSync(f).size, 0);
  const t0 = performance.now();
  const model = await load(dir, { dtype });
  const loadMs = performance.now() - t0;
  const latency = {};
  for (const L of [32, 128]) {
    const text = textOfLength(model, L);
    for (let i = 0; i < 2; i++) await model.encode(text);
    const samples = [];
    for (let r = 0; r < Math.max(5, rounds >> 1); r++) samples.push(await timeAsync(() => model.encode(text)));
    latency[L] = median(samples);
  }
  const few = corpus.slice(0, 64);
  const fullTp = { packed: [], single: [] };
  for (let r = 0; r < 3; r++) {
    fullTp.packed.push(await timeAsync(() => model.encode(few)));
    fullTp.single.push(await timeAsync(async () => { for (const t of few) await model.encode(t); }));
  }
  const fullRate = (k) => few.length / median(fullTp[k]) * 1e3;
  const peak = model.wasmMemoryBytes;
  console.log(`full model (12 layers, 130k vocab), ${dtype}${dtype === 'int8' ? ` (${embeddings} embeddings)` : ''}: package ${(packageBytes / 1e6).toFixed(1)} MB, ` +
    `load ${(loadMs / 1e3).toFixed(2)} s, peak WASM memory ${(peak / 1e6).toFixed(1)} MB ` +
    `(${(peak / packageBytes).toFixed(2)}× package), encode L=32 ${latency[32].toFixed(1)} ms, L=128 ${latency[128].toFixed(1)} ms, ` +
    `64 KorSTS sentences: encode(array) ${fullRate('packed').toFixed(1)} sent/s, one per call ${fullRate('single').toFixed(1)} sent/s`);
  model.dispose();
  if (dtype === 'int8') {
    // First load from a float (Hugging Face) layout: quantized at load; WASM memory never shrinks, so its
    // peak stays with the model until it is disposed (later loads from the cached package are small).
    const t1 = performance.now();
    const fromFloat = await load(full, { dtype, cache: false });
    console.log(`full model quantized at load from the float layout (${(fs.statSync(path.join(full, 'model.safetensors')).size / 1e6).toFixed(1)} MB): ` +
      `load ${((performance.now() - t1) / 1e3).toFixed(2)} s, peak WASM memory ${(fromFloat.wasmMemoryBytes / 1e6).toFixed(1)} MB`);
    fromFloat.dispose();
  }
}
