// Shared paths and tiny utilities for the Jest suites.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from '../../js/index.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const FIXTURES = path.join(ROOT, 'tests/fixtures');
export const SHARED = path.resolve(ROOT, '../shared');

/** The tiny random-weight model, its files, and its weights' bytes. */
export const TINY = path.join(FIXTURES, 'tiny-kf-deberta');
export const TINY_FILES = ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt',
  'modules.json', 'sentence_bert_config.json', '1_Pooling/config.json'];
export const TINY_WEIGHTS = fs.readFileSync(path.join(TINY, 'model.safetensors'));
/** A few sentences to encode, the empty one included. */
export const SAMPLE_TEXTS = ['한 남자가 피자를 먹는다.', '비행기가 이륙하고 있다.', '', '고양이가 소파 위에서 자고 있다.'];

/** Debian's Chromium for the browser suites (playwright-core; never a browser download). */
export const CHROMIUM = process.env.KFEMBED_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** A headless Chromium browser (Debian's) for a suite. */
export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** The native kfembed-convert (KFEMBED_CONVERT overrides the build's). */
export const CONVERT = process.env.KFEMBED_CONVERT ?? path.join(ROOT, 'build/native/src/tools/kfembed-convert');

export const readJson = (p) => JSON.parse(fs.readFileSync(p, 'utf8'));
export const readJsonl = (p) => fs.readFileSync(p, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));

/** Copies `files` (relative paths) from `fromDir` into `dir`, creating folders as needed. */
export function copyFiles(fromDir, dir, files) {
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.copyFileSync(path.join(fromDir, f), path.join(dir, f));
  }
}

/** A fresh temporary directory, optionally holding copies of `files` from `fromDir`. */
export function tempDir(prefix, fromDir, files = []) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `kfembed-${prefix}-`));
  copyFiles(fromDir, dir, files);
  return dir;
}

/** Builds the native tools when kfembed-convert is missing. */
export function ensureConverter() {
  if (fs.existsSync(CONVERT)) return;
  execFileSync('bash', ['scripts/build.sh', 'native'], { cwd: ROOT, env: { ...process.env, JOBS: '2' }, stdio: 'inherit' });
}

/** Runs kfembed-convert on `from` (extra `flags`) into a new temporary folder; returns the package's path. */
export function convertModel(from, flags = [], prefix = 'convert') {
  const out = path.join(tempDir(prefix), 'pkg');
  execFileSync(CONVERT, [from, out, ...flags], { stdio: 'pipe' });
  return out;
}

export const sameIds = (a, b) => a.length === b.length && Array.from(a).every((v, i) => v === b[i]);

const bytesOf = (v) => (ArrayBuffer.isView(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : Buffer.from(v));
/** Whether two byte sources (Buffers, typed arrays of any element type, arrays of bytes) hold the same bytes. */
export const sameBytes = (a, b) => bytesOf(a).equals(bytesOf(b));

export function cosine(a, b) {
  let d = 0, x = 0, y = 0;
  for (let i = 0; i < a.length; i++) { d += a[i] * b[i]; x += a[i] * a[i]; y += b[i] * b[i]; }
  return d / Math.sqrt(x * y);
}
export function maxAbsDiff(a, b) {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** The base2 reference model (real 768/12/3072 geometry), materialised from ../shared once per machine. */
export async function base2Dir() {
  const dir = path.join(os.tmpdir(), 'kfembed-ref-base2');
  if (!fs.existsSync(path.join(dir, 'model.safetensors'))) {
    // Built under a private name and renamed, so a parallel reader never sees a half-written file.
    const tmp = `${dir}.tmp-${process.pid}`;
    fs.rmSync(tmp, { recursive: true, force: true });
    const generator = path.join(SHARED, 'reference/make_model.py');
    if (!fs.existsSync(generator)) {
      throw new Error(`${generator} not found: this test needs the project's shared/ folder beside the repository`);
    }
    try {
      execFileSync('/usr/bin/python3', ['-c', 'import numpy'], { stdio: 'ignore' });
    } catch {
      throw new Error(`${generator} needs /usr/bin/python3 with numpy (Debian python3-numpy; scripts/setup.sh)`);
    }
    execFileSync('/usr/bin/python3', [generator, 'base2', tmp], { stdio: 'ignore' });
    try {
      fs.renameSync(tmp, dir);
    } catch {
      fs.rmSync(tmp, { recursive: true, force: true }); // another process got there first
    }
  }
  return dir;
}

/** Compares encode() of every golden text with its reference vector; returns the worst errors. */
export async function compareGolden(models, golden) {
  const lens = Array.isArray(golden.max_seq_length) ? golden.max_seq_length : golden.texts.map(() => golden.max_seq_length);
  let minCos = 1, sumCos = 0, worstAbs = 0;
  for (let i = 0; i < golden.texts.length; i++) {
    const v = await (await models(lens[i])).encode(golden.texts[i]);
    const c = cosine(v, golden.embeddings[i]);
    minCos = Math.min(minCos, c);
    sumCos += c;
    worstAbs = Math.max(worstAbs, maxAbsDiff(v, golden.embeddings[i]));
  }
  return { minCos, meanCos: sumCos / golden.texts.length, worstAbs };
}

/**
 * Loads `dir` once per max_seq_length asked (`get(len)`, with `options`); `get.dispose()` frees them all. For
 * compareGolden().
 */
export function modelsByLength(dir, options = {}) {
  const models = new Map();
  const get = (len) => {
    if (!models.has(len)) models.set(len, load(dir, { ...options, maxSeqLength: len }));
    return models.get(len);
  };
  get.dispose = async () => { for (const m of models.values()) (await m).dispose(); };
  return get;
}

/** Loads the model at `source` with `options`, encodes `texts`, disposes it: the vectors. */
export async function encodeOnce(source, texts, options) {
  const m = await load(source, options);
  try {
    return await m.encode(texts);
  } finally {
    m.dispose();
  }
}
