// load() over HTTP through the WASM build (ModelFiles + the WASM SHA-256), against a real node:http server on
// 127.0.0.1 with injected faults: every successful load must give the same vectors as a direct load from
// disk, every failure an Error naming the URL, and an (injected) cache must never hold an unverified file.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { load } from '../../js/index.js';
import { instantiateRuntime } from '../../js/runtime.js';
import { fakeCacheStorage, sha256 } from './fakes.mjs';
import { encodeOnce, SAMPLE_TEXTS as TEXTS, tempDir, TINY, TINY_FILES as FILES, TINY_WEIGHTS as WEIGHTS } from './helpers.mjs';
import { startServer, writeManifestDir } from './server.mjs';


let server;
let reference;
beforeAll(async () => {
  const dir = tempDir('http-pkg');
  writeManifestDir(dir, TINY, FILES, { sha256 });
  server = await startServer({ '/hf/': TINY, '/pkg/': dir });
  const m = await load(TINY, { dtype: 'fp32' });
  reference = await m.encode(TEXTS);
  m.dispose();
});
afterAll(() => server.close());
beforeEach(() => server.reset());

const weightsUrl = (base = '/pkg/') => server.url(`${base}model.safetensors`);

const vectorsOf = (source, options = {}) => encodeOnce(source, TEXTS, { dtype: 'fp32', ...options });
const expectSameVectors = (vs) => vs.forEach((v, i) => expect(Array.from(v)).toEqual(Array.from(reference[i])));

describe('WASM SHA-256 (wasm/loader_bindings.cpp)', () => {
  test('matches Node crypto over WASM memory, incrementally, with any split', async () => {
    const runtime = await instantiateRuntime();
    const files = new runtime.ModelFiles();
    const at = files.allocate('x', WEIGHTS.length);
    runtime.HEAPU8.set(WEIGHTS, at);
    const h = new runtime.Sha256();
    expect(h.hexdigest()).toBe(sha256(Buffer.alloc(0)));
    for (const [step, n] of [[1, 70_000], [63, WEIGHTS.length], [64, WEIGHTS.length], [65, WEIGHTS.length], [4096, WEIGHTS.length], [1 << 20, WEIGHTS.length]]) {
      h.reset();
      for (let i = 0; i < n; i += step) h.update(at + i, Math.min(step, n - i));
      expect(h.hexdigest()).toBe(sha256(WEIGHTS.subarray(0, n)));
      expect(h.length()).toBe(n);
    }
    const t0 = performance.now();
    for (let i = 0; i < 4; i++) { h.reset(); h.update(at, WEIGHTS.length); h.hexdigest(); }
    const mbPerS = (4 * WEIGHTS.length) / 1e6 / ((performance.now() - t0) / 1000);
    console.log(`WASM SHA-256: ${mbPerS.toFixed(0)} MB/s`);
    h.delete();
    files.delete();
  });
});

describe('load() over HTTP', () => {
  test('converted layout (manifest.json) and Hugging Face layout give the disk vectors', async () => {
    const events = [];
    expectSameVectors(await vectorsOf(server.url('/pkg/'), { onProgress: (e) => events.push(e) }));
    expect(server.requests.map((r) => r.path).sort()).toEqual(['/pkg/manifest.json', ...FILES.map((f) => `/pkg/${f}`)].sort());
    for (const f of FILES) {
      const size = fs.statSync(path.join(TINY, f)).size;
      expect(events.filter((e) => e.file === f).at(-1)).toEqual({ file: f, loaded: size, total: size, phase: 'download' });
    }
    expectSameVectors(await vectorsOf(server.url('/hf/')));
  });

  test('file: URL and URL objects work in Node', async () => {
    expectSameVectors(await vectorsOf(pathToFileURL(TINY).href));
    expectSameVectors(await vectorsOf(new URL(server.url('/hf/'))));
  });

  test('connection reset mid-body: resumed by Range, identical vectors, cached once verified', async () => {
    const cache = fakeCacheStorage();
    server.fault('/pkg/model.safetensors', { type: 'reset', after: 2_000_000 });
    expectSameVectors(await vectorsOf(server.url('/pkg/'), { cache }));
    const reqs = server.requestsFor('/pkg/model.safetensors');
    expect(reqs.map((r) => r.status)).toEqual([200, 206]);
    expect(reqs[1].range).toMatch(/^bytes=[1-9]\d*-$/);
    expect(cache.entries.get(weightsUrl()).bytes.equals(WEIGHTS)).toBe(true);
  });

  test('server without Range support: restarted from 0, identical vectors', async () => {
    server.fault('/hf/model.safetensors', { type: 'reset', after: 1_500_000 });
    server.fault('/hf/model.safetensors', { type: 'ignore-range' });
    expectSameVectors(await vectorsOf(server.url('/hf/')));
    expect(server.requestsFor('/hf/model.safetensors').map((r) => r.status)).toEqual([200, 200]);
  });

  test('500 then 200', async () => {
    server.fault('/pkg/model.safetensors', { type: 'status', status: 500 });
    expectSameVectors(await vectorsOf(server.url('/pkg/')));
    expect(server.requestsFor('/pkg/model.safetensors').map((r) => r.status)).toEqual([500, 200]);
  });

  test('missing Content-Length (both layouts)', async () => {
    server.fault('/pkg/model.safetensors', { type: 'no-length' });
    expectSameVectors(await vectorsOf(server.url('/pkg/')));
    server.fault('/hf/model.safetensors', { type: 'no-length' });
    expectSameVectors(await vectorsOf(server.url('/hf/')));
  });

  test('wrong bytes: SHA-256 error with URL, expected and actual hash; nothing cached', async () => {
    const cache = fakeCacheStorage();
    server.fault('/pkg/model.safetensors', { type: 'corrupt', at: 12345 });
    const bad = Buffer.from(WEIGHTS);
    bad[12345] ^= 0xff;
    const err = await vectorsOf(server.url('/pkg/'), { cache }).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toContain(`${weightsUrl()}: SHA-256 mismatch: expected ${sha256(WEIGHTS)}, got ${sha256(bad)}`);
    expect(cache.entries.has(weightsUrl())).toBe(false);
  });

  test('404: the error names the URL; nothing cached', async () => {
    const cache = fakeCacheStorage();
    server.fault('/pkg/model.safetensors', { type: 'status', status: 404 });
    await expect(vectorsOf(server.url('/pkg/'), { cache })).rejects.toThrow(`${weightsUrl()}: HTTP 404`);
    expect(cache.entries.has(weightsUrl())).toBe(false);
    await expect(vectorsOf(server.url('/nothing-here/'))).rejects.toThrow(`${server.url('/nothing-here/config.json')}: HTTP 404`);
  });

  test('slow drip aborted via signal: AbortError promptly, nothing cached', async () => {
    const cache = fakeCacheStorage();
    server.fault('/pkg/model.safetensors', { type: 'drip', chunk: 16384, everyMs: 10 });
    const controller = new AbortController();
    const started = Date.now();
    const p = load(server.url('/pkg/'), {
      dtype: 'fp32',
      cache,
      signal: controller.signal,
      onProgress: (e) => e.file === 'model.safetensors' && e.loaded >= 200_000 && controller.abort(),
    });
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(cache.entries.has(weightsUrl())).toBe(false);
  });

  test('second load with a cache: no weight request, same vectors; corrupted entry re-fetched', async () => {
    const cache = fakeCacheStorage();
    await vectorsOf(server.url('/pkg/'), { cache });
    server.reset();
    expectSameVectors(await vectorsOf(server.url('/pkg/'), { cache }));
    expect(server.requests.map((r) => r.path)).toEqual(['/pkg/manifest.json']);
    cache.corrupt(weightsUrl());
    server.reset();
    const events = [];
    expectSameVectors(await vectorsOf(server.url('/pkg/'), { cache, onProgress: (e) => events.push(e) }));
    expect(server.requestsFor('/pkg/model.safetensors')).toHaveLength(1);
    expect(events.some((e) => e.phase === 'cache-warning' && /corrupt/.test(e.message))).toBe(true);
    expect(crypto.createHash('sha256').update(cache.entries.get(weightsUrl()).bytes).digest('hex')).toBe(sha256(WEIGHTS));
  });

  test('QuotaExceededError: the model loads, a cache-warning is reported, nothing is cached', async () => {
    const cache = fakeCacheStorage({ failPut: () => new DOMException('full', 'QuotaExceededError') });
    const events = [];
    expectSameVectors(await vectorsOf(server.url('/pkg/'), { cache, onProgress: (e) => events.push(e) }));
    expect(events.filter((e) => e.phase === 'cache-warning').length).toBeGreaterThan(0);
    expect([...cache.entries.keys()].filter((u) => !u.endsWith('manifest.json'))).toEqual([]);
  });

  test('options are checked before any request', async () => {
    await expect(load(server.url('/pkg/'), { cache: 'yes' })).rejects.toThrow(/options\.cache/);
    await expect(load(server.url('/pkg/'), { onProgress: 5 })).rejects.toThrow(/options\.onProgress/);
    expect(server.requests).toHaveLength(0);
  });
});
