// The demo page end to end in headless Debian Chromium (playwright-core, /usr/bin/chromium; never a browser
// download), served by demo/serve.mjs with the tiny random-weight model: mechanics, not semantics.
//   npm run test:e2e        (needs the WASM build: npm run build:wasm)
// First visit downloads the model and indexes a corpus prefix; a query equal to a corpus sentence ranks it
// first with score ≈ 1 and the page's top-k equals a brute-force ranking of encode() vectors computed here;
// the similarity panel agrees with encode(); a reload asks for no weight file and re-embeds nothing
// (Cache API + IndexedDB); the page works offline; a wrong model URL gives the error state. Screenshots go to
// tests/out/ (gitignored).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jest } from '@jest/globals';
import { chromium } from 'playwright-core';
import { startDemoServer } from '../../demo/serve.mjs';
import { load } from '../../js/index.js';
import { CHROMIUM, CHROMIUM_ARGS as ARGS, cosine, ROOT, TINY } from '../js/helpers.mjs';

jest.setTimeout(180_000);

const OUT = path.join(ROOT, 'tests/out');
const N = 240; // corpus prefix indexed in the test (?corpus=N)
const K = 10;

let server;
let context;
let page;
let userDataDir;
let corpus;
let vectors;
let model;
const pageErrors = [];

const weightRequests = () => server.requests.filter((r) => /^\/model\/.*\.safetensors$/.test(r.path));
const waitForState = (p, state, timeout = 120_000) =>
  p.waitForFunction((s) => document.body.dataset.state === s, state, { timeout });

async function search(p, query) {
  const before = await p.evaluate(() => Number(document.body.dataset.searchSeq ?? 0));
  await p.fill('#query', query);
  await p.waitForFunction(([n, q]) => Number(document.body.dataset.searchSeq ?? 0) > n &&
    document.body.dataset.searching === 'false' && window.kfDemo.lastQuery === q, [before, query], { timeout: 30_000 });
  return p.$$eval('#results .result', (items) => items.map((li) => ({
    id: Number(li.dataset.id),
    score: Number(li.dataset.score),
    text: li.querySelector('.text').textContent,
  })));
}

beforeAll(async () => {
  fs.mkdirSync(OUT, { recursive: true });
  corpus = JSON.parse(fs.readFileSync(path.join(ROOT, 'demo/assets/korsts.json'), 'utf8')).sentences.slice(0, N);
  model = await load(TINY, { dtype: 'fp32' });
  vectors = await model.encode(corpus);
  server = await startDemoServer({ port: 0, modelDir: TINY });
  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kfembed-demo-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    args: ARGS,
    viewport: { width: 1120, height: 900 },
    locale: 'ko-KR',
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => pageErrors.push(e.message));
});

afterAll(async () => {
  model?.dispose();
  await context?.close();
  await server?.close();
  if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
});

const demoUrl = () => `${server.url}?corpus=${N}&dtype=fp32`;

test('first visit: downloads the model, indexes the corpus, reaches the ready state', async () => {
  const states = [];
  await page.exposeFunction('recordState', (s) => states.push(s));
  await page.addInitScript(() => {
    new MutationObserver(() => window.recordState?.(document.body?.dataset.state)).observe(document, {
      subtree: true, attributes: true, attributeFilter: ['data-state'],
    });
    // Responsiveness while indexing: the largest gap between 10 ms timer ticks in the 'indexing' state.
    window.indexingMaxGap = 0;
    let last = performance.now();
    setInterval(() => {
      const now = performance.now();
      if (document.body?.dataset.state === 'indexing') window.indexingMaxGap = Math.max(window.indexingMaxGap, now - last);
      last = now;
    }, 10);
  });
  await page.goto(demoUrl());
  await waitForState(page, 'ready');
  const info = await page.evaluate(() => ({
    size: window.kfDemo.index.size,
    source: window.kfDemo.indexSource,
    embedded: window.kfDemo.embeddedNow,
    dim: window.kfDemo.model.dim,
    worker: window.kfDemo.model.constructor.name,
    maxGap: window.indexingMaxGap,
  }));
  expect(info).toMatchObject({ size: N, source: 'built', embedded: N, dim: 64, worker: 'WorkerSentenceModel' });
  expect(info.maxGap).toBeLessThan(250); // the page stays responsive while the corpus is embedded
  expect(states).toContain('indexing');
  expect(weightRequests().length).toBeGreaterThan(0);
  expect(await page.isEnabled('#query')).toBe(true);
  await page.screenshot({ path: path.join(OUT, 'demo-ready.png'), fullPage: true });
  expect(pageErrors).toEqual([]);
});

test('a corpus sentence as the query ranks itself first (score ≈ 1); top-k equals brute force over encode()', async () => {
  for (const q of [17, 3, 150]) {
    const hits = await search(page, corpus[q]);
    expect(hits).toHaveLength(K);
    expect(hits[0].text).toBe(corpus[q]);
    expect(hits[0].score).toBeGreaterThan(0.9999);
    const query = await model.encode(corpus[q]);
    const ref = vectors.map((v, i) => [i, cosine(v, query)]).sort((a, b) => b[1] - a[1]).slice(0, K);
    expect(hits.map((h) => h.id)).toEqual(ref.map(([i]) => i));
    hits.forEach((h, i) => {
      expect(Math.abs(h.score - ref[i][1])).toBeLessThan(1e-4);
      expect(h.text).toBe(corpus[h.id]);
    });
  }
  await page.screenshot({ path: path.join(OUT, 'demo-search.png'), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 }); // a phone
  await page.screenshot({ path: path.join(OUT, 'demo-search-mobile.png'), fullPage: true });
  await page.setViewportSize({ width: 1120, height: 900 });
});

test('the similarity panel agrees with encode()', async () => {
  const [a, b] = [corpus[0], corpus[1]];
  await page.fill('#sent-a', a);
  await page.fill('#sent-b', b);
  await page.evaluate(() => { window.kfDemo.lastSimilarity = undefined; });
  await page.click('#compare');
  await page.waitForFunction(() => window.kfDemo.lastSimilarity !== undefined);
  const shown = await page.evaluate(() => window.kfDemo.lastSimilarity);
  const [va, vb] = await model.encode([a, b]);
  expect(Math.abs(shown - cosine(va, vb))).toBeLessThan(1e-5);
  expect(await page.textContent('#meter-value')).toBe(shown.toFixed(3));
});

test('reload: the model comes from the Cache API and the index from IndexedDB (no weight request, no re-embedding)', async () => {
  server.reset();
  await page.reload();
  await waitForState(page, 'ready');
  const info = await page.evaluate(() => ({ source: window.kfDemo.indexSource, embedded: window.kfDemo.embeddedNow,
    size: window.kfDemo.index.size }));
  expect(info).toEqual({ source: 'stored', embedded: 0, size: N });
  expect(weightRequests()).toEqual([]);
  // The last query stayed in the address bar (?q=…) and runs again by itself.
  expect(new URL(page.url()).searchParams.get('q')).toBe(corpus[150]);
  await page.waitForFunction((q) => window.kfDemo.lastQuery === q, corpus[150]);
  expect(await page.inputValue('#query')).toBe(corpus[150]);
  const hits = await search(page, corpus[42]);
  expect(hits[0].text).toBe(corpus[42]);
});

test('offline after the first visit: page, package, model and index all come from the browser', async () => {
  await page.waitForFunction(() => navigator.serviceWorker?.controller !== null, null, { timeout: 30_000 });
  server.reset();
  await context.setOffline(true);
  try {
    await page.reload();
    await waitForState(page, 'ready', 60_000);
    const hits = await search(page, corpus[7]);
    expect(hits[0].text).toBe(corpus[7]);
  } finally {
    await context.setOffline(false);
  }
  expect(weightRequests()).toEqual([]);
});

test('main-thread fallback (worker=0) with an int8 index indexes in batches and answers queries', async () => {
  const p = await context.newPage();
  try {
    await p.goto(`${server.url}?corpus=60&dtype=fp32&worker=0&int8=1`);
    await waitForState(p, 'ready');
    const info = await p.evaluate(() => ({ model: window.kfDemo.model.constructor.name, size: window.kfDemo.index.size,
      source: window.kfDemo.indexSource, int8: window.kfDemo.index.int8 }));
    expect(info).toEqual({ model: 'SentenceModel', size: 60, source: 'built', int8: true });
    const hits = await search(p, corpus[59]);
    expect(hits[0]).toMatchObject({ id: 59, text: corpus[59] });
    expect(hits[0].score).toBeGreaterThan(0.99);
    const query = await model.encode(corpus[59]);
    hits.forEach((h) => expect(Math.abs(h.score - cosine(vectors[h.id], query))).toBeLessThan(0.01));
  } finally {
    await p.close();
  }
});

test('SemanticIndex save/load/deleteSaved through IndexedDB in the browser', async () => {
  const result = await page.evaluate(async () => {
    const { SemanticIndex } = await import('/js/index.js');
    const index = new SemanticIndex({ int8: true });
    await index.add([new Float32Array([1, 0, 0]), new Float32Array([0, 1, 0]), new Float32Array([1, 1, 0])], ['x', 'y', 'z']);
    index.remove('y');
    await index.save('e2e-api');
    const missing = await SemanticIndex.load('e2e-nothing-here');
    const copy = await SemanticIndex.load('e2e-api');
    const hits = await copy.search([1, 0.1, 0], 5);
    await SemanticIndex.deleteSaved('e2e-api');
    const afterDelete = await SemanticIndex.load('e2e-api');
    return { missing, size: copy.size, int8: copy.int8, ids: hits.map((h) => h.id), afterDelete };
  });
  expect(result).toEqual({ missing: null, size: 2, int8: true, ids: ['x', 'z'], afterDelete: null });
});

test('a wrong model URL shows the error state with the reason', async () => {
  const p = await context.newPage();
  try {
    await p.goto(`${server.url}?corpus=20&model=${encodeURIComponent(`${new URL(server.url).origin}/nope/`)}`);
    await waitForState(p, 'error', 60_000);
    expect(await p.textContent('#status-detail')).toMatch(/찾을 수 없습니다/);
    const detail = await p.textContent('#status-error');
    expect(detail).toMatch(/nope\/.*(404|not found)/i);
    expect(await p.isVisible('#retry')).toBe(true);
    expect(await p.isEnabled('#query')).toBe(false);
    await p.screenshot({ path: path.join(OUT, 'demo-error.png'), fullPage: true });
  } finally {
    await p.close();
  }
});
