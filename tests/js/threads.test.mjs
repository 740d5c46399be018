// load(…, { threads }) in Node (worker_threads): vectors byte-identical for 1, 2 and 3 threads — tiny and
// base2, fp32 and int8, one text at a time and in packed batches; model.threads says what runs; a
// SemanticIndex on a threaded model returns the hits of one thread; threads is validated by name; and
// dispose() ends the workers (a child process counts its OS threads before, during and after).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { load, SemanticIndex } from '../../js/index.js';
import { base2Dir, FIXTURES, readJson, ROOT, TINY } from './helpers.mjs';

import { jest } from '@jest/globals';

jest.setTimeout(600_000);

const TINY_TEXTS = readJson(path.join(FIXTURES, 'golden/tiny-embed-dev.json')).texts.slice(0, 60);
const BASE2 = readJson(path.join(FIXTURES, 'golden/base2-embed-dev.json'));

const bytes = (vectors) => Buffer.concat(vectors.map((v) => Buffer.from(v.buffer, v.byteOffset, v.byteLength)));

async function vectors(dir, options, texts) {
  const model = await load(dir, { cache: false, ...options });
  const single = [];
  for (const t of texts) single.push(await model.encode(t));
  const batch = await model.encode(texts);
  const threads = model.threads;
  model.dispose();
  return { threads, single: bytes(single), batch: bytes(batch) };
}

async function expectSameForThreadCounts(dir, texts, options) {
  const one = await vectors(dir, { ...options, threads: 1 }, texts);
  expect(one.threads).toBe(1);
  expect(one.batch.equals(one.single)).toBe(true);
  for (const threads of [2, 3]) {
    const r = await vectors(dir, { ...options, threads }, texts);
    expect(r.threads).toBe(threads);
    expect(r.single.equals(one.single)).toBe(true);
    expect(r.batch.equals(one.batch)).toBe(true);
  }
}

test('tiny: fp32 and int8 vectors are the same bytes for 1, 2 and 3 threads', async () => {
  for (const dtype of ['fp32', 'int8']) await expectSameForThreadCounts(TINY, TINY_TEXTS, { dtype });
});

test('base2 (768 / 12 heads / 3072): int8 and fp32 the same bytes for 1, 2 and 3 threads', async () => {
  const dir = await base2Dir();
  const texts = BASE2.texts.slice(0, 20);
  for (const dtype of ['int8', 'fp32']) await expectSameForThreadCounts(dir, texts, { dtype, maxSeqLength: 512 });
});

test('SemanticIndex on a threaded model: same hits and scores as one thread', async () => {
  const model = await load(TINY, { cache: false, threads: 2 });
  const vectors = [];
  for (let i = 0; i < 5000; i++) {
    const v = new Float32Array(model.dim);
    for (let j = 0; j < v.length; j++) v[j] = Math.sin(i * 7.1 + j * 1.3) + Math.cos(i * 0.37 * (j + 1));
    vectors.push(v);
  }
  for (const int8 of [false, true]) {
    const one = new SemanticIndex({ int8, threads: 1 });
    const two = new SemanticIndex({ model, int8 }); // the model's thread count
    await one.add(vectors);
    await two.add(vectors);
    for (let q = 0; q < 5; q++) {
      const [a, b] = await Promise.all([one.search(vectors[q * 97], 10), two.search(vectors[q * 97], 10)]);
      expect(b).toEqual(a);
    }
    one.dispose();
    two.dispose();
  }
  model.dispose();
});

test('threads is validated by name', async () => {
  for (const threads of [0, 1.5, -1, 17, '2', NaN]) {
    await expect(load(TINY, { threads })).rejects.toThrow(/load options\.threads: expected an integer from 1 to 16/);
  }
  expect(() => new SemanticIndex({ threads: 0 })).toThrow(/options\.threads/);
});

test('dispose() ends the workers: the OS threads return to what they were', () => {
  const script = `
    import fs from 'node:fs';
    import { load } from ${JSON.stringify(path.join(ROOT, 'js/index.js'))};
    const tasks = () => fs.readdirSync('/proc/self/task').length;
    const before = tasks();
    const model = await load(${JSON.stringify(TINY)}, { cache: false, threads: 3 });
    await model.encode('안녕하세요');
    const during = tasks();
    model.dispose();
    let after = tasks();
    for (let i = 0; i < 200 && after > before; i++) { await new Promise((r) => setTimeout(r, 25)); after = tasks(); }
    console.log(JSON.stringify({ before, during, after }));`;
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kfembed-threads-')), 'dispose.mjs');
  fs.writeFileSync(file, script);
  const out = execFileSync(process.execPath, [file], { encoding: 'utf8' });
  const { before, during, after } = JSON.parse(out.trim().split('\n').pop());
  expect(during).toBeGreaterThanOrEqual(before + 2); // two pthread workers (plus whatever Node adds)
  expect(after).toBeLessThanOrEqual(before);
});
