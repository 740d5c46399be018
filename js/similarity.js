import { checkVector } from './validate.js';

/**
 * Cosine similarity of two equal-length vectors (computed in double precision). Zero vectors give 0.
 * Each is a Float32Array, a Float64Array or an array of finite numbers (validate.js checkVector).
 * @param {Float32Array | Float64Array | number[]} a
 * @param {Float32Array | Float64Array | number[]} b
 */
export function similarity(a, b) {
  checkVector(a, 'a');
  checkVector(b, 'b');
  if (a.length !== b.length) {
    throw new RangeError(`similarity(a, b): vectors differ in length (${a.length} vs ${b.length})`);
  }
  // Each vector is scaled by its largest magnitude first, so squares of finite values (up to 1e308) cannot
  // overflow; the result is clamped to [-1, 1] against rounding.
  const sa = maxAbs(a);
  const sb = maxAbs(b);
  if (sa === 0 || sb === 0) return 0;
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] / sa;
    const y = b[i] / sb;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return Math.max(-1, Math.min(1, dot / Math.sqrt(na * nb)));
}

function maxAbs(v) {
  let m = 0;
  for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i]));
  return m;
}

/** In-place L2 normalisation; returns the same array. */
export function normalize(v) {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += v[i] * v[i];
  if (n > 0) {
    const s = 1 / Math.sqrt(n);
    for (let i = 0; i < v.length; i++) v[i] *= s;
  }
  return v;
}
