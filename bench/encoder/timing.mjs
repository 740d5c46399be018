// Timing helpers shared by the encoder benches (Node and the in-page half of the Chromium one).
export const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

export async function timeAsync(fn) {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** A text that tokenizes to exactly `length` ids: a one-piece word repeated. */
export function textOfLength(model, length) {
  for (const word of ['있다', '한', '남자가', '그', '수']) {
    if (model.tokenize(word).length !== 3) continue;
    const text = Array(length - 2).fill(word).join(' ');
    if (model.tokenize(text).length === length) return text;
  }
  throw new Error(`no single-token word found for L=${length}`);
}
