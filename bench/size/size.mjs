// What a browser page downloads of the package: headless Chromium loads the package from /js/, runs
// load() + encode() + loadTokenizer() and this lists every package file the page fetched with its size and its
// gzip size (zlib level 6, as tests/js/threads-browser.test.mjs counts), on a cross-origin-isolated page
// (COOP + COEP: the threaded runtime) and on a plain page (the single-thread runtime), for two models: the
// tiny Hugging Face layout (int8 quantized at load, the converted package cached) and the same model converted
// to an int8 package (kfembed-convert; the usual load). A measurement, not a test: bench/size/README.md.
//   node bench/size/size.mjs [--model hf|package|both]
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { convertModel, ensureConverter, launchChromium, ROOT, TINY } from '../../tests/js/helpers.mjs';
import { startServer } from '../../tests/js/server.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const which = arg('--model', 'both');
const models = {};
if (which !== 'package') models.hf = '/tiny/';
if (which !== 'hf') {
  ensureConverter();
  models.package = '/pkg/';
}
const mounts = { '/js/': path.join(ROOT, 'js'), '/e2e/': path.join(ROOT, 'tests/e2e'), '/tiny/': TINY };
if (models.package) mounts['/pkg/'] = convertModel(TINY, [], 'size');

const isolation = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };
const servers = { isolated: await startServer(mounts, { extraHeaders: isolation }), plain: await startServer(mounts) };
const browser = await launchChromium();
const kb = (n) => (n / 1024).toFixed(1).padStart(7);

try {
  for (const [pageKind, server] of Object.entries(servers)) {
    for (const [modelKind, url] of Object.entries(models)) {
      const context = await browser.newContext(); // fresh HTTP and Cache API state
      const page = await context.newPage();
      const before = server.requests.length;
      await page.goto(server.url('/e2e/index.html'));
      await page.waitForFunction(() => window.e2eReady === true);
      const threads = await page.evaluate(async (url) => {
        const model = await window.kfembed.load(url, { threads: 2 });
        await model.encode('안녕하세요');
        const n = model.threads;
        model.dispose();
        (await window.kfembed.loadTokenizer(url)).dispose?.();
        return n;
      }, url);
      await context.close();
      const files = [...new Set(server.requests.slice(before).map((r) => r.path).filter((p) => p.startsWith('/js/')))].sort();
      let raw = 0;
      let gzip = 0;
      console.log(`\n${pageKind} page, ${modelKind === 'hf' ? 'Hugging Face layout (int8 at load)' : 'int8 package'}, threads ${threads}:`);
      for (const p of files) {
        const bytes = fs.readFileSync(path.join(ROOT, p));
        const gz = zlib.gzipSync(bytes).length;
        raw += bytes.length;
        gzip += gz;
        console.log(`  ${p.padEnd(40)} ${kb(bytes.length)} KB ${kb(gz)} KB gzip`);
      }
      console.log(`  ${`${files.length} files`.padEnd(40)} ${kb(raw)} KB ${kb(gzip)} KB gzip`);
    }
  }
} finally {
  await browser.close();
  for (const s of Object.values(servers)) await s.close();
}
