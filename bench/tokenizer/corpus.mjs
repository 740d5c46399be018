// Korean sentences for benchmarks: every sentence of KorSTS (train/dev/test) and KorNLI XNLI (dev/test).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const SHARED = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared');
const KOR_NLU = path.join(SHARED, 'data/kor-nlu');

/** Reads the named columns of a TSV with a header row (fields never contain tabs). */
export function readTsvColumns(file, columns) {
  const [header, ...rows] = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
  const names = header.split('\t');
  const at = columns.map((c) => names.indexOf(c));
  return rows.map((r) => { const f = r.split('\t'); return at.map((i) => f[i] ?? ''); });
}

export function korNluSentences() {
  const out = [];
  for (const f of ['sts-train.tsv', 'sts-dev.tsv', 'sts-test.tsv', 'xnli.dev.ko.tsv', 'xnli.test.ko.tsv']) {
    for (const [a, b] of readTsvColumns(path.join(KOR_NLU, f), ['sentence1', 'sentence2'])) out.push(a, b);
  }
  return out;
}
