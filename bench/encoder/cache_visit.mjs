// A return visit in headless Chromium: the full-size int8 package from the Cache API to the first vector.
// One page fills the cache from a local server; after a reload, `visit` loads it again from the cache
// (median of --rounds reloads), with the time at which each file was read; `micro` times the steps of a
// cache read (copy into WASM memory, SHA-256 in WASM and in WebCrypto) on 188 MB.
// With --float DIR (a float Hugging Face layout, e.g. make_model.py full), also its first load without a
// cache: quantized while it streams, and the WASM heap that leaves.
//   node bench/encoder/cache_visit.mjs [--package DIR] [--rounds 5] [--float DIR] [--js DIR]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../../tests/js/helpers.mjs';
import { startServer } from '../../tests/js/server.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const pkg = arg('--package', '/tmp/kf-full-pkg');
const rounds = Number(arg('--rounds', 5));
if (!fs.existsSync(path.join(pkg, 'manifest.json'))) throw new Error(`${pkg}: no manifest.json (kfembed-convert a full model there)`);

const floatDir = arg('--float', null);
// --js DIR: another copy of the package (to time an older loader against the same runtime).
const mounts = { '/js/': arg('--js', path.join(ROOT, 'js')), '/bench/': HERE, '/pkg/': pkg };
if (floatDir) mounts['/float/'] = floatDir;
const server = await startServer(mounts);
const browser = await launchChromium();
try {
  const page = await browser.newPage();
  page.on('console', (m) => m.type() === 'error' && console.error(`page: ${m.text()}`));
  const open = async () => {
    await page.goto(server.url('/bench/cache_visit.html'));
    await page.waitForFunction(() => window.benchReady === true);
  };
  await open();
  if (floatDir) {
    const r = await page.evaluate((u) => window.visit(u, { cache: false }), server.url('/float/'));
    const size = fs.statSync(path.join(pkg, 'model.int8.safetensors')).size / 2 ** 20;
    console.log(`float layout, quantized while it streams: ${JSON.stringify(r)}; WASM heap ${(r.wasmMb / size).toFixed(2)}× the package`);
    await open();
  }
  const first = await page.evaluate((u) => window.visit(u), server.url('/pkg/'));
  console.log(`first visit (local server → Cache API): ${JSON.stringify(first)}`);
  const visits = [];
  for (let i = 0; i < rounds; i++) {
    await open();
    visits.push(await page.evaluate((u) => window.visit(u), server.url('/pkg/')));
  }
  visits.sort((a, b) => a.totalMs - b.totalMs);
  for (const v of visits) console.log(`return visit: ${JSON.stringify(v)}`);
  console.log(`median return visit to the first vector: ${visits[visits.length >> 1].totalMs} ms`);
  await open();
  console.log(`steps on 188 MB: ${JSON.stringify(await page.evaluate(() => window.micro(188)))}`);
  console.log(`cache read alone: ${JSON.stringify(await page.evaluate((u) => window.cacheRead(u), server.url('/pkg/model.int8.safetensors')))}`);
} finally {
  await browser.close();
  await server.close();
}
