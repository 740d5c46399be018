// Headless Debian Chromium (playwright-core, /usr/bin/chromium; no browser download) against the package
// served from 127.0.0.1: the Cache API fills on the first load and the second load asks for no weight file,
// progress reaches 100%, a corrupted cached file is detected and re-fetched, an int8 load of the Hugging Face
// layout caches its converted package (and reloads with no request), cache: false touches no storage,
// and worker mode keeps the main thread free (no long task > 200 ms while 200 sentences are encoded).
import fs from 'node:fs';
import path from 'node:path';
import { load } from '../../js/index.js';
import { sha256 } from './fakes.mjs';
import { FIXTURES, launchChromium, readJson, ROOT, tempDir, TINY, TINY_FILES as FILES, TINY_WEIGHTS as WEIGHTS } from './helpers.mjs';
import { startServer, writeManifestDir } from './server.mjs';

import { jest } from '@jest/globals';

jest.setTimeout(120_000);

const GOLDEN = readJson(path.join(FIXTURES, 'golden/tiny-embed-dev.json')).texts;
const SENTENCES = [...GOLDEN, ...GOLDEN].slice(0, 200);
const TEXTS = SENTENCES.slice(0, 6);

let server;
let browser;
let reference;

beforeAll(async () => {
  const pkg = tempDir('browser-pkg');
  writeManifestDir(pkg, TINY, FILES, { sha256 });
  server = await startServer({
    '/js/': path.join(ROOT, 'js'),
    '/e2e/': path.join(ROOT, 'tests/e2e'),
    '/pkg/': pkg,
    '/hf/': TINY,
  });
  browser = await launchChromium();
  const m = await load(TINY, { dtype: 'fp32' });
  reference = (await m.encode(TEXTS)).map((v) => Array.from(v));
  m.dispose();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

beforeEach(() => server.reset());

/** A fresh browser context (empty storage) with the harness page open. */
async function openPage() {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e));
  await page.goto(server.url('/e2e/index.html'));
  await page.waitForFunction(() => window.e2eReady === true);
  return { context, page, errors };
}

let context;
let page;
let errors;
/** Gives the calling describe block its own fresh page (context, page, errors above), closed after it. */
function freshPageForBlock() {
  beforeAll(async () => ({ context, page, errors } = await openPage()));
  afterAll(() => context.close());
}

/** load() + encode(TEXTS) in the page; returns progress events, vectors and the model's tokenization. */
function loadInPage(page, url, options = {}) {
  return page.evaluate(async ({ url, options, texts }) => {
    const events = [];
    const model = await window.kfembed.load(url, { dtype: 'fp32', ...options, onProgress: (e) => events.push(e) });
    const vectors = (await model.encode(texts)).map((v) => Array.from(v));
    const ids = Array.from(model.tokenize(texts[0]));
    const info = { dim: model.dim, maxSeqLength: model.maxSeqLength };
    model.dispose();
    return { events, vectors, ids, info };
  }, { url, options, texts: TEXTS });
}

const weightRequests = () => server.requests.filter((r) => r.path.endsWith('.safetensors'));
const lastEvent = (events, file) => events.filter((e) => e.file === file && e.phase !== 'cache-warning').at(-1);

function expectReferenceVectors(vectors) {
  expect(vectors).toHaveLength(reference.length);
  vectors.forEach((v, i) => v.forEach((x, j) => expect(Math.abs(x - reference[i][j])).toBeLessThanOrEqual(1e-6)));
}

describe('Cache API in Chromium', () => {
  freshPageForBlock();

  test('first load: downloads, progress reaches 100% per file, every verified file cached', async () => {
    const { events, vectors } = await loadInPage(page, server.url('/pkg/'));
    expectReferenceVectors(vectors);
    expect(weightRequests()).toHaveLength(1);
    for (const f of FILES) {
      const size = fs.statSync(path.join(TINY, f)).size;
      expect(lastEvent(events, f)).toEqual({ file: f, loaded: size, total: size, phase: 'download' });
    }
    const keys = await page.evaluate(() => window.e2e.cacheKeys());
    expect(keys.sort()).toEqual([...FILES, 'manifest.json'].map((f) => server.url(`/pkg/${f}`)).sort());
    const entry = await page.evaluate((u) => window.e2e.cachedEntry(u), server.url('/pkg/model.safetensors'));
    expect(entry).toEqual({ size: WEIGHTS.length, sha256: sha256(WEIGHTS), header: sha256(WEIGHTS) });
  });

  test('second load (same page, then after a reload): no request for any weight or model file', async () => {
    const second = await loadInPage(page, server.url('/pkg/'));
    expectReferenceVectors(second.vectors);
    expect(lastEvent(second.events, 'model.safetensors'))
      .toEqual({ file: 'model.safetensors', loaded: WEIGHTS.length, total: WEIGHTS.length, phase: 'cache' });
    const modelRequests = () => server.requests.filter((r) => r.path.startsWith('/pkg/')).map((r) => r.path);
    expect(modelRequests()).toEqual(['/pkg/manifest.json']);
    server.reset();
    await page.reload();
    await page.waitForFunction(() => window.e2eReady === true);
    const third = await loadInPage(page, server.url('/pkg/'));
    expectReferenceVectors(third.vectors);
    expect(modelRequests()).toEqual(['/pkg/manifest.json']);
    expect(weightRequests()).toHaveLength(0);
    console.log(`browser: requests on the second load after a reload: ${JSON.stringify(server.requests.map((r) => r.path))}`);
  });

  test('a corrupted cached file is detected, deleted and re-fetched (one weight request), then re-cached', async () => {
    const url = server.url('/pkg/model.safetensors');
    await page.evaluate((u) => window.e2e.corruptCached(u, 4242), url);
    const corrupted = await page.evaluate((u) => window.e2e.cachedEntry(u), url);
    expect(corrupted.sha256).not.toBe(corrupted.header);
    const { events, vectors } = await loadInPage(page, server.url('/pkg/'));
    expectReferenceVectors(vectors);
    expect(weightRequests()).toHaveLength(1);
    expect(events.some((e) => e.phase === 'cache-warning' && e.file === 'model.safetensors' && /corrupt/.test(e.message))).toBe(true);
    const repaired = await page.evaluate((u) => window.e2e.cachedEntry(u), url);
    expect(repaired).toEqual({ size: WEIGHTS.length, sha256: sha256(WEIGHTS), header: sha256(WEIGHTS) });
  });

  test('Hugging Face layout (no manifest) is cached as well', async () => {
    await loadInPage(page, server.url('/hf/'));
    expect(server.requestsFor('/hf/model.safetensors')).toHaveLength(1);
    server.reset();
    const { vectors } = await loadInPage(page, server.url('/hf/'));
    expectReferenceVectors(vectors);
    expect(server.requestsFor('/hf/model.safetensors')).toHaveLength(0);
  });
});

describe('Chromium: Hugging Face layout with dtype int8 caches the converted package', () => {
  freshPageForBlock();

  test('first load stores kfembed-int8/ (no float weights); after a reload: no request, same vectors (also in a worker)', async () => {
    const first = await loadInPage(page, server.url('/hf/'), { dtype: 'int8' });
    // One streaming GET (quantized as it streams), beside the Range reads of its header and LayerNorms.
    expect(server.requestsFor('/hf/model.safetensors').filter((r) => r.range === null)).toHaveLength(1);
    const root = server.url('/hf/kfembed-int8/');
    const keys = await page.evaluate(() => window.e2e.cacheKeys());
    expect(keys.filter((k) => !k.startsWith(root))).toEqual([]);
    expect(keys).toContain(`${root}manifest.json`);
    expect(keys.filter((k) => k.endsWith('.safetensors'))).toEqual([`${root}model.int8.safetensors`]);
    const entry = await page.evaluate((u) => window.e2e.cachedEntry(u), `${root}model.int8.safetensors`);
    expect(entry.sha256).toBe(entry.header);
    expect(entry.size).toBeLessThan(WEIGHTS.length / 2);

    server.reset();
    await page.reload();
    await page.waitForFunction(() => window.e2eReady === true);
    const second = await loadInPage(page, server.url('/hf/'), { dtype: 'int8' });
    expect(second.vectors).toEqual(first.vectors);
    expect(server.requestsFor('/hf/')).toEqual([]);
    const inWorker = await loadInPage(page, server.url('/hf/'), { dtype: 'int8', worker: true });
    expect(inWorker.vectors).toEqual(first.vectors);
    expect(server.requestsFor('/hf/')).toEqual([]);
  });
});

describe('Chromium: storage opt-out, abort, errors', () => {
  freshPageForBlock();

  test('cache: false never touches storage', async () => {
    const { vectors } = await loadInPage(page, server.url('/pkg/'), { cache: false });
    expectReferenceVectors(vectors);
    expect(await page.evaluate(() => caches.has('kfembed-v1'))).toBe(false);
  });

  test('abort during a slow download: AbortError, nothing cached for that file', async () => {
    server.fault('/pkg/model.safetensors', { type: 'drip', chunk: 16384, everyMs: 10 });
    const result = await page.evaluate(async (url) => {
      const controller = new AbortController();
      try {
        await window.kfembed.load(url, {
          dtype: 'fp32',
          signal: controller.signal,
          onProgress: (e) => e.file === 'model.safetensors' && e.loaded > 100_000 && controller.abort(),
        });
        return 'loaded';
      } catch (e) {
        return e.name;
      }
    }, server.url('/pkg/'));
    expect(result).toBe('AbortError');
    const keys = await page.evaluate(() => window.e2e.cacheKeys());
    expect(keys).not.toContain(server.url('/pkg/model.safetensors'));
  });

  test('a 404 names the URL', async () => {
    const message = await page.evaluate((url) => window.kfembed.load(url).then(() => 'loaded', (e) => e.message),
      server.url('/missing/'));
    expect(message).toContain(`${server.url('/missing/config.json')}: HTTP 404`);
  });
});

describe('worker: true in Chromium', () => {
  freshPageForBlock();

  test('same API and results as in-thread; progress forwarded; cached like in-thread', async () => {
    const inThread = await loadInPage(page, server.url('/pkg/'), { cache: false });
    server.reset();
    const inWorker = await loadInPage(page, server.url('/pkg/'), { worker: true });
    expect(inWorker.info).toEqual(inThread.info);
    expect(inWorker.ids).toEqual(inThread.ids);
    expectReferenceVectors(inWorker.vectors);
    const size = WEIGHTS.length;
    expect(lastEvent(inWorker.events, 'model.safetensors')).toEqual({ file: 'model.safetensors', loaded: size, total: size, phase: 'download' });
    expect(server.requestsFor('/js/worker.js')).toHaveLength(1);
    server.reset();
    await loadInPage(page, server.url('/pkg/'), { worker: true });
    expect(weightRequests()).toHaveLength(0); // the worker reads the Cache API the first worker filled
    expect(errors).toEqual([]);
  });

  test('encode of 200 sentences in the worker: no long task > 200 ms on the main thread', async () => {
    const report = await page.evaluate(async ({ url, sentences }) => {
      const worker = await window.kfembed.load(url, { dtype: 'fp32', worker: true });
      const inWorker = await window.e2e.watchMainThread(() => worker.encode(sentences));
      const vectors = inWorker.result;
      worker.dispose();
      const local = await window.kfembed.load(url, { dtype: 'fp32' });
      const inThread = await window.e2e.watchMainThread(() => local.encode(sentences));
      let maxDiff = 0;
      inThread.result.forEach((v, i) => v.forEach((x, j) => { maxDiff = Math.max(maxDiff, Math.abs(x - vectors[i][j])); }));
      local.dispose();
      const strip = ({ result, ...rest }) => ({ ...rest, count: result.length, transferred: result[0] instanceof Float32Array });
      return { worker: strip(inWorker), inThread: strip(inThread), maxDiff };
    }, { url: server.url('/pkg/'), sentences: SENTENCES });
    console.log(`browser main thread during encode(200): worker ${JSON.stringify(report.worker)}; in-thread ${JSON.stringify(report.inThread)}`);
    expect(report.worker.count).toBe(200);
    expect(report.worker.transferred).toBe(true);
    expect(report.worker.longTasks.filter((d) => d > 200)).toEqual([]);
    expect(report.worker.maxGapMs).toBeLessThan(200);
    expect(report.maxDiff).toBeLessThanOrEqual(1e-6);
  });

  test('worker: errors cross the boundary as Errors naming the URL; abort works', async () => {
    const message = await page.evaluate((url) => window.kfembed.load(url, { worker: true }).then(() => 'loaded', (e) => e.message),
      server.url('/missing/'));
    expect(message).toContain(`${server.url('/missing/config.json')}: HTTP 404`);
    server.fault('/pkg/model.safetensors', { type: 'drip', chunk: 16384, everyMs: 10 });
    const name = await page.evaluate(async (url) => {
      await window.e2e.clearCache();
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 300);
      return window.kfembed.load(url, { worker: true, signal: controller.signal }).then(() => 'loaded', (e) => e.name);
    }, server.url('/pkg/'));
    expect(name).toBe('AbortError');
  });
});
