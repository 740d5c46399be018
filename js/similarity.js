/**
 * Cosine similarity of two equal-length vectors (computed in double precision). Zero vectors give 0.
 * @param {ArrayLike<number>} a
 * @param {ArrayLike<number>} b
 */
export function similarity(a, b) {
  if (!a || typeof a.length !== 'number') throw new TypeError('similarity(a, b): a must be an array of numbers');
  if (!b || typeof b.length !== 'number') throw new TypeError('similarity(a, b): b must be an array of numbers');
  if (a.length !== b.length) {
    throw new RangeError(`similarity(a, b): vectors differ in length (${a.length} vs ${b.length})`);
  }
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
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
