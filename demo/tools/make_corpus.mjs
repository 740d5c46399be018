// Builds demo/assets/korsts.json: up to 3,000 distinct Korean sentences from KorSTS (kakaobrain KorNLUDatasets,
// CC BY-SA 4.0, in ../shared/data/kor-nlu), a deterministic sample balanced over its genres (captions, news,
// forum). Run from the project root: node demo/tools/make_corpus.mjs [--max 3000]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DATA = path.resolve(ROOT, '../shared/data/kor-nlu');
const i = process.argv.indexOf('--max');
const MAX = i > 0 ? Number(process.argv[i + 1]) : 3000;

const byGenre = new Map();
const seen = new Set();
for (const file of ['sts-train.tsv', 'sts-dev.tsv', 'sts-test.tsv']) {
  const lines = fs.readFileSync(path.join(DATA, file), 'utf8').split('\n').slice(1);
  for (const line of lines) {
    const cols = line.split('\t');
    if (cols.length < 7) continue;
    const genre = cols[0].replace(/^main-/, '').replace(/^forums$/, 'forum'); // main-forum(s): one genre
    for (const raw of [cols[5], cols[6]]) {
      const s = raw.normalize('NFC').replace(/\s+/g, ' ').trim();
      // Korean sentences of a readable length only.
      if (s.length < 8 || s.length > 120 || !/[가-힣]/.test(s) || seen.has(s)) continue;
      seen.add(s);
      if (!byGenre.has(genre)) byGenre.set(genre, []);
      byGenre.get(genre).push(s);
    }
  }
}

// Deterministic shuffle (xorshift32) per genre, then round-robin so every prefix mixes the genres.
let state = 20240611;
const rand = () => {
  state ^= state << 13; state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5; state >>>= 0;
  return state / 2 ** 32;
};
const pools = [...byGenre.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([genre, list]) => {
  for (let j = list.length - 1; j > 0; j--) {
    const k = Math.floor(rand() * (j + 1));
    [list[j], list[k]] = [list[k], list[j]];
  }
  return { genre, list };
});
// Genre weights: captions and news dominate KorSTS; keep forum lines too.
const weights = { captions: 4, news: 4, forum: 2 };
const sentences = [];
const counts = {};
while (sentences.length < MAX && pools.some((p) => p.list.length)) {
  for (const p of pools) {
    for (let w = 0; w < (weights[p.genre] ?? 1) && p.list.length && sentences.length < MAX; w++) {
      sentences.push(p.list.pop());
      counts[p.genre] = (counts[p.genre] ?? 0) + 1;
    }
  }
}
const out = {
  name: 'KorSTS sentences',
  source: 'https://github.com/kakaobrain/KorNLUDatasets (KorSTS: sts-train, sts-dev, sts-test)',
  license: 'CC BY-SA 4.0',
  genres: counts,
  sentences,
};
fs.writeFileSync(path.join(ROOT, 'demo/assets/korsts.json'), JSON.stringify(out, null, 0) + '\n');
console.log(`demo/assets/korsts.json: ${sentences.length} sentences`, counts);
