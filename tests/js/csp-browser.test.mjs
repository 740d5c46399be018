// The package under a strict Content-Security-Policy (headless Debian Chromium, playwright-core): every
// response carries `script-src 'self' 'wasm-unsafe-eval'` (no 'unsafe-eval': no eval, no new Function), the
// CSP README.md tells sites to use. load() + encode() in the page and in the Worker (whose CSP comes from
// worker.js's own response) give the Node vectors, with no CSP violation reported. A page whose policy also
// lacks 'wasm-unsafe-eval' shows the test can fail: WebAssembly compilation is refused there.
import path from 'node:path';
import { load } from '../../js/index.js';
import { launchChromium, ROOT, TINY } from './helpers.mjs';
import { startServer } from './server.mjs';

import { jest } from '@jest/globals';

jest.setTimeout(120_000);

const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; object-src 'none'; base-uri 'none'";
const TEXTS = ['한 남자가 피자를 먹는다.', '비행기가 이륙하고 있다.', ''];

let strict;
let noWasm;
let browser;
let reference;

beforeAll(async () => {
  const mounts = { '/js/': path.join(ROOT, 'js'), '/e2e/': path.join(ROOT, 'tests/e2e'), '/hf/': TINY };
  strict = await startServer(mounts, { extraHeaders: { 'content-security-policy': CSP } });
  noWasm = await startServer(mounts, { extraHeaders: { 'content-security-policy': "script-src 'self'" } });
  browser = await launchChromium();
  const m = await load(TINY, { dtype: 'fp32' });
  reference = (await m.encode(TEXTS)).map((v) => Array.from(v));
  m.dispose();
});

afterAll(async () => {
  await browser?.close();
  await strict?.close();
  await noWasm?.close();
});

/** tests/e2e/csp.html on `server` (the scenario runs from page script) → window.cspResult, page errors. */
async function runPage(server, query) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  await page.goto(server.url(`/e2e/csp.html?model=/hf/&${query}`));
  await page.waitForFunction(() => window.cspResult !== undefined, null, { timeout: 90_000 });
  const result = await page.evaluate(() => window.cspResult);
  await context.close();
  return { result, problems };
}

test.each([['in the page', ''], ['in the Worker', 'worker=1']])(
  "script-src 'self' 'wasm-unsafe-eval': load and encode %s give the Node vectors, no violation", async (_, query) => {
    const { result, problems } = await runPage(strict, query);
    expect(result.error).toBeUndefined();
    expect(result.violations).toEqual([]);
    expect(problems).toEqual([]);
    result.vectors.forEach((v, i) => v.forEach((x, j) => expect(Math.abs(x - reference[i][j])).toBeLessThanOrEqual(1e-5)));
    expect(result.ids[0]).toBe(2);
    expect(result.tokenizerIds).toEqual(result.ids);
    expect(result.tokens[0]).toBe('[CLS]');
    expect(result.tokens).toHaveLength(result.ids.length);
    expect(result.hits.map((h) => h.id)).toEqual([1, expect.any(Number)]);
    expect(result.hits[0].score).toBeCloseTo(1, 5);
  });

test("without 'wasm-unsafe-eval' the WebAssembly compile is refused (the policy is enforced)", async () => {
  const { result } = await runPage(noWasm, '');
  expect(result.error).toMatch(/WebAssembly|Content Security Policy|unsafe-eval/i);
  expect(result.violations.length).toBeGreaterThan(0);
});
