// int8 fidelity over a real corpus: every distinct sentence of KorSTS (train/dev/test) and KorNLI XNLI (dev/test)
// at max length 128, plus the texts of tests/fixtures/golden/base2-embed-dev.json at their own max length (the
// long ones at 512), encoded by kfembed's float32 path (the reference: it matches Hugging Face to ~3e-5) and by
// the quantized variants; prints min / 0.01 % / 0.1 % / 1 % quantiles / mean of the cosine to the reference and
// the worst sentences, and writes every sentence's cosine to a JSON file so that a later run (after a fix) can be
// compared with this one sentence by sentence (--compare).
//
//   node bench/fidelity/fidelity.mjs [--model base2|full] [--model-dir DIR] [--embeddings int8,int4]
//        [--ort | --no-ort] [--every N] [--limit N] [--worst K] [--out FILE.json[.gz]] [--compare OLD.json[.gz]]
//
// Variants: `int8` / `int4` are the public API (js/, WASM SIMD128, one thread) with dtype 'int8' — int8 word
// embeddings quantized at load, or the package kfembed-convert writes with --embeddings int4; `ort` is
// onnxruntime-node 1.30 (CPU, 1 thread) on ../shared/reference/base2-onnx/onnx/model_quantized.onnx (ONNX
// Runtime's quantize_dynamic: per-tensor asymmetric uint8 activations AND weights, uint8 word embeddings), fed
// the ids of our tokenizer (they are Hugging Face's) one sentence per run: its activation scale is per tensor,
// so padding or batching would change its result. base2 only (the full model has no ONNX peer).
// --every N keeps every N-th corpus sentence (deterministic; the golden texts are always kept), --limit N the
// first N. Defaults: base2 → int8,int4 and ort; full → int8.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { load, similarity } from '../../js/index.js';
import { korNluSentences } from '../tokenizer/corpus.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const REF = path.resolve(ROOT, '../shared/reference');
const argv = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : fallback;
};
const flag = (name) => argv.includes(name);
const preset = arg('--model', 'base2');
if (!['base2', 'full'].includes(preset)) throw new Error(`--model must be base2 or full, got ${preset}`);
const embeddings = arg('--embeddings', preset === 'base2' ? 'int8,int4' : 'int8').split(',').filter(Boolean);
const withOrt = preset === 'base2' ? !flag('--no-ort') : flag('--ort');
const every = Number(arg('--every', 1));
const limit = Number(arg('--limit', Infinity));
const worstCount = Number(arg('--worst', 10));
const outFile = arg('--out', null);
const compareFile = arg('--compare', null);
const CHUNK = 256; // texts per encode() call (progress granularity; the vectors do not depend on it)

function referenceModel(name) {
  const dir = path.join(os.tmpdir(), `kfembed-ref-${name}`);
  if (!fs.existsSync(path.join(dir, 'model.safetensors'))) {
    execFileSync('/usr/bin/python3', [path.join(REF, 'make_model.py'), name, dir], { stdio: 'inherit' });
  }
  return dir;
}
function int4Package(dir) {
  const out = path.join(os.tmpdir(), `kfembed-fidelity-${path.basename(dir)}-${fs.statSync(path.join(dir, 'model.safetensors')).size}-int4`);
  if (!fs.existsSync(path.join(out, 'manifest.json'))) {
    const convert = process.env.KFEMBED_CONVERT ?? path.join(ROOT, 'build/native/src/tools/kfembed-convert');
    fs.rmSync(out, { recursive: true, force: true });
    execFileSync(convert, [dir, out, '--embeddings', 'int4'], { stdio: 'inherit' });
  }
  return out;
}

// --- the sentences -----------------------------------------------------------------------------------------
const golden = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests/fixtures/golden/base2-embed-dev.json'), 'utf8'));
const seen = new Set();
const items = []; // { text, maxLen, source }
const add = (text, maxLen, source) => {
  const key = `${maxLen}\t${text}`;
  if (text.length === 0 || seen.has(key)) return;
  seen.add(key);
  items.push({ text, maxLen, source });
};
korNluSentences().forEach((t) => add(t, 128, 'kor-nlu'));
const corpus = items.splice(0).filter((_, i) => i % every === 0).slice(0, limit);
seen.clear();
corpus.forEach((it) => add(it.text, it.maxLen, it.source));
golden.texts.forEach((t, i) => add(t, golden.max_seq_length[i], 'golden'));
const maxLens = [...new Set(items.map((it) => it.maxLen))].sort((a, b) => a - b);

// --- the models ----------------------------------------------------------------------------------------------
const modelDir = path.resolve(arg('--model-dir', null) ?? referenceModel(preset));
const variantSource = { int8: modelDir, int4: null };
if (embeddings.includes('int4')) variantSource.int4 = int4Package(modelDir);
const variants = [...embeddings, ...(withOrt ? ['ort'] : [])];
for (const v of embeddings) if (!(v in variantSource)) throw new Error(`--embeddings: unknown ${v}`);

/** One variant's model at one max length (truncation is the model's). */
function loadVariant(name, maxSeqLength) {
  return name === 'fp32'
    ? load(modelDir, { dtype: 'fp32', maxSeqLength })
    : load(variantSource[name], { dtype: 'int8', maxSeqLength });
}

let ortSession = null;
let ort = null;
if (withOrt) {
  if (preset !== 'base2') throw new Error('--ort: only base2 has an ONNX peer');
  ort = await import('onnxruntime-node');
  ortSession = await ort.InferenceSession.create(path.join(REF, 'base2-onnx/onnx/model_quantized.onnx'),
    { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
}
async function ortEncode(ids) {
  const L = ids.length;
  const out = await ortSession.run({
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, L]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(L).fill(1n), [1, L]),
  });
  const h = out.last_hidden_state.data;
  const dim = h.length / L;
  const v = new Float64Array(dim);
  for (let t = 0; t < L; t++) for (let j = 0; j < dim; j++) v[j] += h[t * dim + j];
  return Float32Array.from(v, (x) => x / L);
}

const cosine = similarity;

// --- run ---------------------------------------------------------------------------------------------------
const tokens = new Array(items.length);
const cos = Object.fromEntries(variants.map((v) => [v, new Float64Array(items.length)]));
const seconds = Object.fromEntries(['fp32', ...variants].map((v) => [v, 0]));
console.log(`${preset} (${modelDir}): ${items.length} sentences (${corpus.length} kor-nlu${every > 1 ? `, every ${every}th` : ''}` +
  `, ${items.length - corpus.length} golden); variants ${variants.join(', ')} vs fp32`);
const started = performance.now();
let done = 0;
for (const maxLen of maxLens) { // one max length at a time: the full model's float32 copies are large
  const reference = await loadVariant('fp32', maxLen);
  const quantized = {};
  for (const v of embeddings) quantized[v] = await loadVariant(v, maxLen);
  const at = items.map((it, i) => (it.maxLen === maxLen ? i : -1)).filter((i) => i >= 0);
  for (const i of at) tokens[i] = reference.tokenize(items[i].text);
  for (let c = 0; c < at.length; c += CHUNK) {
    const idx = at.slice(c, c + CHUNK);
    const texts = idx.map((i) => items[i].text);
    let t0 = performance.now();
    const ref = await reference.encode(texts);
    seconds.fp32 += (performance.now() - t0) / 1e3;
    for (const v of embeddings) {
      t0 = performance.now();
      const got = await quantized[v].encode(texts);
      seconds[v] += (performance.now() - t0) / 1e3;
      idx.forEach((i, k) => { cos[v][i] = cosine(ref[k], got[k]); });
    }
    if (withOrt) {
      t0 = performance.now();
      for (let k = 0; k < idx.length; k++) cos.ort[idx[k]] = cosine(ref[k], await ortEncode(tokens[idx[k]]));
      seconds.ort += (performance.now() - t0) / 1e3;
    }
    done += idx.length;
    if (process.stderr.isTTY || done % (CHUNK * 16) < CHUNK || done === items.length) {
      process.stderr.write(`  ${done}/${items.length} sentences, ${((performance.now() - started) / 1e3).toFixed(0)} s\n`);
    }
  }
  for (const m of [reference, ...Object.values(quantized)]) m.dispose();
}

// --- report ------------------------------------------------------------------------------------------------
/** p-quantile as the ⌈p·n⌉-th smallest value (p = 0 → the minimum). */
function quantile(sorted, p) {
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)];
}
function summary(values) {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  return {
    n,
    min: sorted[0],
    q0001: quantile(sorted, 0.0001),
    q001: quantile(sorted, 0.001),
    q01: quantile(sorted, 0.01),
    mean: sorted.reduce((s, x) => s + x, 0) / n,
    below_0999: sorted.filter((x) => x < 0.999).length,
    below_09998: sorted.filter((x) => x < 0.9998).length,
  };
}
const fmt = (x) => x.toFixed(6);
const short = (text, n = 70) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);
const summaries = Object.fromEntries(variants.map((v) => [v, summary(cos[v])]));
console.log('\ncosine to kfembed float32 (mean-pooled sentence vectors)');
console.log('variant        n        min     0.01%      0.1%        1%      mean  <0.999  <0.9998  seconds');
for (const v of variants) {
  const s = summaries[v];
  console.log(`${v.padEnd(8)} ${String(s.n).padStart(7)}  ${[s.min, s.q0001, s.q001, s.q01, s.mean].map(fmt).join('  ')}` +
    `  ${String(s.below_0999).padStart(6)}  ${String(s.below_09998).padStart(7)}  ${seconds[v].toFixed(0).padStart(7)}`);
}
console.log(`fp32 reference: ${seconds.fp32.toFixed(0)} s; ${tokens.reduce((s, t) => s + t.length, 0)} tokens`);
for (const v of variants) {
  const order = [...cos[v].keys()].sort((a, b) => cos[v][a] - cos[v][b]).slice(0, worstCount);
  console.log(`\n${worstCount} worst for ${v} (other variants' cosine on the same sentence)`);
  for (const i of order) {
    const others = variants.filter((w) => w !== v).map((w) => `${w} ${fmt(cos[w][i])}`).join(', ');
    console.log(`  ${fmt(cos[v][i])}  ${String(tokens[i].length).padStart(3)} tok  ${others ? `[${others}]  ` : ''}${short(items[i].text)}`);
  }
}

if (compareFile) {
  const raw = fs.readFileSync(compareFile);
  const old = JSON.parse((compareFile.endsWith('.gz') ? zlib.gunzipSync(raw) : raw).toString('utf8'));
  const oldAt = new Map(old.sentences.map((s, i) => [`${s.max_len}\t${s.text}`, i]));
  console.log(`\ncompared with ${compareFile} (sentences present in both)`);
  for (const v of variants) {
    if (!old.cosine[v]) continue;
    const pairs = items.map((it, i) => [i, oldAt.get(`${it.maxLen}\t${it.text}`)]).filter(([, j]) => j !== undefined);
    const now = summary(pairs.map(([i]) => cos[v][i]));
    const then = summary(pairs.map(([, j]) => old.cosine[v][j]));
    const worse = pairs.filter(([i, j]) => cos[v][i] < old.cosine[v][j] - 1e-6).length;
    const better = pairs.filter(([i, j]) => cos[v][i] > old.cosine[v][j] + 1e-6).length;
    console.log(`  ${v.padEnd(6)} ${pairs.length} sentences: min ${fmt(then.min)} → ${fmt(now.min)}, mean ${fmt(then.mean)} → ${fmt(now.mean)};` +
      ` ${better} better, ${worse} worse (by > 1e-6)`);
    const drops = pairs.map(([i, j]) => [i, cos[v][i] - old.cosine[v][j], old.cosine[v][j]]).filter(([, d]) => d < -1e-6)
      .sort((a, b) => a[1] - b[1]).slice(0, 5);
    for (const [i, d, was] of drops) console.log(`      ${fmt(was)} → ${fmt(cos[v][i])} (${d.toExponential(1)})  ${short(items[i].text)}`);
  }
}

if (outFile) {
  let commit = '';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch { /* not a checkout */ }
  const round = (x) => Number(x.toFixed(9));
  const json = JSON.stringify({
    model: preset,
    model_dir: modelDir,
    commit,
    reference: 'kfembed fp32 (public API, WASM)',
    every,
    variants: Object.fromEntries(variants.map((v) => [v, { ...summaries[v], seconds: round(seconds[v]) }])),
    fp32_seconds: round(seconds.fp32),
    sentences: items.map((it, i) => ({ text: it.text, max_len: it.maxLen, tokens: tokens[i].length, source: it.source })),
    cosine: Object.fromEntries(variants.map((v) => [v, Array.from(cos[v], round)])),
  }) + '\n';
  fs.writeFileSync(outFile, outFile.endsWith('.gz') ? zlib.gzipSync(json, { level: 9 }) : json);
  console.log(`\nwrote ${outFile}`);
}
