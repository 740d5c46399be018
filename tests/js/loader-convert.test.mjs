// The Hugging Face layout quantized while it streams, and its converted package in the cache
// (js/converted_cache.js), over a real node:http server on 127.0.0.1: the float32 tiny directory loaded with
// dtype int8 must give exactly the vectors of its package written by the real kfembed-convert, the cache must
// hold that package (never the float weights), a reload must request nothing, and a corrupt cached package
// must be replaced from the float source.
import fs from 'node:fs';
import path from 'node:path';
import { load } from '../../js/index.js';
import { CONVERTED_DIR } from '../../js/converted_cache.js';
import { fakeCacheStorage, sha256 } from './fakes.mjs';
import { convertModel, encodeOnce, ensureConverter, SAMPLE_TEXTS as TEXTS, sameBytes, TINY, TINY_FILES } from './helpers.mjs';
import { startServer } from './server.mjs';

const TEXT_FILES = TINY_FILES.filter((f) => f !== 'model.safetensors');

let server;
let pkgDir;
let packaged; // vectors of the converted package loaded over http
beforeAll(async () => {
  ensureConverter();
  pkgDir = convertModel(TINY, [], 'convert-pkg');
  server = await startServer({ '/hf/': TINY, '/pkg/': pkgDir });
  packaged = await vectorsOf(server.url('/pkg/'), { cache: false });
  server.reset();
}, 300_000);
afterAll(() => server?.close());
beforeEach(() => server.reset());

const vectorsOf = (source, options = {}) => encodeOnce(source, TEXTS, { dtype: 'int8', ...options });
/** Bit-identical Float32Arrays. */
const expectPackageVectors = (vs) => {
  expect(vs).toHaveLength(packaged.length);
  vs.forEach((v, i) => expect(sameBytes(v, packaged[i])).toBe(true));
};
const root = () => server.url(`/hf/${CONVERTED_DIR}`);
// The streaming GETs of the float weights (the Range reads of their header and LayerNorms aside).
const fullGets = (p) => server.requestsFor(p).filter((r) => r.range === null);
const weightRequests = () => server.requests.filter((r) => /safetensors/.test(r.path));

describe('Hugging Face layout quantized at load, converted package cached', () => {
  test('float32 directory over http with dtype int8 = its kfembed-convert package over http, bit for bit', async () => {
    expectPackageVectors(await vectorsOf(server.url('/hf/'), { cache: false }));
    expect(fullGets('/hf/model.safetensors')).toHaveLength(1);
    // The package really is the converter's (int8 weights, manifest) and not the float files.
    const manifest = JSON.parse(fs.readFileSync(path.join(pkgDir, 'manifest.json'), 'utf8'));
    expect(manifest.files.map((f) => f.path)).toContain('model.int8.safetensors');
    expect(fs.existsSync(path.join(pkgDir, 'model.safetensors'))).toBe(false);
  });

  test('first load caches the converted package (no float weights); the second requests nothing, same vectors', async () => {
    const cache = fakeCacheStorage();
    const first = await vectorsOf(server.url('/hf/'), { cache });
    expectPackageVectors(first);
    const keys = [...cache.entries.keys()];
    expect(keys.filter((k) => /safetensors/.test(k))).toEqual([`${root()}model.int8.safetensors`]);
    expect(keys.some((k) => k.endsWith('/model.safetensors'))).toBe(false);
    expect(keys.filter((k) => !k.startsWith(root()))).toEqual([]);
    expect(keys.sort()).toEqual([...TEXT_FILES, 'model.int8.safetensors', 'provenance.json', 'manifest.json'].map((f) => `${root()}${f}`).sort());
    // Manifest written last, in the converter's format, every entry's hash the bytes' hash.
    const puts = cache.log.filter(([op]) => op === 'put').map(([, url]) => url);
    expect(puts.at(-1)).toBe(`${root()}manifest.json`);
    const manifest = JSON.parse(cache.entries.get(`${root()}manifest.json`).bytes.toString('utf8'));
    expect(manifest).toMatchObject({ format: 'kfembed', version: 1, source: server.url('/hf/'), dtype: 'int8' });
    for (const f of manifest.files) {
      const entry = cache.entries.get(`${root()}${f.path}`);
      expect([f.path, entry.bytes.length, sha256(entry.bytes)]).toEqual([f.path, f.size, f.sha256]);
    }
    for (const f of TEXT_FILES) expect(cache.entries.get(`${root()}${f}`).bytes.equals(fs.readFileSync(path.join(TINY, f)))).toBe(true);
    // Same quantizer as the converter: the cached weights differ from the package's only by "source" metadata.
    const cachedInt8 = cache.entries.get(`${root()}model.int8.safetensors`).bytes;
    expect(Math.abs(cachedInt8.length - fs.statSync(path.join(pkgDir, 'model.int8.safetensors')).size)).toBeLessThan(256);

    server.reset();
    const events = [];
    expectPackageVectors(await vectorsOf(server.url('/hf/'), { cache, onProgress: (e) => events.push(e) }));
    expect(server.requests).toEqual([]);
    expect(events.filter((e) => e.phase === 'cache-warning')).toEqual([]);
    expect(events.some((e) => e.file === 'model.int8.safetensors' && e.phase === 'cache')).toBe(true);
  });

  test('corrupt cached model.int8.safetensors: detected, package deleted, re-fetched from the float source and re-cached', async () => {
    const cache = fakeCacheStorage();
    await vectorsOf(server.url('/hf/'), { cache });
    const good = Buffer.from(cache.entries.get(`${root()}model.int8.safetensors`).bytes);
    cache.corrupt(`${root()}model.int8.safetensors`);
    server.reset();
    const events = [];
    expectPackageVectors(await vectorsOf(server.url('/hf/'), { cache, onProgress: (e) => events.push(e) }));
    expect(events.some((e) => e.phase === 'cache-warning' && /corrupt/.test(e.message))).toBe(true);
    expect(fullGets('/hf/model.safetensors').map((r) => r.status)).toEqual([200]);
    expect(cache.entries.get(`${root()}model.int8.safetensors`).bytes.equals(good)).toBe(true);
    server.reset();
    expectPackageVectors(await vectorsOf(server.url('/hf/'), { cache }));
    expect(server.requests).toEqual([]);
  });

  test('a failed write leaves no package behind (manifest never written), and the model still loads', async () => {
    const cache = fakeCacheStorage({ failPut: (url) => (url.endsWith('model.int8.safetensors') ? new DOMException('full', 'QuotaExceededError') : null) });
    const events = [];
    expectPackageVectors(await vectorsOf(server.url('/hf/'), { cache, onProgress: (e) => events.push(e) }));
    expect(events.some((e) => e.phase === 'cache-warning' && /quota/.test(e.message))).toBe(true);
    expect([...cache.entries.keys()]).toEqual([]);
  });

  test('a cached package whose files are missing falls back to the network; a foreign manifest is ignored', async () => {
    const cache = fakeCacheStorage();
    await vectorsOf(server.url('/hf/'), { cache });
    cache.entries.delete(`${root()}tokenizer.json`);
    server.reset();
    expectPackageVectors(await vectorsOf(server.url('/hf/'), { cache }));
    expect(fullGets('/hf/model.safetensors')).toHaveLength(1);
    expect(cache.entries.has(`${root()}tokenizer.json`)).toBe(true);
    // A manifest claiming another source is deleted, not trusted.
    const url = `${root()}manifest.json`;
    const e = cache.entries.get(url);
    e.bytes = Buffer.from(e.bytes.toString('utf8').replace(server.url('/hf/'), 'https://example.invalid/'));
    server.reset();
    expectPackageVectors(await vectorsOf(server.url('/hf/'), { cache }));
    expect(fullGets('/hf/model.safetensors')).toHaveLength(1);
  });

  test('dtype fp32 of the Hugging Face layout still caches the float files as they are', async () => {
    const cache = fakeCacheStorage();
    const m = await load(server.url('/hf/'), { dtype: 'fp32', cache });
    m.dispose();
    expect(cache.entries.get(server.url('/hf/model.safetensors')).bytes.equals(fs.readFileSync(path.join(TINY, 'model.safetensors')))).toBe(true);
    expect([...cache.entries.keys()].some((k) => k.startsWith(root()))).toBe(false);
  });

  test('a converted package source (manifest.json) with a cache is cached as is, not re-converted', async () => {
    const cache = fakeCacheStorage();
    expectPackageVectors(await vectorsOf(server.url('/pkg/'), { cache }));
    const keys = [...cache.entries.keys()];
    expect(keys).toContain(server.url('/pkg/model.int8.safetensors'));
    expect(keys.some((k) => k.includes(CONVERTED_DIR))).toBe(false);
  });
});
