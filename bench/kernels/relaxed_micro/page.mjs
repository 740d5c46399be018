// In-page half of run.mjs: the SIMD128 module (Emscripten) and the relaxed candidates (clang-19) on the same
// operands; every candidate's y is compared byte for byte with the scalar twin's before timing.
import createSimdModule from '/out/simd_module.mjs';

const simd = await createSimdModule({ locateFile: (f) => `/out/${f}` });
const { instance } = await WebAssembly.instantiateStreaming(fetch('/out/relaxed_candidates.wasm'), {});
const rx = instance.exports;

let seed = 0x1234567;
const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) >>> 8) / (1 << 24);
const q8 = () => {
  const u = rand();
  return u < 0.05 ? 127 : u < 0.1 ? -127 : Math.round(rand() * 254) - 127;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

// A bump allocator over the relaxed module's own memory.
let rxTop = 0;
const rxAlloc = (bytes) => {
  const at = (rxTop + 15) & ~15;
  rxTop = at + bytes;
  if (rxTop > rx.memory.buffer.byteLength) rx.memory.grow(Math.ceil((rxTop - rx.memory.buffer.byteLength) / 65536));
  return at;
};

function setup(m, n, k) {
  const nPad = Math.ceil(n / 4) * 4, kPad = Math.ceil(k / 8) * 8;
  const xq = Int8Array.from({ length: m * k }, q8);
  // Row 0 all +127 and row 1 all -127 where there are rows: the extremes.
  if (m > 2) { xq.fill(127, 0, k); xq.fill(-127, k, 2 * k); }
  const xs = Float32Array.from({ length: m }, () => 0.001 + rand() * 0.05);
  // Packed nr4kr8: block b (4 channels) step s: channel c's 8 values at b*4*kPad + s*32 + c*8.
  const packed = new Int8Array(nPad * kPad);
  for (let c = 0; c < n; c++)
    for (let j = 0; j < k; j++) packed[(c >> 2) * 4 * kPad + (j >> 3) * 32 + (c & 3) * 8 + (j & 7)] = c === 0 ? 127 : c === 1 ? -127 : q8();
  const scales = Float32Array.from({ length: nPad }, (_, c) => (c < n ? 0.001 + rand() * 0.02 : 0));
  const bias = Float32Array.from({ length: nPad }, (_, c) => (c < n ? rand() - 0.5 : 0));
  // SIMD128 module copies.
  const H = () => simd.HEAPU8;
  const put = (arr) => {
    const p = simd._kf_alloc(arr.byteLength);
    H().set(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength), p);
    return p;
  };
  const s = { xq: put(xq), xs: put(xs), packed: put(packed), scales: put(scales), bias: put(bias),
    y: simd._kf_alloc(m * n * 4), yRef: simd._kf_alloc(m * n * 4) };
  simd._prepare(m, k);
  // Relaxed module copies.
  rxTop = rx.heap_base();
  const rput = (arr) => {
    const p = rxAlloc(arr.byteLength);
    new Uint8Array(rx.memory.buffer).set(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength), p);
    return p;
  };
  const r = { xq: rput(xq), xs: rput(xs), packed: rput(packed), scales: rput(scales), bias: rput(bias) };
  r.split7 = rxAlloc(2 * nPad * kPad);
  r.splitBr = rxAlloc(2 * nPad * kPad);
  r.splitNib = rxAlloc(2 * nPad * kPad);
  r.wsum = rxAlloc(4 * nPad);
  r.sums = rxAlloc(4 * m);
  r.y = rxAlloc(4 * m * n);
  rx.split_i7pair(r.packed, nPad * kPad, r.split7);
  rx.split_i16br(r.packed, nPad * kPad, r.splitBr);
  rx.split_nib(r.packed, nPad * kPad, r.splitNib);
  rx.weight_sums(r.packed, nPad, kPad, r.wsum);
  const free = () => Object.entries(s).forEach(([, p]) => simd._kf_free(p));
  return { s, r, kPad, free };
}

export function runShapes({ shapes, rounds, minMs }) {
  const probe = rx.probe(rxAlloc(64));
  const out = { probe, rows: [] };
  for (const [m, n, k] of shapes) {
    const { s, r, kPad, free } = setup(m, n, k);
    let path = -1;
    const variants = {
      simd128: () => { path = simd._gemm_simd(s.xq, s.xs, m, n, k, s.packed, s.scales, s.bias, s.y); },
      i7pair: () => rx.gemm_i7pair(r.xq, r.xs, m, n, k, kPad, r.split7, r.scales, r.bias, r.sums, r.y),
      i16br: () => rx.gemm_i16br(r.xq, r.xs, m, n, k, kPad, r.splitBr, r.scales, r.bias, r.sums, r.y),
      nib1: () => rx.gemm_nib1(r.xq, r.xs, m, n, k, kPad, r.splitNib, r.scales, r.bias, r.sums, r.y),
      nib2: () => rx.gemm_nib2(r.xq, r.xs, m, n, k, kPad, r.splitNib, r.scales, r.bias, r.sums, r.y),
      u8s8: () => rx.gemm_u8s8(r.xq, r.xs, m, n, k, kPad, r.packed, r.scales, r.bias, r.wsum, r.y),
    };
    // Byte identity to the scalar twin.
    simd._gemm_scalar(s.xq, s.xs, m, n, k, s.packed, s.scales, s.bias, s.yRef);
    const ref = new Uint8Array(simd.HEAPU8.buffer, s.yRef, m * n * 4).slice();
    const identical = {};
    for (const [name, f] of Object.entries(variants)) {
      f();
      const got = name === 'simd128' ? new Uint8Array(simd.HEAPU8.buffer, s.y, m * n * 4)
        : new Uint8Array(rx.memory.buffer, r.y, m * n * 4);
      let same = true;
      for (let i = 0; i < ref.length && same; i++) same = got[i] === ref[i];
      identical[name] = same;
    }
    // Interleaved rounds: each variant runs a batch of `reps` calls (sized once to >= minMs) per round.
    const reps = {};
    for (const [name, f] of Object.entries(variants)) {
      let n1 = 1;
      for (;;) {
        const t0 = performance.now();
        for (let i = 0; i < n1; i++) f();
        if (performance.now() - t0 >= minMs) break;
        n1 *= 2;
      }
      reps[name] = n1;
    }
    const samples = Object.fromEntries(Object.keys(variants).map((v) => [v, []]));
    for (let round = 0; round < rounds; round++)
      for (const [name, f] of Object.entries(variants)) {
        const t0 = performance.now();
        for (let i = 0; i < reps[name]; i++) f();
        samples[name].push((performance.now() - t0) / reps[name]);
      }
    out.rows.push({ m, n, k, path: ['plain', 'panel', 'strassen'][path], identical,
      ms: Object.fromEntries(Object.entries(samples).map(([v, xs]) => [v, median(xs)])) });
    free();
  }
  return out;
}

window.runShapes = runShapes;
window.microReady = true;
