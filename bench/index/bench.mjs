// SemanticIndex search latency: N random normalised vectors of DIM values (default 100k × 768), median time
// per query for the WASM SIMD index (f32 and int8) and for a plain-JavaScript brute force over the same
// Float32Array in the same run. Build first (npm run build:wasm), then:
//   node bench/index/bench.mjs [--n 100000] [--dim 768] [--queries 50] [--k 10]
import { performance } from 'node:perf_hooks';
import { SemanticIndex } from '../../js/semantic_index.js';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const N = arg('n', 100_000);
const DIM = arg('dim', 768);
const QUERIES = arg('queries', 50);
const K = arg('k', 10);

// Deterministic xorshift32 data, each vector L2-normalised.
let seed = 12345;
const rand = () => {
  seed ^= seed << 13; seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5; seed >>>= 0;
  return seed / 2 ** 32 - 0.5;
};
function normalizedRows(count) {
  const flat = new Float32Array(count * DIM);
  for (let r = 0; r < count; r++) {
    let n = 0;
    for (let j = 0; j < DIM; j++) {
      const x = rand();
      flat[r * DIM + j] = x;
      n += x * x;
    }
    const s = 1 / Math.sqrt(n);
    for (let j = 0; j < DIM; j++) flat[r * DIM + j] *= s;
  }
  return flat;
}

/** The baseline a developer would write: one loop of dot products over a flat Float32Array + a top-k list. */
function jsSearch(flat, count, query, k) {
  const topScores = new Float64Array(k).fill(-Infinity);
  const topRows = new Int32Array(k).fill(-1);
  for (let r = 0; r < count; r++) {
    let dot = 0;
    const base = r * DIM;
    for (let j = 0; j < DIM; j++) dot += flat[base + j] * query[j];
    if (dot > topScores[k - 1]) {
      let i = k - 1;
      while (i > 0 && topScores[i - 1] < dot) {
        topScores[i] = topScores[i - 1];
        topRows[i] = topRows[i - 1];
        i--;
      }
      topScores[i] = dot;
      topRows[i] = r;
    }
  }
  return topRows;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
async function time(fn, queries) {
  for (let i = 0; i < 3; i++) await fn(queries[i % queries.length]); // warm-up
  const ms = [];
  for (const q of queries) {
    const t0 = performance.now();
    await fn(q);
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

console.log(`SemanticIndex search: ${N} × ${DIM} random normalised vectors, k=${K}, median of ${QUERIES} queries, ` +
  `Node ${process.versions.node}, one thread`);
let t0 = performance.now();
const flat = normalizedRows(N);
const queryFlat = normalizedRows(QUERIES);
const queries = Array.from({ length: QUERIES }, (_, i) => queryFlat.subarray(i * DIM, (i + 1) * DIM));
const rows = Array.from({ length: N }, (_, i) => flat.subarray(i * DIM, (i + 1) * DIM));
console.log(`data generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

const results = {};
for (const int8 of [false, true]) {
  const index = new SemanticIndex({ int8 });
  t0 = performance.now();
  await index.add(rows);
  const addMs = performance.now() - t0;
  const bytes = index.toBytes().length;
  const wasm = await time((q) => index.search(q, K), queries);
  // Agreement with the JS baseline on the first query (f32: identical top-k; int8: top-1).
  const ref = Array.from(jsSearch(flat, N, queries[0], K));
  const got = (await index.search(queries[0], K)).map((h) => h.id);
  const agree = int8 ? got[0] === ref[0] : got.every((id, i) => id === ref[i]);
  results[int8 ? 'int8' : 'f32'] = wasm;
  console.log(`WASM SIMD ${int8 ? 'int8' : 'f32 '}: ${wasm.toFixed(2)} ms/query  (add ${(addMs / 1000).toFixed(2)} s, ` +
    `toBytes ${(bytes / 2 ** 20).toFixed(0)} MiB, top-k ${agree ? 'matches' : 'DIFFERS FROM'} the JS baseline)`);
  index.dispose();
}
const js = await time((q) => jsSearch(flat, N, q, K), queries.slice(0, Math.min(QUERIES, 20)));
console.log(`JS brute force (Float32Array loop): ${js.toFixed(2)} ms/query`);
console.log(`speed-up vs JS: f32 ${(js / results.f32).toFixed(1)}×, int8 ${(js / results.int8).toFixed(1)}×`);
