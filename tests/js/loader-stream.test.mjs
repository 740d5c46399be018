// An int8 load of a Hugging Face float layout quantizes while the weights stream (js/stream_quantize.js,
// src/model/streaming_quantizer.h), over a real node:http server on 127.0.0.1: the package it builds (as
// cached) must be byte for byte what kfembed-convert writes (tiny and base2, F32 and F16, shards; tiny-bert
// and tiny-roberta of ../shared/reference/bert, whose pytorch_model.bin-only copy is loaded whole instead); a
// connection reset in the middle of a tensor resumes and gives the same bytes; an abort in the middle leaves
// nothing cached; a server that ignores Range falls back to loading the float file whole; a Node directory
// streams too.
import fs from 'node:fs';
import path from 'node:path';
import { load } from '../../js/index.js';
import { CONVERTED_DIR } from '../../js/converted_cache.js';
import { fakeCacheStorage } from './fakes.mjs';
import {
  SHARED,
  base2Dir,
  convertModel,
  encodeOnce,
  ensureConverter,
  SAMPLE_TEXTS,
  sameBytes,
  tempDir,
  TINY,
  TINY_FILES,
} from './helpers.mjs';
import { startServer } from './server.mjs';

const TEXT_FILES = TINY_FILES.filter((f) => f !== 'model.safetensors');
const BERT = path.join(SHARED, 'reference/bert');

function readSafetensors(file) {
  const bytes = fs.readFileSync(file);
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
  const body = bytes.subarray(8 + n);
  return Object.entries(header)
    .filter(([name]) => name !== '__metadata__')
    .map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape, bytes: body.subarray(t.data_offsets[0], t.data_offsets[1]) }))
    .sort((a, b) => a.bytes.byteOffset - b.bytes.byteOffset);
}

function writeSafetensors(file, tensors) {
  const header = {};
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.length] };
    offset += t.bytes.length;
  }
  header.__metadata__ = { format: 'pt' };
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  fs.writeFileSync(file, Buffer.concat([length, json, ...tensors.map((t) => t.bytes)]));
}

// f32 → f16 bits (truncating; tiny values to zero): any valid F16 will do, both sides read the same bits.
function toF16(bytes) {
  const f = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  const u = new Uint32Array(f.buffer);
  const out = new Uint16Array(f.length);
  for (let i = 0; i < f.length; i++) {
    const x = u[i];
    const sign = (x >>> 16) & 0x8000;
    const e = ((x >>> 23) & 0xff) - 127 + 15;
    out[i] = e <= 0 ? sign : e >= 31 ? sign | 0x7bff : sign | (e << 10) | ((x >>> 13) & 0x3ff);
  }
  return Buffer.from(out.buffer);
}

/**
 * A copy of the model directory `from` with its weights as F16, the LayerNorms after everything else (after
 * the linears they steer), in `shards` files (with model.safetensors.index.json when more than one).
 */
function f16Variant(from, prefix, { shards = 1 } = {}) {
  const dir = tempDir(prefix, from, TEXT_FILES);
  const tensors = readSafetensors(path.join(from, 'model.safetensors')).map((t) => ({ ...t, dtype: 'F16', bytes: toF16(t.bytes) }));
  const ordered = [...tensors.filter((t) => !t.name.includes('LayerNorm')), ...tensors.filter((t) => t.name.includes('LayerNorm'))];
  if (shards === 1) {
    writeSafetensors(path.join(dir, 'model.safetensors'), ordered);
    return dir;
  }
  const weightMap = {};
  for (let s = 0; s < shards; s++) {
    const name = `model-0000${s + 1}-of-0000${shards}.safetensors`;
    const part = ordered.filter((_, i) => i % shards === s);
    for (const t of part) weightMap[t.name] = name;
    writeSafetensors(path.join(dir, name), part);
  }
  fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
  return dir;
}

/** kfembed-convert's package of `dir`, recording the source a load records. */
const convertedBytes = (dir) => fs.readFileSync(path.join(convertModel(dir, ['--source', 'quantized at load'], 'stream-pkg'), 'model.int8.safetensors'));

let server;
const mounts = {};
beforeAll(async () => {
  ensureConverter();
  mounts['/tiny/'] = TINY;
  mounts['/tiny16/'] = f16Variant(TINY, 'tiny16', { shards: 2 });
  const base2 = await base2Dir();
  mounts['/base2/'] = base2;
  mounts['/base2f16/'] = f16Variant(base2, 'base2f16');
  mounts['/bert/'] = path.join(BERT, 'tiny-bert');
  mounts['/roberta16/'] = f16Variant(path.join(BERT, 'tiny-roberta'), 'roberta16', { shards: 2 });
  mounts['/roberta-bin/'] = path.join(BERT, 'tiny-roberta-bin');
  server = await startServer(mounts);
}, 600_000);
afterAll(() => server?.close());
beforeEach(() => server.reset());

/** Loads `mount` over http with dtype int8 and a fresh cache: the cached package's bytes and the cache. */
async function streamed(mount, options = {}) {
  const cache = fakeCacheStorage();
  const m = await load(server.url(mount), { dtype: 'int8', cache, ...options });
  m.dispose();
  return { cache, bytes: cache.entries.get(`${server.url(mount)}${CONVERTED_DIR}model.int8.safetensors`)?.bytes };
}

const weightGets = (mount) => server.requests.filter((r) => r.path.startsWith(mount) && /safetensors$/.test(r.path));

describe('int8 load of a float layout: quantized while it streams', () => {
  test.each([
    ['/tiny/', 'tiny F32'],
    ['/tiny16/', 'tiny F16, two shards, LayerNorms last'],
    ['/base2/', 'base2 F32'],
    ['/base2f16/', 'base2 F16, LayerNorms last'],
    ['/bert/', 'tiny-bert F32'],
    ['/roberta16/', 'tiny-roberta F16, two shards, LayerNorms last'],
  ])('%s (%s) over http = kfembed-convert\'s package, byte for byte', async (mount) => {
    const { bytes } = await streamed(mount);
    expect(sameBytes(bytes, convertedBytes(mounts[mount]))).toBe(true);
    // Every weight file: Range reads (header, steering LayerNorms), then exactly one full streaming GET.
    const gets = weightGets(mount).filter((r) => r.status !== 404); // a sharded model has no model.safetensors
    const files = new Set(gets.map((r) => r.path));
    expect(files.size).toBe(mount === '/tiny16/' || mount === '/roberta16/' ? 2 : 1);
    for (const file of files) {
      const full = gets.filter((r) => r.path === file && r.range === null);
      expect([file, full.length, full[0].status]).toEqual([file, 1, 200]);
      expect(gets.filter((r) => r.path === file && r.range !== null).every((r) => r.status === 206)).toBe(true);
    }
  }, 300_000);

  test('a repository with only pytorch_model.bin: loaded whole and quantized in memory, kfembed-convert\'s package', async () => {
    const { bytes } = await streamed('/roberta-bin/');
    expect(sameBytes(bytes, convertedBytes(mounts['/roberta-bin/']))).toBe(true);
    const bin = server.requests.filter((r) => r.path === '/roberta-bin/pytorch_model.bin');
    expect(bin.map((r) => [r.range, r.status])).toEqual([[null, 200]]);
  });

  test('a connection reset in the middle of a tensor resumes from the last byte consumed: the same bytes', async () => {
    const expected = convertedBytes(TINY);
    // Tiny's word embeddings span bytes ~0.5 k to 5.1 M of model.safetensors.
    server.fault('/tiny/model.safetensors', { type: 'reset', after: 2_500_001, fullOnly: true });
    const { bytes } = await streamed('/tiny/');
    expect(sameBytes(bytes, expected)).toBe(true);
    const resumed = weightGets('/tiny/').filter((r) => /^bytes=\d+-$/.test(r.range ?? ''));
    expect(resumed).toHaveLength(1);
    expect(Number(/\d+/.exec(resumed[0].range)[0])).toBeGreaterThan(1_000_000);
    expect(resumed[0].status).toBe(206);
  });

  test('an abort in the middle of a tensor rejects with the AbortError and leaves nothing cached', async () => {
    const controller = new AbortController();
    const cache = fakeCacheStorage();
    server.fault('/tiny/model.safetensors', { type: 'drip', chunk: 65536, everyMs: 5, fullOnly: true });
    const onProgress = (e) => {
      if (e.file === 'model.safetensors' && e.phase === 'download' && e.loaded > 1_000_000) controller.abort();
    };
    await expect(load(server.url('/tiny/'), { dtype: 'int8', cache, onProgress, signal: controller.signal }))
      .rejects.toMatchObject({ name: 'AbortError' });
    expect([...cache.entries.keys()]).toEqual([]);
    // And the next load builds the full package.
    const { bytes } = await streamed('/tiny/');
    expect(sameBytes(bytes, convertedBytes(TINY))).toBe(true);
  });

  test('a server that ignores Range: a warning, the float file loaded whole, the same package', async () => {
    server.fault('/tiny/model.safetensors', { type: 'ignore-range' });
    const events = [];
    const { bytes } = await streamed('/tiny/', { onProgress: (e) => events.push(e) });
    expect(sameBytes(bytes, convertedBytes(TINY))).toBe(true);
    expect(events.some((e) => e.phase === 'cache-warning' && /ignores Range/.test(e.message))).toBe(true);
  });

  test('a Node directory streams too: the vectors of the converted package', async () => {
    const pkg = convertModel(TINY, [], 'stream-dir-pkg');
    const expected = await encodeOnce(pkg, SAMPLE_TEXTS, { dtype: 'int8' });
    const got = await encodeOnce(TINY, SAMPLE_TEXTS, { dtype: 'int8' });
    got.forEach((v, i) => expect(sameBytes(v, expected[i])).toBe(true));
    const f16pkg = convertModel(mounts['/tiny16/'], [], 'stream-dir-pkg16');
    const expected16 = await encodeOnce(f16pkg, SAMPLE_TEXTS, { dtype: 'int8' });
    const got16 = await encodeOnce(mounts['/tiny16/'], SAMPLE_TEXTS, { dtype: 'int8' });
    got16.forEach((v, i) => expect(sameBytes(v, expected16[i])).toBe(true));
  });
});
