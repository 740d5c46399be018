// Two builds of kfembed in one Node process: this checkout's runtime against another checkout's (e.g. the
// commit before a change), a model (base2 by default, --model-dir) quantized to int8 at load by each, the same token ids, interleaved rounds,
// medians of single-sentence encode latency at L = 16/32/64/128 and of encode(array) over KorSTS sentences.
//   node bench/encoder/runtimes.mjs OTHER_CHECKOUT [--model-dir DIR] [--rounds N]
// OTHER_CHECKOUT must have been built (npm run build:wasm there).
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { korNluSentences } from '../tokenizer/corpus.mjs';
import { median, textOfLength } from './timing.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const argv = process.argv.slice(2);
const arg = (name, fallback) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : fallback);
const other = argv[0];
if (!other || other.startsWith('--')) throw new Error('usage: node bench/encoder/runtimes.mjs OTHER_CHECKOUT [--model-dir DIR] [--rounds N]');
const modelDir = arg('--model-dir', path.join(os.tmpdir(), 'kfembed-ref-base2'));
const rounds = Number(arg('--rounds', 15));
const LENGTHS = [16, 32, 64, 128];

const runtimes = [
  { name: 'this', dir: ROOT },
  { name: 'other', dir: path.resolve(other) },
];
for (const r of runtimes) {
  const { load } = await import(pathToFileURL(path.join(r.dir, 'js/index.js')).href);
  r.model = await load(modelDir, { dtype: 'int8', cache: false });
}
const corpus = korNluSentences().slice(0, 2000);
const texts = Object.fromEntries(LENGTHS.map((L) => [L, textOfLength(runtimes[0].model, L)]));
const batch = corpus.slice(0, 256);
const times = Object.fromEntries(runtimes.map((r) => [r.name, { batch: [], ...Object.fromEntries(LENGTHS.map((L) => [L, []])) }]));
for (let round = 0; round < rounds; round++) {
  for (const L of LENGTHS) {
    for (const r of round % 2 ? runtimes : [...runtimes].reverse()) {
      const model = r.model;
      const t0 = performance.now();
      await model.encode(texts[L]);
      times[r.name][L].push(performance.now() - t0);
    }
  }
  for (const r of round % 2 ? runtimes : [...runtimes].reverse()) {
    const t0 = performance.now();
    await r.model.encode(batch);
    times[r.name].batch.push(performance.now() - t0);
  }
}
console.log(`${path.basename(modelDir)} int8, ${rounds} rounds, medians (ms); other = ${path.resolve(other)}`);
console.log('L (tokens)   this    other   this/other');
for (const L of LENGTHS) {
  const a = median(times.this[L]), b = median(times.other[L]);
  const label = `${L} (${runtimes[0].model.tokenize(texts[L]).length})`;
  console.log(`${label.padEnd(12)} ${a.toFixed(2).padStart(6)} ${b.toFixed(2).padStart(8)} ${(a / b).toFixed(3).padStart(10)}`);
}
const a = median(times.this.batch), b = median(times.other.batch);
console.log(`batch of ${batch.length} KorSTS sentences: this ${a.toFixed(1)} ms, other ${b.toFixed(1)} ms, ratio ${(a / b).toFixed(3)}`);
for (const r of runtimes) r.model.dispose();
