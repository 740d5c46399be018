// Shared paths and tiny utilities for the Jest suites.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from '../../js/index.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const FIXTURES = path.join(ROOT, 'tests/fixtures');
export const SHARED = path.resolve(ROOT, '../shared');

export const readJson = (p) => JSON.parse(fs.readFileSync(p, 'utf8'));
export const readJsonl = (p) => fs.readFileSync(p, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));

/** A fresh temporary directory, optionally holding copies of `files` from `fromDir`. */
export function tempDir(prefix, fromDir, files = []) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `kfembed-${prefix}-`));
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.copyFileSync(path.join(fromDir, f), path.join(dir, f));
  }
  return dir;
}

export const sameIds = (a, b) => a.length === b.length && Array.from(a).every((v, i) => v === b[i]);

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
  const { execFileSync } = await import('node:child_process');
  const dir = path.join(os.tmpdir(), 'kfembed-ref-base2');
  if (!fs.existsSync(path.join(dir, 'model.safetensors'))) {
    // Built under a private name and renamed, so a parallel reader never sees a half-written file.
    const tmp = `${dir}.tmp-${process.pid}`;
    fs.rmSync(tmp, { recursive: true, force: true });
    execFileSync('/usr/bin/python3', [path.join(SHARED, 'reference/make_model.py'), 'base2', tmp], { stdio: 'ignore' });
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

/** Loads the model at `source` with `options`, encodes `texts`, disposes it: the vectors. */
export async function encodeOnce(source, texts, options) {
  const m = await load(source, options);
  try {
    return await m.encode(texts);
  } finally {
    m.dispose();
  }
}
