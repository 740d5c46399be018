// The threaded runtime in headless Chromium. On a cross-origin-isolated page (COOP same-origin + COEP
// require-corp) load(…, { threads }) runs that many threads and the vectors are byte-identical for 1, 2 and 3
// threads — tiny and base2 (the real geometry), fp32 and int8, one text at a time and in packed batches, in the
// page and in worker mode; an isolated page downloads the threaded runtime only (neither kfembed.wasm nor
// kfembed.mjs), within issue 13's 350 KB gzip with the package's JS (measured 327–330 KB with the relaxed-SIMD module for shared memory and its worker bootstrap;
// bench/size/README.md). On a
// page that is not isolated the same call loads single-threaded (model.threads === 1) without an error.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { base2Dir, FIXTURES, launchChromium, readJson, ROOT, TINY } from './helpers.mjs';
import { startServer } from './server.mjs';

import { jest } from '@jest/globals';

jest.setTimeout(600_000);

const ISOLATION = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };
const TINY_TEXTS = readJson(path.join(FIXTURES, 'golden/tiny-embed-dev.json')).texts.slice(0, 40);
const BASE2_GOLDEN = readJson(path.join(FIXTURES, 'golden/base2-embed-dev.json'));

let isolated;
let plain;
let browser;

async function openPage(server) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(server.url('/e2e/index.html'));
  await page.waitForFunction(() => window.e2eReady === true);
  return page;
}

beforeAll(async () => {
  const mounts = { '/js/': path.join(ROOT, 'js'), '/e2e/': path.join(ROOT, 'tests/e2e'), '/tiny/': TINY, '/base2/': await base2Dir() };
  isolated = await startServer(mounts, { extraHeaders: ISOLATION });
  plain = await startServer(mounts);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await isolated?.close();
  await plain?.close();
});

/** In the page: for each thread count, the vectors of `texts` (one by one, then one batch) as hex strings. */
function vectorsPerThreadCount(page, url, texts, options, counts = [1, 2, 3]) {
  return page.evaluate(async ({ url, texts, options, counts }) => {
    const hex = (v) => Array.from(new Uint8Array(v.buffer, v.byteOffset, v.byteLength), (b) => b.toString(16).padStart(2, '0')).join('');
    const out = {};
    for (const threads of counts) {
      const model = await window.kfembed.load(url, { cache: false, ...options, threads });
      const single = [];
      for (const t of texts) single.push(hex(await model.encode(t)));
      const batch = (await model.encode(texts)).map(hex);
      out[threads] = { threads: model.threads, vectors: [...single, ...batch] };
      model.dispose();
    }
    return { isolated: window.crossOriginIsolated, out };
  }, { url, texts, options, counts });
}

function expectIdentical(r, counts = [1, 2, 3]) {
  expect(r.isolated).toBe(true);
  for (const n of counts) {
    expect(r.out[n].threads).toBe(n);
    expect(r.out[n].vectors).toEqual(r.out[1].vectors);
  }
}

test('isolated page, tiny: fp32 and int8 vectors are identical for 1, 2 and 3 threads', async () => {
  const page = await openPage(isolated);
  for (const dtype of ['fp32', 'int8']) expectIdentical(await vectorsPerThreadCount(page, '/tiny/', TINY_TEXTS, { dtype }));
  await page.context().close();
});

test('isolated page, base2 (768 / 12 heads / 3072): int8 and fp32 identical for 1, 2 and 3 threads', async () => {
  const page = await openPage(isolated);
  const texts = BASE2_GOLDEN.texts.filter((_, i) => BASE2_GOLDEN.max_seq_length[i] === 128).slice(0, 16);
  for (const dtype of ['int8', 'fp32']) {
    expectIdentical(await vectorsPerThreadCount(page, '/base2/', texts, { dtype, maxSeqLength: 128 }));
  }
  await page.context().close();
});

test('isolated page, worker mode: the worker runs the threads, same vectors as one thread', async () => {
  const page = await openPage(isolated);
  const r = await vectorsPerThreadCount(page, '/tiny/', TINY_TEXTS.slice(0, 8), { worker: true }, [1, 2]);
  expectIdentical(r, [1, 2]);
  await page.context().close();
});

test('a page that is not cross-origin isolated loads single-threaded, without an error', async () => {
  const page = await openPage(plain);
  const r = await vectorsPerThreadCount(page, '/tiny/', TINY_TEXTS.slice(0, 8), {}, [2]);
  expect(r.isolated).toBe(false);
  expect(r.out[2].threads).toBe(1);
  await page.context().close();
});

test('an isolated page downloads one runtime, the threaded one, at most 350 KB gzip with the JS', async () => {
  const start = isolated.requests.length;
  const page = await openPage(isolated);
  const before = isolated.requests.length;
  await page.evaluate(async () => {
    const model = await window.kfembed.load('/tiny/', { cache: false, threads: 2 });
    await model.encode('안녕하세요');
    model.dispose();
    const tok = await window.kfembed.loadTokenizer('/tiny/');
    tok.dispose?.();
  });
  // The package's files this page fetched: its module graph (loaded with the page), the runtime, and what
  // load() and loadTokenizer() imported. No page of this file (worker mode included) fetched the other runtime.
  const fetched = new Set(isolated.requests.slice(start).filter((r) => r.path.startsWith('/js/')).map((r) => r.path));
  expect(fetched.has('/js/wasm/kfembed_threads.wasm')).toBe(true);
  const everFetched = new Set(isolated.requests.map((r) => r.path));
  expect(everFetched.has('/js/wasm/kfembed.wasm')).toBe(false);
  expect(everFetched.has('/js/wasm/kfembed.mjs')).toBe(false);
  let gzip = 0;
  for (const p of fetched) gzip += zlib.gzipSync(fs.readFileSync(path.join(ROOT, p))).length;
  console.log(`isolated page fetched ${fetched.size} package files, ${(gzip / 1024).toFixed(1)} KB gzip (${isolated.requests.length - before} requests in the load)`);
  expect(gzip).toBeLessThanOrEqual(350 * 1024);
  await page.context().close();
});

// The relaxed-SIMD kernels in the threaded runtime: the main thread's probe picks them, so every pthread worker
// must have them wired into its own instance (wasm/relaxed_pre.js), or a column block would call a stub. The
// page's WebAssembly.instantiate is wrapped so the relaxed module's probe answers u8×s8 whatever this CPU does;
// the kernels then run in every thread. Where the CPU's relaxed dot is exactly u8×s8 (AVX-VNNI) the vectors
// equal SIMD128's; elsewhere (this VM's pmaddubsw saturates) they differ from SIMD128's — proof the relaxed
// kernels ran — and in both cases they are identical for 1, 2 and 3 threads.
test('isolated page, base2 int8 with the relaxed-SIMD kernels forced: the workers run them, same bytes for 1, 2, 3 threads', async () => {
  const page = await openPage(isolated);
  const texts = BASE2_GOLDEN.texts.filter((_, i) => BASE2_GOLDEN.max_seq_length[i] === 128).slice(0, 6);
  const options = { dtype: 'int8', maxSeqLength: 128 };
  const genuine = await page.evaluate(async (options) => {
    const model = await window.kfembed.load('/base2/', { cache: false, ...options, threads: 2 });
    const backend = model.backend;
    model.dispose();
    return backend;
  }, options);
  const simd128 = await vectorsPerThreadCount(page, '/base2/', texts, { ...options, relaxedSimd: false }, [1]);
  await page.evaluate(() => {
    const instantiate = WebAssembly.instantiate;
    WebAssembly.instantiate = async function (module, imports) {
      const result = await instantiate.call(this, module, imports);
      const relaxed = module instanceof WebAssembly.Module &&
        WebAssembly.Module.exports(module).some((e) => e.name === 'gemm_u8s8');
      return relaxed ? { exports: { ...result.exports, probe: () => 1 } } : result;
    };
  });
  const backends = await page.evaluate(async (options) => {
    const out = [];
    for (const threads of [1, 2, 3]) {
      const model = await window.kfembed.load('/base2/', { cache: false, ...options, threads });
      out.push(model.backend);
      model.dispose();
    }
    return out;
  }, options);
  expect(backends).toEqual(['wasm-relaxed-simd', 'wasm-relaxed-simd', 'wasm-relaxed-simd']);
  const forced = await vectorsPerThreadCount(page, '/base2/', texts, options);
  expectIdentical(forced);
  console.log(`relaxed kernels forced in ${texts.length * 2} vectors × 3 thread counts; this CPU's own probe chose ${genuine}`);
  if (genuine === 'wasm-relaxed-simd') expect(forced.out[1].vectors).toEqual(simd128.out[1].vectors);
  else expect(forced.out[1].vectors).not.toEqual(simd128.out[1].vectors);
  await page.context().close();
});
