// `npm start` without --model: the demo page loads the original hub repository (load()'s default source,
// quantized while it streams) and falls back to the bundled tiny model, saying so, when the hub cannot be
// reached. Headless Debian Chromium; this machine has no internet, so the hub is played by a local server
// on another origin (CORS) serving tiny's float Hugging Face layout, or is an address nothing answers.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jest } from '@jest/globals';
import { chromium } from 'playwright-core';
import { startDemoServer } from '../../demo/serve.mjs';
import { CHROMIUM, CHROMIUM_ARGS as ARGS, TINY, TINY_FILES } from '../js/helpers.mjs';
import { startServer } from '../js/server.mjs';

jest.setTimeout(180_000);

const HF_FILES = TINY_FILES; // config, float model.safetensors, tokenizer, sentence-transformers files: no manifest
const waitForState = (p, state, timeout = 120_000) =>
  p.waitForFunction((s) => document.body.dataset.state === s, state, { timeout });

let context;
let userDataDir;
const servers = [];
beforeAll(async () => {
  expect(HF_FILES).toContain('model.safetensors');
  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kfembed-demo-hub-'));
  context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, args: ARGS, locale: 'ko-KR' });
});
afterAll(async () => {
  await context?.close();
  for (const s of servers) await s.close();
  if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
});

async function visit(demo) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${demo.url}?corpus=8&sw=0`);
  await waitForState(page, 'ready');
  const info = await page.evaluate(() => ({
    source: window.kfDemo.modelSource,
    model: window.kfDemo.config.model,
    note: document.getElementById('status-note').hidden ? null : document.getElementById('status-note').textContent,
    engine: document.getElementById('engine-info').textContent,
  }));
  await page.close();
  return { ...info, errors };
}

test('an unreachable hub: the page falls back to the bundled tiny model and says so', async () => {
  const hub = 'http://127.0.0.1:9/upskyy/kf-deberta-multitask/resolve/main/'; // nothing listens on port 9
  const demo = await startDemoServer({ port: 0, modelDir: TINY, hub });
  servers.push(demo);
  const info = await visit(demo);
  expect(info).toMatchObject({ source: 'fallback', model: hub, errors: [] });
  expect(info.note).toMatch(/실제 모델.*불러올 수 없어.*무작위 가중치/);
  expect(info.engine).toContain(`${new URL(demo.url).origin}/model/`);
  expect(demo.requests.some((r) => /^\/model\/.*safetensors$/.test(r.path))).toBe(true);
});

test('a reachable hub (a local server in its place): the real-model path, streamed and quantized, then cached', async () => {
  const hubServer = await startServer({ '/hf/': TINY }, {
    extraHeaders: { 'access-control-allow-origin': '*', 'access-control-expose-headers': 'content-range, etag, content-length, x-repo-commit' },
  });
  servers.push(hubServer);
  const hub = hubServer.url('/hf/');
  const demo = await startDemoServer({ port: 0, modelDir: TINY, hub });
  servers.push(demo);
  const info = await visit(demo);
  expect(info).toMatchObject({ source: 'model', model: hub, errors: [] });
  expect(info.note ?? '').not.toMatch(/불러올 수 없어/);
  expect(info.engine).toContain(hub);
  // The float weights were streamed (Range reads of the header and LayerNorms, one full GET) and never
  // touched the fallback.
  const weights = hubServer.requestsFor('/hf/model.safetensors').filter((r) => r.method === 'GET');
  expect(weights.filter((r) => r.range === null)).toHaveLength(1);
  expect(weights.filter((r) => r.range !== null).length).toBeGreaterThan(0);
  expect(demo.requests.some((r) => r.path.startsWith('/model/') && r.path.endsWith('safetensors'))).toBe(false);
  // A return visit runs from the cached converted package: nothing from the hub (within the revalidate interval).
  hubServer.reset();
  const again = await visit(demo);
  expect(again.source).toBe('model');
  expect(hubServer.requests.filter((r) => r.method === 'GET')).toEqual([]);
});
