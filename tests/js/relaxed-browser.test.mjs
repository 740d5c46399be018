// The relaxed-SIMD int8 kernels in headless Chromium (which runs relaxed SIMD): model.backend is
// 'wasm-relaxed-simd' exactly where the engine's relaxed dot is exact (checked here independently of the
// runtime's probe, on a one-instruction module), and encode() gives the very bytes of relaxedSimd: false on
// the golden texts of the tiny model and of base2 (the real geometry), one text at a time and in packed
// batches, in the page and in worker mode. (V8 on x86 without AVX-VNNI lowers the instruction to the
// saturating pmaddubsw: there the expected backend is SIMD128.) In Node 20 (no final relaxed opcodes) the
// load falls back to SIMD128 and says so.
import path from 'node:path';
import { load } from '../../js/index.js';
import { base2Dir, FIXTURES, launchChromium, readJson, ROOT, TINY } from './helpers.mjs';
import { startServer } from './server.mjs';

import { jest } from '@jest/globals';

jest.setTimeout(300_000);

const TINY_TEXTS = readJson(path.join(FIXTURES, 'golden/tiny-embed-dev.json')).texts;
const BASE2_GOLDEN = readJson(path.join(FIXTURES, 'golden/base2-embed-dev.json'));

// clang-19 -mrelaxed-simd of: dot(p) { p[3] = i32x4.relaxed_dot_i8x16_i7x16_add_s(p[0], p[1], p[2]) }.
const ONE_DOT_WASM = 'AGFzbQEAAAABBQFgAX8AAg8BA2VudgZtZW1vcnkCAAEDAgEABAUBcAEBAQYHAX8BQYAICwcHAQNkb3QAAAofAR0AIAAgAP0ABAAgAP0ABBAgAP0ABCD9kwL9CwQwCw==';

let server;
let browser;
let page;
let expectedBackend;

beforeAll(async () => {
  server = await startServer({
    '/js/': path.join(ROOT, 'js'),
    '/e2e/': path.join(ROOT, 'tests/e2e'),
    '/tiny/': TINY,
    '/base2/': await base2Dir(),
  });
  browser = await launchChromium();
  const context = await browser.newContext();
  page = await context.newPage();
  await page.goto(server.url('/e2e/index.html'));
  await page.waitForFunction(() => window.e2eReady === true);
  // a = −128, b = 0xFF: u8×s8 gives −130,560 per lane, s8×s8 +512, pmaddubsw −65,536 (saturated).
  const lane = await page.evaluate(async (b64) => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    if (!WebAssembly.validate(bytes)) return null;
    const { instance } = await WebAssembly.instantiate(bytes, { env: { memory } });
    new Int8Array(memory.buffer, 0, 16).fill(-128);
    new Uint8Array(memory.buffer, 16, 16).fill(0xff);
    instance.exports.dot(0);
    return new Int32Array(memory.buffer, 48, 1)[0];
  }, ONE_DOT_WASM);
  expectedBackend = lane === -130560 || lane === 512 ? 'wasm-relaxed-simd' : 'wasm-simd128';
  console.log(`Chromium's relaxed dot gives ${lane} per lane here: expecting ${expectedBackend}`);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/**
 * In the page: loads `url` with relaxed SIMD and without, encodes `texts` one by one and as one batch with
 * each, and compares the float bytes. Returns the backends and the count of differing vectors.
 */
function compareBackends(url, texts, options = {}) {
  return page.evaluate(async ({ url, texts, options }) => {
    const run = async (relaxedSimd) => {
      const model = await window.kfembed.load(url, { cache: false, ...options, relaxedSimd });
      const single = [];
      for (const t of texts) single.push(await model.encode(t));
      const batch = await model.encode(texts);
      const backend = model.backend;
      model.dispose();
      return { backend, vectors: [...single, ...batch] };
    };
    const relaxed = await run(true);
    const simd128 = await run(false);
    const bits = (v) => new Uint32Array(v.buffer, v.byteOffset, v.length);
    let differing = 0;
    relaxed.vectors.forEach((v, i) => {
      const a = bits(v), b = bits(simd128.vectors[i]);
      if (a.length !== b.length || a.some((x, j) => x !== b[j])) differing++;
    });
    return { backends: [relaxed.backend, simd128.backend], compared: relaxed.vectors.length, differing };
  }, { url, texts, options });
}

test('the relaxed module validates in Chromium and the backend follows the engine semantics', async () => {
  const { valid, backend } = await page.evaluate(async () => {
    const bytes = new Uint8Array(await (await fetch('/js/wasm/kfembed_relaxed.wasm')).arrayBuffer());
    const model = await window.kfembed.load('/tiny/', { cache: false });
    const backend = model.backend;
    model.dispose();
    return { valid: WebAssembly.validate(bytes), backend };
  });
  expect(valid).toBe(true);
  expect(backend).toBe(expectedBackend);
});

test('tiny: relaxed SIMD gives the bytes of SIMD128 (single and packed batches)', async () => {
  const r = await compareBackends(server.url('/tiny/'), TINY_TEXTS);
  expect(r.backends).toEqual([expectedBackend, 'wasm-simd128']);
  expect(r.compared).toBe(2 * TINY_TEXTS.length);
  expect(r.differing).toBe(0);
});

test('base2 (768 / 3072): relaxed SIMD gives the bytes of SIMD128 at max_seq_length 128 and 512', async () => {
  for (const maxSeqLength of [128, 512]) {
    const texts = BASE2_GOLDEN.texts.filter((_, i) => BASE2_GOLDEN.max_seq_length[i] === maxSeqLength);
    const r = await compareBackends(server.url('/base2/'), texts, { maxSeqLength });
    expect(r.backends).toEqual([expectedBackend, 'wasm-simd128']);
    expect(r.compared).toBe(2 * texts.length);
    expect(r.differing).toBe(0);
  }
});

test('fp32 models report SIMD128 (no int8 GEMM runs)', async () => {
  const backend = await page.evaluate(async () => {
    const model = await window.kfembed.load('/tiny/', { cache: false, dtype: 'fp32' });
    const b = model.backend;
    model.dispose();
    return b;
  });
  expect(backend).toBe('wasm-simd128');
});

test('worker mode reports the backend that runs in the worker, with the same vectors', async () => {
  const r = await page.evaluate(async (texts) => {
    const out = {};
    for (const relaxedSimd of [true, false]) {
      const model = await window.kfembed.load('/tiny/', { cache: false, worker: true, relaxedSimd });
      out[relaxedSimd] = { backend: model.backend, vectors: (await model.encode(texts)).map((v) => Array.from(new Uint32Array(v.buffer))) };
      model.dispose();
    }
    return out;
  }, TINY_TEXTS.slice(0, 8));
  expect(r.true.backend).toBe(expectedBackend);
  expect(r.false.backend).toBe('wasm-simd128');
  expect(r.true.vectors).toEqual(r.false.vectors);
});

test('Node: falls back to SIMD128 where the engine rejects the relaxed opcodes, and says so', async () => {
  const model = await load(TINY);
  const nodeMajor = Number(process.versions.node.split('.')[0]);
  if (nodeMajor < 21) expect(model.backend).toBe('wasm-simd128');
  else expect(['wasm-relaxed-simd', 'wasm-simd128']).toContain(model.backend);
  const v = await model.encode('한국어 문장');
  model.dispose();
  const plain = await load(TINY, { relaxedSimd: false });
  expect(plain.backend).toBe('wasm-simd128');
  expect(Buffer.from((await plain.encode('한국어 문장')).buffer)).toEqual(Buffer.from(v.buffer));
  plain.dispose();
  await expect(load(TINY, { relaxedSimd: 'yes' })).rejects.toThrow('load options.relaxedSimd: expected a boolean');
});
