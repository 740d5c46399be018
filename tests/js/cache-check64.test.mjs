// Cached copies carry a Checksum64 (src/common/checksum64.h, js/cache.js CHECK64_HEADER) that a read checks
// at memory speed instead of SHA-256: the WASM checksum equals an independent BigInt implementation here;
// every cached file is written with the checksum of its bytes; a corrupted entry is detected by it, deleted
// and fetched again.
import { load } from '../../js/index.js';
import { CHECK64_HEADER } from '../../js/cache.js';
import { instantiateRuntime } from '../../js/runtime.js';
import { fakeCacheStorage } from './fakes.mjs';
import { convertModel, encodeOnce, ensureConverter, SAMPLE_TEXTS, sameBytes, TINY } from './helpers.mjs';
import { startServer } from './server.mjs';

const M = (1n << 64n) - 1n;
const P1 = 0x9E3779B185EBCA87n;
const P2 = 0xC2B2AE3D27D4EB4Fn;
const P3 = 0x165667B19E3779F9n;
const P4 = 0x85EBCA77C2B2AE63n;
const P5 = 0x27D4EB2F165667C5n;
const rotl = (x, r) => ((x << BigInt(r)) | (x >> BigInt(64 - r))) & M;
const round = (acc, w) => (rotl((acc + w * P2) & M, 31) * P1) & M;
const u64 = (b, at) => b.subarray(at, at + 8).reduce((v, x, i) => v | (BigInt(x) << BigInt(8 * i)), 0n);

/** The checksum as checksum64.h defines it, written again with BigInt. */
function reference(bytes) {
  const lanes = [(P1 + P2) & M, P2, 0n, (0n - P1) & M];
  let at = 0;
  for (; at + 32 <= bytes.length; at += 32) for (let i = 0; i < 4; i++) lanes[i] = round(lanes[i], u64(bytes, at + 8 * i));
  let h = (rotl(lanes[0], 1) + rotl(lanes[1], 7) + rotl(lanes[2], 12) + rotl(lanes[3], 18)) & M;
  for (const lane of lanes) h = (((h ^ round(0n, lane)) * P1) + P4) & M;
  h = (h + BigInt(bytes.length)) & M;
  for (; at + 8 <= bytes.length; at += 8) h = ((rotl(h ^ round(0n, u64(bytes, at)), 27) * P1) + P4) & M;
  for (; at < bytes.length; at++) h = (rotl(h ^ ((BigInt(bytes[at]) * P5) & M), 11) * P1) & M;
  h ^= h >> 33n;
  h = (h * P2) & M;
  h ^= h >> 29n;
  h = (h * P3) & M;
  h ^= h >> 32n;
  return h.toString(16).padStart(16, '0');
}

let server;
beforeAll(async () => {
  ensureConverter();
  server = await startServer({ '/pkg/': convertModel(TINY, [], 'check64-pkg') });
}, 300_000);
afterAll(() => server?.close());

test('the WASM Checksum64 equals the reference at every tail length and split', async () => {
  const runtime = await instantiateRuntime();
  const files = new runtime.ModelFiles();
  const checker = new runtime.Checksum64();
  try {
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7919 + (i >> 3)) & 0xff);
    const at = files.allocate('x', bytes.length);
    runtime.HEAPU8.set(bytes, at);
    for (const n of [0, 1, 7, 8, 31, 32, 33, 63, 64, 65, 100, 1000]) {
      checker.reset();
      checker.update(at, n);
      expect([n, checker.hexdigest()]).toEqual([n, reference(bytes.subarray(0, n))]);
    }
    checker.reset();
    for (let o = 0; o < 1000; o += 37) checker.update(at + o, Math.min(37, 1000 - o));
    expect(checker.hexdigest()).toBe(reference(bytes));
  } finally {
    checker.delete();
    files.delete();
  }
});

test('cached files carry their checksum; a corrupted entry is detected by it, deleted and fetched again', async () => {
  const url = server.url('/pkg/');
  const cache = fakeCacheStorage();
  const first = await encodeOnce(url, SAMPLE_TEXTS, { dtype: 'int8', cache });
  const weights = `${url}model.int8.safetensors`;
  for (const [key, entry] of cache.entries) {
    if (key.endsWith('manifest.json')) continue;
    expect([key, entry.headers[CHECK64_HEADER]]).toEqual([key, reference(new Uint8Array(entry.bytes))]);
  }
  cache.corrupt(weights);
  server.reset();
  const events = [];
  const second = await encodeOnce(url, SAMPLE_TEXTS, { dtype: 'int8', cache, onProgress: (e) => events.push(e) });
  second.forEach((v, i) => expect(sameBytes(v, first[i])).toBe(true));
  expect(events.some((e) => e.phase === 'cache-warning' && /corrupt \(checksum/.test(e.message))).toBe(true);
  expect(server.requestsFor('/pkg/model.int8.safetensors')).toHaveLength(1);
  expect(cache.entries.get(weights).headers[CHECK64_HEADER]).toBe(reference(new Uint8Array(cache.entries.get(weights).bytes)));
  // A model from the repaired cache, no request.
  server.reset();
  const m = await load(url, { dtype: 'int8', cache });
  m.dispose();
  expect(server.requestsFor('/pkg/model.int8.safetensors')).toHaveLength(0);
}, 120_000);
