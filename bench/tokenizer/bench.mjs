// Tokenizer throughput: kfembed's WASM tokenizer vs transformers.js (@huggingface/transformers 4.3.1) on every
// KorSTS + XNLI sentence, in one Node process, interleaved rounds, medians. MB/s counts UTF-8 input bytes.
// Both tokenizers: WordPiece (kf-deberta's tokenizer.json) and SentencePiece Unigram (tests/fixtures/spm).
//   node bench/tokenizer/bench.mjs [--rounds N] [--only wordpiece|unigram]
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTokenizer } from '../../js/index.js';
import { korNluSentences } from './corpus.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TOKENIZERS = {
  wordpiece: path.join(ROOT, 'tests/fixtures/tokenizer'),
  unigram: path.join(ROOT, 'tests/fixtures/spm/tokenizer'),
};
const arg = (name) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const rounds = Number(arg('--rounds')) || 7;
const only = arg('--only');

const texts = korNluSentences();
const bytes = texts.reduce((n, t) => n + Buffer.byteLength(t, 'utf8'), 0);
const { AutoTokenizer, env } = await import('@huggingface/transformers');
env.allowRemoteModels = false;
console.log(`corpus: ${texts.length} sentences, ${(bytes / 1e6).toFixed(2)} MB UTF-8`);
for (const [name, dir] of Object.entries(TOKENIZERS)) {
  if (!only || only === name) await bench(name, dir);
}

async function bench(name, dir) {
  const ours = await loadTokenizer(dir);
  env.localModelPath = path.dirname(dir);
  const theirs = await AutoTokenizer.from_pretrained(path.basename(dir));

  // Same ids on the whole corpus first: a speed ratio between tokenizers that disagree would mean nothing.
  let disagree = 0;
  for (const t of texts) {
    const a = ours.encode(t);
    const b = theirs.encode(t);
    if (a.length !== b.length || a.some((v, i) => v !== b[i])) disagree++;
  }

  const time = (fn) => { const t0 = process.hrtime.bigint(); fn(); return Number(process.hrtime.bigint() - t0) / 1e9; };
  const runners = {
    kfembed: () => { for (const t of texts) ours.encode(t); },
    'transformers.js': () => { for (const t of texts) theirs.encode(t); },
  };
  const samples = Object.fromEntries(Object.keys(runners).map((k) => [k, []]));
  for (const fn of Object.values(runners)) fn(); // warm-up (JIT, caches)
  for (let r = 0; r < rounds; r++) for (const [k, fn] of Object.entries(runners)) samples[k].push(time(fn));
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

  console.log(`${name}: ids disagree on ${disagree} of ${texts.length}`);
  const mbps = {};
  for (const k of Object.keys(runners)) {
    const s = median(samples[k]);
    mbps[k] = bytes / 1e6 / s;
    console.log(`  ${k.padEnd(16)} median ${(s * 1e3).toFixed(1).padStart(8)} ms  ${mbps[k].toFixed(2).padStart(7)} MB/s  (${rounds} rounds)`);
  }
  console.log(`  speedup kfembed / transformers.js (${name}): ${(mbps.kfembed / mbps['transformers.js']).toFixed(2)}x`);
  ours.dispose();
}
