// Packaging: a minimal app importing 'kfembed' by name is bundled with esbuild (tests/bundler/build.mjs) and
// run unchanged in headless Chromium (worker mode included) and in Node; the results equal the package's own.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundle } from '../bundler/build.mjs';
import { load } from '../../js/index.js';
import { launchChromium, tempDir, TINY } from './helpers.mjs';
import { startServer } from './server.mjs';

import { jest } from '@jest/globals';

jest.setTimeout(120_000);


let expected;
beforeAll(async () => {
  const m = await load(TINY, { dtype: 'fp32' });
  const [a] = await m.encode(['한 남자가 피자를 먹는다.']);
  expected = { dim: m.dim, ids: Array.from(m.tokenize('안녕하세요?')), vector: Array.from(a) };
  m.dispose();
});

function expectSameAsPackage(result) {
  expect(result.error).toBeUndefined();
  expect(result.dim).toBe(expected.dim);
  expect(result.ids).toEqual(expected.ids);
  result.vector.forEach((x, i) => expect(Math.abs(x - expected.vector[i])).toBeLessThanOrEqual(1e-6));
  expect(result.close).toBeGreaterThan(result.far);
}

test('esbuild bundle runs in Node (file path and file: URL of the model)', async () => {
  const out = tempDir('bundle-node');
  await bundle(out, 'node');
  expect(fs.existsSync(path.join(out, 'app.mjs'))).toBe(true);
  for (const source of [TINY, pathToFileURL(TINY).href]) {
    const result = JSON.parse(execFileSync(process.execPath, [path.join(out, 'app.mjs'), source], { encoding: 'utf8' }));
    expectSameAsPackage(result);
    expect(result.phases).toEqual(['read']);
  }
});

describe('esbuild bundle in headless Chromium', () => {
  let server;
  let browser;
  beforeAll(async () => {
    const out = tempDir('bundle-web');
    await bundle(out, 'browser');
    expect(fs.readdirSync(out).sort()).toEqual(['app.js', 'index.html', 'wasm', 'worker.js']);
    server = await startServer({ '/app/': out, '/model/': TINY });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  test.each([['in-thread', '0'], ['worker', '1']])('%s', async (_, worker) => {
    const page = await browser.newPage();
    await page.goto(server.url(`/app/index.html?model=/model/&worker=${worker}`));
    await page.waitForFunction(() => window.result !== undefined, null, { timeout: 60_000 });
    const result = await page.evaluate(() => window.result);
    await page.close();
    expectSameAsPackage(result);
    expect(result.phases).toContain('download');
    if (worker === '1') expect(server.requestsFor('/app/worker.js').length).toBeGreaterThan(0);
    expect(server.requestsFor('/app/wasm/kfembed.wasm').length).toBeGreaterThan(0);
  });
});
