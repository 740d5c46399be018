// The loader without WASM: resumable downloads, manifest reading, SHA-256 verification and the Cache API
// logic, against a real node:http server on 127.0.0.1 with injected faults. The model files land in a fake
// heap (growth detaches old views, like WASM memory) and are hashed by Node's crypto, so every byte path is
// the one the WASM build uses; tests/js/loader-http.test.mjs repeats the important cases through load().
import fs from 'node:fs';
import path from 'node:path';
import { CACHE_NAME, openModelCache, SHA256_HEADER } from '../../js/cache.js';
import { downloadResumable } from '../../js/fetch_resume.js';
import { progressReporter } from '../../js/progress.js';
import { FileLoader, gatherModelFiles, WasmFileSink } from '../../js/loader.js';
import { parseManifest } from '../../js/manifest.js';
import { openSource } from '../../js/source.js';
import { fakeCacheStorage, fakeMemory, sha256 } from './fakes.mjs';
import { sameBytes, tempDir, TINY, TINY_FILES as FILES, TINY_WEIGHTS as WEIGHTS } from './helpers.mjs';
import { startServer, writeManifestDir } from './server.mjs';

const FAST = { baseDelayMs: 5, maxDelayMs: 20 };

let server;
let pkgDir;
beforeAll(async () => {
  pkgDir = tempDir('pkg');
  writeManifestDir(pkgDir, TINY, FILES, { sha256 });
  server = await startServer({ '/hf/': TINY, '/pkg/': pkgDir });
});
afterAll(() => server.close());
beforeEach(() => server.reset());

/** Loads a whole model directory into a fake heap; returns what the loader saw. */
async function loadAll(base, { cache = null, onProgress, signal, retry = FAST } = {}) {
  const memory = fakeMemory();
  const source = await openSource(server.url(base), { retry });
  const events = [];
  const progress = (e) => {
    events.push(e);
    onProgress?.(e);
  };
  const store = cache ? await openModelCache(cache, (message) => progress({ phase: 'cache-warning', message })) : null;
  const loader = new FileLoader({ source, memory, cache: store, onProgress: progress, signal });
  try {
    const { manifest } = await gatherModelFiles(loader);
    return { memory, loader, manifest, events };
  } finally {
    loader.close();
  }
}


/** A sink over a plain growable JS buffer. */
function arraySink() {
  const sink = {
    begins: [],
    bytes: new Uint8Array(0),
    length: 0,
    begin(total) {
      sink.begins.push(total);
      sink.bytes = new Uint8Array(total ?? 0);
      sink.length = 0;
    },
    write(offset, chunk) {
      expect(offset).toBe(sink.length);
      if (offset + chunk.length > sink.bytes.length) {
        const next = new Uint8Array(Math.max(offset + chunk.length, sink.bytes.length * 2));
        next.set(sink.bytes);
        sink.bytes = next;
      }
      sink.bytes.set(chunk, offset);
      sink.length = offset + chunk.length;
    },
    end(length) {
      sink.bytes = sink.bytes.slice(0, length);
    },
  };
  return sink;
}

describe('downloadResumable', () => {
  const url = () => server.url('/hf/model.safetensors');

  test('plain download: bytes, progress cadence (≤ 1% steps, final 100%)', async () => {
    const sink = arraySink();
    const events = [];
    const n = await downloadResumable(url(), sink, { file: 'model.safetensors', onProgress: (e) => events.push(e) });
    expect(n).toBe(WEIGHTS.length);
    expect(sameBytes(sink.bytes, WEIGHTS)).toBe(true);
    expect(events.at(-1)).toEqual({ file: 'model.safetensors', loaded: WEIGHTS.length, total: WEIGHTS.length, phase: 'download' });
    expect(events.every((e) => e.total === WEIGHTS.length && e.phase === 'download')).toBe(true);
    // Every 1% of the file produced an event (chunks may be larger than 1%: then one per chunk).
    const loaded = events.map((e) => e.loaded);
    expect(loaded).toEqual([...loaded].sort((a, b) => a - b));
  });

  test('connection reset mid-body resumes with Range from the last byte', async () => {
    server.fault('/hf/model.safetensors', { type: 'reset', after: 1_000_000 });
    const sink = arraySink();
    const events = [];
    await downloadResumable(url(), sink, { retry: FAST, onProgress: (e) => events.push(e) });
    expect(sameBytes(sink.bytes, WEIGHTS)).toBe(true);
    const reqs = server.requestsFor('/hf/model.safetensors');
    expect(reqs).toHaveLength(2);
    expect(reqs[1].range).toMatch(/^bytes=\d+-$/);
    const resumedAt = Number(/\d+/.exec(reqs[1].range)[0]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(1_000_000);
    expect(reqs[1].status).toBe(206);
    expect(sink.begins).toEqual([WEIGHTS.length]); // never restarted
    expect(events.some((e) => e.phase === 'retry' && /connection lost after/.test(e.reason))).toBe(true);
  });

  test('a server that ignores Range: the 200 restarts the file from byte 0', async () => {
    server.fault('/hf/model.safetensors', { type: 'reset', after: 700_000 });
    server.fault('/hf/model.safetensors', { type: 'ignore-range' });
    const sink = arraySink();
    await downloadResumable(url(), sink, { retry: FAST });
    expect(sameBytes(sink.bytes, WEIGHTS)).toBe(true);
    const reqs = server.requestsFor('/hf/model.safetensors');
    expect(reqs.map((r) => r.status)).toEqual([200, 200]);
    expect(reqs[1].range).not.toBeNull();
    expect(sink.begins).toEqual([WEIGHTS.length, WEIGHTS.length]);
  });

  test('several resets in a row still finish; each retry waits longer', async () => {
    for (const after of [300_000, 200_000, 100_000]) server.fault('/hf/model.safetensors', { type: 'reset', after });
    const sink = arraySink();
    const retries = [];
    await downloadResumable(url(), sink, { retry: FAST, onProgress: (e) => e.phase === 'retry' && retries.push(e) });
    expect(sameBytes(sink.bytes, WEIGHTS)).toBe(true);
    expect(retries).toHaveLength(3);
    expect(server.requestsFor('/hf/model.safetensors').slice(1).every((r) => r.status === 206)).toBe(true);
  });

  test('500 then 200: retried', async () => {
    server.fault('/hf/model.safetensors', { type: 'status', status: 500 });
    server.fault('/hf/model.safetensors', { type: 'status', status: 503 });
    const sink = arraySink();
    await downloadResumable(url(), sink, { retry: FAST });
    expect(sameBytes(sink.bytes, WEIGHTS)).toBe(true);
    expect(server.requestsFor('/hf/model.safetensors').map((r) => r.status)).toEqual([500, 503, 200]);
  });

  test('persistent 500: bounded attempts, error names the URL and the status', async () => {
    server.fault('/hf/model.safetensors', { type: 'status', status: 500, times: 100 });
    await expect(downloadResumable(url(), arraySink(), { retry: FAST }))
      .rejects.toThrow(new RegExp(`${url()}: HTTP 500.*gave up after 5 attempts`));
    expect(server.requestsFor('/hf/model.safetensors')).toHaveLength(5);
  });

  test('404: immediate error naming the URL (optional → null)', async () => {
    const missing = server.url('/hf/nope.bin');
    await expect(downloadResumable(missing, arraySink(), { retry: FAST })).rejects.toThrow(`${missing}: HTTP 404`);
    expect(server.requestsFor('/hf/nope.bin')).toHaveLength(1);
    expect(await downloadResumable(missing, arraySink(), { optional: true })).toBeNull();
  });

  test('no Content-Length: size learnt at the end', async () => {
    server.fault('/hf/model.safetensors', { type: 'no-length' });
    const sink = arraySink();
    expect(await downloadResumable(url(), sink)).toBe(WEIGHTS.length);
    expect(sink.begins).toEqual([null]);
    expect(sameBytes(sink.bytes, WEIGHTS)).toBe(true);
  });

  test('expected size contradicting Content-Length is an error', async () => {
    await expect(downloadResumable(url(), arraySink(), { expectedSize: 10 }))
      .rejects.toThrow(/Content-Length 5656040 differs from the expected size 10/);
  });

  test('network error before any byte (refused connection) is retried, then reported', async () => {
    const dead = await startServer({});
    const deadUrl = dead.url('/x.bin');
    await dead.close();
    await expect(downloadResumable(deadUrl, arraySink(), { retry: { ...FAST, attempts: 2 } }))
      .rejects.toThrow(new RegExp(`${deadUrl}: request failed.*gave up after 3 attempts`));
  });

  /**
   * Downloads a dripping body (`chunk` bytes every `everyMs`), aborting once `stop(event, started)` says so;
   * expects the AbortError. Returns when each progress event came and when the download started.
   */
  async function dripUntilAborted({ chunk, everyMs }, stop) {
    server.fault('/hf/model.safetensors', { type: 'drip', chunk, everyMs });
    const controller = new AbortController();
    const times = [];
    const started = Date.now();
    const promise = downloadResumable(url(), arraySink(), {
      signal: controller.signal,
      onProgress: (e) => {
        times.push(Date.now());
        if (stop(e, started)) controller.abort();
      },
    });
    await expect(promise).rejects.toMatchObject({ name: 'AbortError' });
    return { times, started };
  }

  test('abort during a slow drip rejects with the signal reason, promptly', async () => {
    const { started } = await dripUntilAborted({ chunk: 4096, everyMs: 20 }, (e) => e.loaded > 20_000);
    expect(Date.now() - started).toBeLessThan(3000);
    // A custom reason is what rejects.
    server.fault('/hf/model.safetensors', { type: 'drip', chunk: 4096, everyMs: 20 });
    const c2 = new AbortController();
    setTimeout(() => c2.abort(new Error('user left the page')), 100);
    await expect(downloadResumable(url(), arraySink(), { signal: c2.signal })).rejects.toThrow('user left the page');
  });

  test('slow drip (< 1% per 250 ms): an event at least every 250 ms while bytes arrive', async () => {
    const { times } = await dripUntilAborted({ chunk: 2048, everyMs: 25 }, (_, started) => Date.now() - started > 1500);
    expect(times.length).toBeGreaterThanOrEqual(5);
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    expect(Math.max(...gaps)).toBeLessThan(250 + 100); // 250 ms, plus at most one chunk interval and timer slack
  });

  test('abort during the backoff wait', async () => {
    server.fault('/hf/model.safetensors', { type: 'status', status: 500, times: 10 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 150);
    await expect(downloadResumable(url(), arraySink(), { signal: controller.signal, retry: { baseDelayMs: 1000 } }))
      .rejects.toMatchObject({ name: 'AbortError' });
  });

  test('progressReporter: 1% steps or 250 ms, always a final event', () => {
    const events = [];
    const p = progressReporter((e) => events.push(e), 'f', 'download');
    for (let i = 1; i <= 1000; i++) p.update(i * 10, 10_000);
    p.done(10_000);
    expect(events.length).toBeGreaterThanOrEqual(100);
    expect(events.length).toBeLessThanOrEqual(102);
    for (let i = 1; i < events.length; i++) expect(events[i].loaded - events[i - 1].loaded).toBeLessThanOrEqual(100);
    expect(events.at(-1)).toEqual({ file: 'f', loaded: 10_000, total: 10_000, phase: 'download' });
  });
});

describe('manifest reader', () => {
  const good = () => ({ format: 'kfembed', version: 1, source: 'x', dtype: 'int8',
    files: [{ path: 'config.json', size: 944, sha256: 'A'.repeat(64) }, { path: '1_Pooling/config.json', size: 1, sha256: '0'.repeat(64) }] });

  test('parses and normalises', () => {
    const m = parseManifest(JSON.stringify(good()), 'u/manifest.json');
    expect(m.dtype).toBe('int8');
    expect(m.files[0]).toEqual({ path: 'config.json', size: 944, sha256: 'a'.repeat(64) });
    expect(m.files[1].path).toBe('1_Pooling/config.json');
  });

  test.each([
    ['not json', () => '{', /u\/manifest\.json: invalid JSON/],
    ['format', (m) => ({ ...m, format: 'other' }), /"format" is "other"/],
    ['version', (m) => ({ ...m, version: 2 }), /unsupported "version" 2/],
    ['files', (m) => ({ ...m, files: [] }), /"files" must be a non-empty array/],
    ['size', (m) => { m.files[0].size = -1; return m; }, /files\[0\] \(config\.json\): "size"/],
    ['sha', (m) => { m.files[1].sha256 = 'xyz'; return m; }, /files\[1\] \(1_Pooling\/config\.json\): "sha256"/],
    ['dotdot', (m) => { m.files[1].path = '../secret'; return m; }, /not a plain relative path/],
    ['absolute', (m) => { m.files[1].path = '/etc/passwd'; return m; }, /not a plain relative path/],
    ['url', (m) => { m.files[1].path = 'https://evil/x'; return m; }, /not a plain relative path/],
    ['dup', (m) => { m.files[1].path = 'config.json'; return m; }, /listed twice/],
    ['no config', (m) => { m.files.shift(); return m; }, /does not list config\.json/],
  ])('rejects %s with the manifest and field named', (_, edit, message) => {
    const value = edit(good());
    expect(() => parseManifest(typeof value === 'string' ? value : JSON.stringify(value), 'u/manifest.json')).toThrow(message);
  });
});

describe('FileLoader into a growable heap', () => {
  test('Hugging Face layout over HTTP: every file byte-identical, heap growth handled', async () => {
    const { memory, manifest, events } = await loadAll('/hf/');
    expect(manifest).toBeNull();
    expect(memory.grows).toBeGreaterThan(0);
    for (const f of FILES) expect(sameBytes(memory.file(f), fs.readFileSync(path.join(TINY, f)))).toBe(true);
    const finals = events.filter((e) => e.loaded === e.total && e.total > 0);
    expect(new Set(finals.map((e) => e.file))).toEqual(new Set(FILES));
    // Optional files that do not exist were asked for once each and are simply absent.
    expect(memory.files.has('special_tokens_map.json')).toBe(false);
    expect(server.requestsFor('/hf/special_tokens_map.json')).toHaveLength(1);
  });

  test('converted layout: exactly the listed files, verified', async () => {
    const { memory, manifest } = await loadAll('/pkg/');
    expect(manifest.files.map((f) => f.path)).toEqual(FILES);
    expect([...memory.files.keys()].sort()).toEqual([...FILES].sort());
    expect(server.requests.map((r) => r.path).sort()).toEqual(['/pkg/manifest.json', ...FILES.map((f) => `/pkg/${f}`)].sort());
    for (const f of FILES) expect(sameBytes(memory.file(f), fs.readFileSync(path.join(TINY, f)))).toBe(true);
  });

  test('converted layout without Content-Length: the manifest size is used, same bytes', async () => {
    server.fault('/pkg/model.safetensors', { type: 'no-length' });
    const { memory } = await loadAll('/pkg/');
    expect(sameBytes(memory.file('model.safetensors'), WEIGHTS)).toBe(true);
  });

  test('wrong bytes: SHA-256 error names URL, expected and actual hash; nothing cached', async () => {
    server.fault('/pkg/model.safetensors', { type: 'corrupt' });
    const cache = fakeCacheStorage();
    const bad = Buffer.from(WEIGHTS);
    bad[bad.length >> 1] ^= 0xff;
    const err = await loadAll('/pkg/', { cache }).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toContain(server.url('/pkg/model.safetensors'));
    expect(err.message).toContain(`expected ${sha256(WEIGHTS)}`);
    expect(err.message).toContain(`got ${sha256(bad)}`);
    expect(cache.entries.has(server.url('/pkg/model.safetensors'))).toBe(false);
  });

  test('manifest on disk (Node path) is verified too', async () => {
    const dir = tempDir('pkgdisk');
    writeManifestDir(dir, TINY, FILES, { sha256 });
    const m = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    m.files.find((f) => f.path === 'vocab.txt').sha256 = '0'.repeat(64);
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(m));
    const loader = new FileLoader({ source: await openSource(dir), memory: fakeMemory() });
    await expect(gatherModelFiles(loader)).rejects.toThrow(new RegExp(`${dir}/vocab\\.txt: SHA-256 mismatch: expected 0{64}, got ${sha256(fs.readFileSync(path.join(TINY, 'vocab.txt')))}`));
  });

  test('WasmFileSink: unknown size spills to JS and is copied in once, hashed', () => {
    const memory = fakeMemory();
    const hasher = memory.createHasher();
    const sink = new WasmFileSink('x', memory, hasher);
    sink.begin(null);
    sink.write(0, new Uint8Array([1, 2, 3]));
    sink.write(3, new Uint8Array([4]));
    sink.end(4);
    expect(Array.from(memory.file('x'))).toEqual([1, 2, 3, 4]);
    expect(hasher.hexdigest()).toBe(sha256(Buffer.from([1, 2, 3, 4])));
    // More bytes than announced (decoded body): moves to JS, still exact.
    sink.begin(2);
    sink.write(0, new Uint8Array([9, 8]));
    sink.write(2, new Uint8Array([7]));
    sink.end(3);
    expect(Array.from(memory.file('x'))).toEqual([9, 8, 7]);
    expect(hasher.hexdigest()).toBe(sha256(Buffer.from([9, 8, 7])));
  });
});

describe('Cache API logic (injected CacheStorage)', () => {
  const weightsUrl = () => server.url('/pkg/model.safetensors');
  const weightRequests = () => server.requests.filter((r) => r.path.endsWith('.safetensors'));

  test('first load fills the cache (versioned name, hash header); second load: no weight request', async () => {
    const cache = fakeCacheStorage();
    await loadAll('/pkg/', { cache });
    expect(cache.log[0]).toEqual(['open', CACHE_NAME]);
    expect(CACHE_NAME).toBe('kfembed-v1');
    const entry = cache.entries.get(weightsUrl());
    expect(sameBytes(entry.bytes, WEIGHTS)).toBe(true);
    expect(entry.headers[SHA256_HEADER]).toBe(sha256(WEIGHTS));
    expect(entry.headers['content-length']).toBe(String(WEIGHTS.length));
    server.reset();
    const events = [];
    const { memory, loader } = await loadAll('/pkg/', { cache, onProgress: (e) => events.push(e) });
    expect(server.requests.map((r) => r.path)).toEqual(['/pkg/manifest.json']); // revalidated, nothing else
    expect(sameBytes(memory.file('model.safetensors'), WEIGHTS)).toBe(true);
    expect(loader.loaded.get('model.safetensors').from).toBe('cache');
    expect(events.filter((e) => e.file === 'model.safetensors').at(-1))
      .toEqual({ file: 'model.safetensors', loaded: WEIGHTS.length, total: WEIGHTS.length, phase: 'cache' });
  });

  test('Hugging Face layout is cached too (verified against the stored hash)', async () => {
    const cache = fakeCacheStorage();
    await loadAll('/hf/', { cache });
    server.reset();
    await loadAll('/hf/', { cache });
    expect(weightRequests()).toHaveLength(0);
  });

  test('a corrupted cached file is detected, deleted, re-fetched and re-cached', async () => {
    const cache = fakeCacheStorage();
    await loadAll('/pkg/', { cache });
    cache.corrupt(weightsUrl());
    server.reset();
    const { memory, events } = await loadAll('/pkg/', { cache });
    expect(sameBytes(memory.file('model.safetensors'), WEIGHTS)).toBe(true);
    expect(weightRequests()).toHaveLength(1);
    expect(events.some((e) => e.phase === 'cache-warning' && /cached copy is corrupt/.test(e.message))).toBe(true);
    expect(cache.log.some(([op, url]) => op === 'delete' && url === weightsUrl())).toBe(true);
    expect(sameBytes(cache.entries.get(weightsUrl()).bytes, WEIGHTS)).toBe(true);
  });

  test('a changed manifest invalidates the stale entry without reading it', async () => {
    const cache = fakeCacheStorage();
    await loadAll('/pkg/', { cache });
    const e = cache.entries.get(weightsUrl());
    e.headers[SHA256_HEADER] = '1'.repeat(64); // as if written for an older version of the file
    server.reset();
    await loadAll('/pkg/', { cache });
    expect(weightRequests()).toHaveLength(1);
    expect(cache.entries.get(weightsUrl()).headers[SHA256_HEADER]).toBe(sha256(WEIGHTS));
  });

  test('QuotaExceededError: load completes, warning reported, nothing (partial) cached', async () => {
    const cache = fakeCacheStorage({
      failPut: (url) => (url.endsWith('.safetensors') ? new DOMException('quota', 'QuotaExceededError') : null),
    });
    const { memory, events } = await loadAll('/pkg/', { cache });
    expect(sameBytes(memory.file('model.safetensors'), WEIGHTS)).toBe(true);
    const warnings = events.filter((e) => e.phase === 'cache-warning');
    expect(warnings).toHaveLength(1);
    expect(warnings[0].message).toMatch(/quota exceeded; continuing without caching/);
    expect(cache.entries.has(weightsUrl())).toBe(false);
  });

  test.each([
    ['reset mid-body', { type: 'reset', after: 1_000_000 }, true],
    ['server without Range', { type: 'ignore-range' }, true],
    ['500 then 200', { type: 'status', status: 500 }, true],
    ['no Content-Length', { type: 'no-length' }, true],
    ['wrong bytes', { type: 'corrupt' }, false],
    ['404', { type: 'status', status: 404 }, false],
  ])('fault "%s": outcome, and the cache holds only verified files', async (_, fault, succeeds) => {
    const cache = fakeCacheStorage();
    if (fault.type === 'ignore-range') server.fault('/pkg/model.safetensors', { type: 'reset', after: 500_000 });
    server.fault('/pkg/model.safetensors', fault);
    const outcome = await loadAll('/pkg/', { cache }).catch((e) => e);
    if (succeeds) {
      expect(sameBytes(outcome.memory.file('model.safetensors'), WEIGHTS)).toBe(true);
      expect(sameBytes(cache.entries.get(weightsUrl()).bytes, WEIGHTS)).toBe(true);
    } else {
      expect(outcome).toBeInstanceOf(Error);
      expect(outcome.message).toContain(weightsUrl());
      expect(cache.entries.has(weightsUrl())).toBe(false);
    }
    for (const [url, { bytes, headers }] of cache.entries) {
      if (url.endsWith('manifest.json')) continue;
      expect(sha256(bytes)).toBe(headers[SHA256_HEADER]);
    }
  });

  test('abort mid-download leaves no entry for the aborted file', async () => {
    const cache = fakeCacheStorage();
    server.fault('/pkg/model.safetensors', { type: 'drip', chunk: 8192, everyMs: 10 });
    const controller = new AbortController();
    const p = loadAll('/pkg/', {
      cache,
      signal: controller.signal,
      onProgress: (e) => e.file === 'model.safetensors' && e.loaded > 50_000 && controller.abort(),
    });
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    expect(cache.entries.has(weightsUrl())).toBe(false);
  });

  test('cache: false / no CacheStorage → null; a throwing open() → warning, no cache', async () => {
    expect(await openModelCache(false, () => {})).toBeNull();
    expect(await openModelCache(true, () => {})).toBeNull(); // Node: no globalThis.caches
    const warnings = [];
    const broken = { open: async () => { throw new DOMException('denied', 'SecurityError'); } };
    expect(await openModelCache(broken, (m) => warnings.push(m))).toBeNull();
    expect(warnings[0]).toMatch(/SecurityError: denied/);
  });
});
