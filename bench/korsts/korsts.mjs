// KorSTS evaluation as the model card reports it: cosine Pearson / Spearman × 100 between embedding similarity
// and the gold score of ../shared/data/kor-nlu/sts-test.tsv (1,379 pairs), computed the way
// sentence-transformers' EmbeddingSimilarityEvaluator does.
//   node bench/korsts/korsts.mjs MODEL_DIR [--dtype int8|fp32] [--limit N]
import path from 'node:path';
import { load, similarity } from '../../js/index.js';
import { readTsvColumns, SHARED } from '../tokenizer/corpus.mjs';
import { pearson, spearman } from './stats.mjs';

const [dir] = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'));
if (!dir) {
  console.error('usage: node bench/korsts/korsts.mjs MODEL_DIR [--dtype int8|fp32] [--limit N]');
  process.exit(1);
}
const option = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const dtype = option('--dtype', 'int8');
const limit = Number(option('--limit', Infinity));

const rows = readTsvColumns(path.join(SHARED, 'data/kor-nlu/sts-test.tsv'), ['score', 'sentence1', 'sentence2']).slice(0, limit);
const model = await load(dir, { dtype });
const t0 = performance.now();
// All sentences in one encode(array): short ones share encoder passes (same vectors as one by one).
const vectors = await model.encode(rows.flatMap(([, a, b]) => [a, b]));
const cosines = rows.map((_, i) => similarity(vectors[2 * i], vectors[2 * i + 1]));
const seconds = (performance.now() - t0) / 1e3;
const gold = rows.map(([score]) => Number(score));
console.log(`KorSTS test: ${rows.length} pairs, ${dir} (${dtype}), ${seconds.toFixed(1)} s`);
console.log(`cosine Pearson  ${(100 * pearson(cosines, gold)).toFixed(2)}`);
console.log(`cosine Spearman ${(100 * spearman(cosines, gold)).toFixed(2)}`);
model.dispose();
