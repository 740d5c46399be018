// The statistics of sentence-transformers' EmbeddingSimilarityEvaluator: Pearson and Spearman correlation
// between cosine similarity and the gold score (Spearman = Pearson of ranks, ties given their average rank,
// as scipy.stats.spearmanr does).

export function pearson(x, y) {
  if (x.length !== y.length || x.length < 2) throw new RangeError('pearson: need two equal-length series of ≥ 2 values');
  const n = x.length;
  let mx = 0, my = 0;
  for (let i = 0; i < n; i++) { mx += x[i]; my += y[i]; }
  mx /= n; my /= n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx, dy = y[i] - my;
    sxy += dx * dy; sxx += dx * dx; syy += dy * dy;
  }
  return sxx === 0 || syy === 0 ? NaN : sxy / Math.sqrt(sxx * syy);
}

/** 1-based ranks; tied values share the mean of the ranks they span. */
export function averageRanks(values) {
  const order = values.map((v, i) => i).sort((a, b) => values[a] - values[b]);
  const ranks = new Array(values.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && values[order[j + 1]] === values[order[i]]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]] = rank;
    i = j + 1;
  }
  return ranks;
}

export function spearman(x, y) {
  return pearson(averageRanks(x), averageRanks(y));
}
