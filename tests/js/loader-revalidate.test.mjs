// Revalidation of a cached converted package (js/converted_cache.js): it records its source files'
// validators; a load past the `revalidate` interval asks the source (HEAD, no body); a changed ETag means the
// package is converted again and the new vectors are used; unchanged means no body request; within the
// interval no request at all; a server that is down leaves the cached model loading.
import fs from 'node:fs';
import path from 'node:path';
import { load } from '../../js/index.js';
import { CONVERTED_DIR, PROVENANCE_FILE } from '../../js/converted_cache.js';
import { fakeCacheStorage } from './fakes.mjs';
import { encodeOnce, SAMPLE_TEXTS as TEXTS, sameBytes, tempDir, TINY, TINY_FILES } from './helpers.mjs';
import { startServer } from './server.mjs';

/** Tiny's weights with embeddings.LayerNorm.bias shifted: same size, other vectors. */
function otherWeights() {
  const bytes = Buffer.from(fs.readFileSync(path.join(TINY, 'model.safetensors')));
  const n = Number(bytes.readBigUInt64LE(0));
  const { data_offsets: [begin, end] } = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'))['embeddings.LayerNorm.bias'];
  for (let at = 8 + n + begin; at < 8 + n + end; at += 4) bytes.writeFloatLE(bytes.readFloatLE(at) + 0.5, at);
  return bytes;
}

let v1; // int8 vectors of tiny
let v2; // of the other weights
let dir; // the served copy of tiny (its weights replaced by some tests)
let server;
beforeAll(async () => {
  v1 = await encodeOnce(TINY, TEXTS, { dtype: 'int8' });
  const other = tempDir('revalidate-v2', TINY, TINY_FILES.filter((f) => f !== 'model.safetensors'));
  fs.writeFileSync(path.join(other, 'model.safetensors'), otherWeights());
  v2 = await encodeOnce(other, TEXTS, { dtype: 'int8' });
  expect(sameBytes(v1[0], v2[0])).toBe(false);
}, 120_000);
beforeEach(async () => {
  dir = tempDir('revalidate', TINY, TINY_FILES);
  server = await startServer({ '/hf/': dir });
});
afterEach(() => server?.close());

const url = () => server.url('/hf/');
const vectorsOf = (options) => encodeOnce(url(), TEXTS, { dtype: 'int8', ...options });
const same = (got, want) => got.length === want.length && got.every((v, i) => sameBytes(v, want[i]));

/** The served weights become another version: other bytes, same size, a later mtime (so another ETag). */
function publishNewVersion() {
  const file = path.join(dir, 'model.safetensors');
  fs.writeFileSync(file, otherWeights());
  const later = new Date(Date.now() + 60_000);
  fs.utimesSync(file, later, later);
}

describe('revalidation of a cached converted package', () => {
  test('it records the source files\' validators; unchanged: HEADs only, no body; within the interval: no request', async () => {
    const cache = fakeCacheStorage();
    expect(same(await vectorsOf({ cache }), v1)).toBe(true);
    const provenance = JSON.parse(cache.entries.get(`${url()}${CONVERTED_DIR}${PROVENANCE_FILE}`).bytes.toString('utf8'));
    const size = fs.statSync(path.join(TINY, 'model.safetensors')).size;
    expect(provenance.files['model.safetensors']).toMatchObject({ etag: expect.stringMatching(/^"/), size });
    expect(provenance.files['config.json']).toMatchObject({ etag: expect.any(String) });

    server.reset();
    expect(same(await vectorsOf({ cache, revalidate: 0 }), v1)).toBe(true);
    expect(server.requests.length).toBeGreaterThan(0);
    expect(server.requests.every((r) => r.method === 'HEAD' && r.status === 200)).toBe(true);

    server.reset();
    expect(same(await vectorsOf({ cache }), v1)).toBe(true); // default interval: one day
    expect(server.requests).toEqual([]);
  });

  test('a changed ETag: converted again, the new vectors used and cached', async () => {
    const cache = fakeCacheStorage();
    expect(same(await vectorsOf({ cache }), v1)).toBe(true);
    publishNewVersion();
    server.reset();
    // Within the interval nothing is asked: the old package still runs.
    expect(same(await vectorsOf({ cache }), v1)).toBe(true);
    expect(server.requests).toEqual([]);
    const events = [];
    expect(same(await vectorsOf({ cache, revalidate: 0, onProgress: (e) => events.push(e) }), v2)).toBe(true);
    expect(events.some((e) => e.phase === 'cache-warning' && /changed since it was converted/.test(e.message))).toBe(true);
    expect(server.requestsFor('/hf/model.safetensors').filter((r) => r.method === 'GET' && r.range === null)).toHaveLength(1);
    server.reset();
    expect(same(await vectorsOf({ cache }), v2)).toBe(true);
    expect(server.requests).toEqual([]);
  });

  test('server down: the cached model loads (with a warning), and is checked again next time', async () => {
    const cache = fakeCacheStorage();
    expect(same(await vectorsOf({ cache }), v1)).toBe(true);
    const base = url();
    await server.close();
    server = null;
    const events = [];
    const got = await encodeOnce(base, TEXTS, { dtype: 'int8', cache, revalidate: 0, onProgress: (e) => events.push(e) });
    expect(same(got, v1)).toBe(true);
    expect(events.some((e) => e.phase === 'cache-warning' && /could not check for a new version/.test(e.message))).toBe(true);
  });

  test('a server error while checking keeps the cached package', async () => {
    const cache = fakeCacheStorage();
    expect(same(await vectorsOf({ cache }), v1)).toBe(true);
    server.reset();
    server.fault('/hf/model.safetensors', { type: 'status', status: 503 });
    expect(same(await vectorsOf({ cache, revalidate: 0 }), v1)).toBe(true);
    expect(server.requests.every((r) => r.method === 'HEAD')).toBe(true);
  });

  test('revalidate must be seconds ≥ 0', async () => {
    await expect(load(url(), { revalidate: -1 })).rejects.toThrow(/load options.revalidate/);
    await expect(load(url(), { revalidate: '1d' })).rejects.toThrow(/load options.revalidate/);
  });
});
