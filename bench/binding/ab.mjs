// Binding overhead A/B: two copies of the package (each a folder holding js/ with its js/wasm build) in one
// Node process, interleaved rounds in alternating order, medians. Tokenizer MB/s on every KorSTS + XNLI
// sentence, tiny-model encode one text per call, and base2 (int8, SIMD128) at short/long texts and a batch.
//   node bench/binding/ab.mjs DIR_A DIR_B [--rounds N]
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { korNluSentences } from '../tokenizer/corpus.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const [dirA, dirB] = process.argv.slice(2, 4).map((d) => path.resolve(d));
const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 9;
const { base2Dir } = await import('../../tests/js/helpers.mjs');
const BASE2 = await base2Dir();
const texts = korNluSentences();
const bytes = texts.reduce((n, t) => n + Buffer.byteLength(t), 0);
const short = '한 남자가 피자를 먹는다.';
const long = `${short} `.repeat(20);

const packages = {};
for (const [name, dir] of [['A', dirA], ['B', dirB]]) {
  const m = await import(path.join(dir, 'js/index.js'));
  packages[name] = {
    tokenizer: await m.loadTokenizer(path.join(ROOT, 'tests/fixtures/tokenizer')),
    tiny: await m.load(path.join(ROOT, 'tests/fixtures/tiny-kf-deberta'), { dtype: 'int8' }),
    base2: await m.load(BASE2, { dtype: 'int8', relaxedSimd: false }),
  };
}
const ms = async (fn) => { const t0 = process.hrtime.bigint(); await fn(); return Number(process.hrtime.bigint() - t0) / 1e6; };
const cases = {
  'tokenizer (whole corpus)': (p) => { for (const t of texts) p.tokenizer.encode(t); },
  'tiny encode ×500': async (p) => { for (const t of texts.slice(0, 500)) await p.tiny.encode(t); },
  'base2 encode short ×20': async (p) => { for (let i = 0; i < 20; i++) await p.base2.encode(short); },
  'base2 encode long ×5': async (p) => { for (let i = 0; i < 5; i++) await p.base2.encode(long); },
  'base2 encode(array of 256)': (p) => p.base2.encode(texts.slice(0, 256)),
};
const samples = {};
for (let r = -1; r < rounds; r++) {
  for (const k of r % 2 ? ['B', 'A'] : ['A', 'B']) {
    for (const [name, fn] of Object.entries(cases)) {
      const t = await ms(() => fn(packages[k]));
      if (r >= 0) (samples[`${k} ${name}`] ??= []).push(t);
    }
  }
}
const median = (xs) => [...xs].sort((x, y) => x - y)[xs.length >> 1];
for (const name of Object.keys(cases)) {
  const a = median(samples[`A ${name}`]);
  const b = median(samples[`B ${name}`]);
  const extra = name.startsWith('tokenizer') ? `  (${(bytes / 1e3 / a).toFixed(2)} vs ${(bytes / 1e3 / b).toFixed(2)} MB/s)` : '';
  console.log(`${name.padEnd(28)} A ${a.toFixed(1).padStart(8)} ms  B ${b.toFixed(1).padStart(8)} ms  B/A ${(b / a).toFixed(3)}${extra}`);
}
process.exit(0);
