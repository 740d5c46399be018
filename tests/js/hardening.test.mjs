// Issue 15 through the public API and the raw bindings: size arithmetic at the JS/WASM boundary (staging bytes
// just under / at / over 2^31 and 2^32, computed on lengths where a real string would not fit), bindings that
// return Errors instead of trapping or wrapping, search(k) for k past 2^32, SemanticIndex.fromBytes on hostile
// metadata and rows (nextId 2^53, non-unit rows, 1,000 mutations with a valid CRC: never a score outside
// [-1, 1]), and the loose edges of encode() and similarity().
import fs from 'node:fs';
import path from 'node:path';
import { crc32 } from '../../js/index_format.js';
import { load, loadTokenizer, SemanticIndex, similarity } from '../../js/index.js';
import {
  checkStagingBytes,
  instantiateRuntime,
  MAX_STAGING_BYTES,
  planBatches,
  runtimeFailure,
  utf8StagingBytes,
} from '../../js/runtime.js';
import { readJson, tempDir, TINY, TINY_FILES } from './helpers.mjs';

const GiB2 = 2 ** 31;
const GiB4 = 2 ** 32;

describe('staging bytes (computed as doubles, checked before any allocation)', () => {
  test('the bound is 2^31 - 1: just under and at pass, over throws a RangeError naming the call', () => {
    for (const bytes of [0, GiB2 - 2, GiB2 - 1]) expect(checkStagingBytes(bytes, 'x')).toBe(bytes);
    for (const bytes of [GiB2, GiB2 + 1, GiB4 - 1, GiB4, GiB4 + 1, GiB4 + 128, 2 ** 53, -1, 1.5, NaN, Infinity]) {
      expect(() => checkStagingBytes(bytes, 'encode(texts): texts[3]')).toThrow(RangeError);
    }
    expect(() => checkStagingBytes(GiB4 + 128, 'encode(texts): texts[3]'))
      .toThrow(/^encode\(texts\): texts\[3\]: needs 4294967424 bytes of staging in WASM memory, more than the 2147483647/);
  });

  test('3 bytes per UTF-16 unit, exact past 2^32 (no 32-bit wrap)', () => {
    expect(utf8StagingBytes(22.4e6) * 64).toBe(4300800000); // the 64 × 22.4M characters
    expect(utf8StagingBytes(1431655766)).toBe(GiB4 + 2);
    expect(MAX_STAGING_BYTES).toBe(GiB2 - 1);
  });

  test('texts around 2^31 and 2^32 staging bytes: under goes alone, over is refused naming the text', () => {
    const limits = { maxTexts: 64, maxBytes: 1 << 24 };
    const under2 = Math.floor((GiB2 - 1) / 3); // 3 · 715827882 = 2^31 - 2
    expect(utf8StagingBytes(under2)).toBe(GiB2 - 2);
    expect(planBatches([5, under2, 7], limits)).toEqual([[0, 1], [1, 2], [2, 3]]);
    expect(() => planBatches([5, under2 + 1, 7], limits)).toThrow(/texts\[1\] of 715827883 characters: needs 2147483649 bytes/);
    const around4 = Math.floor(GiB4 / 3); // 3 · 1431655765 = 2^32 - 1
    expect(() => planBatches([around4], limits)).toThrow(/texts\[0\].*4294967295 bytes/);
    expect(() => planBatches([1, around4 + 1], limits)).toThrow(/texts\[1\].*4294967298 bytes/);
  });

  test('64 texts of 22.4M characters (4.3 GB of staging) split into calls that each fit', () => {
    const lengths = new Array(64).fill(22.4e6);
    const batches = planBatches(lengths, { maxTexts: 64, maxBytes: 1 << 24 });
    expect(batches).toHaveLength(64); // each text alone: 67.2 MB > the 16 MiB batch bound
    for (const [first, end] of batches) {
      const bytes = lengths.slice(first, end).reduce((s, n) => s + utf8StagingBytes(n), 0);
      expect(bytes).toBeLessThanOrEqual(MAX_STAGING_BYTES);
    }
  });

  test('batches: at most maxTexts, at most maxBytes (an over-sized text alone), order kept, nothing lost', () => {
    const lengths = [1, 2, 3, 4, 5, 100, 6, 7];
    expect(planBatches(lengths, { maxTexts: 3, maxBytes: 30 })).toEqual([[0, 3], [3, 5], [5, 6], [6, 7], [7, 8]]);
    expect(planBatches([], { maxTexts: 3, maxBytes: 30 })).toEqual([]);
    expect(planBatches([0, 0, 0, 0], { maxTexts: 3, maxBytes: 0 })).toEqual([[0, 3], [3, 4]]);
  });

  test('runtimeFailure: a trap or an uncaught C++ exception becomes an Error naming the call; others pass', () => {
    const trap = runtimeFailure(new WebAssembly.RuntimeError('memory access out of bounds'), 'encode');
    expect(trap.broken).toBe(true);
    expect(trap.error.message).toMatch(/^encode: the kfembed WASM runtime trapped \(memory access out of bounds\)/);
    const plain = new TypeError('x');
    expect(runtimeFailure(plain, 'encode')).toEqual({ error: plain, broken: false });
  });
});

describe('bindings take sizes as doubles: an Error, never a wrap, a trap or a bare exception', () => {
  let runtime;
  beforeAll(async () => { runtime = await instantiateRuntime(); });

  test('input buffers: 2^31, 2^32 + 128, -1, 1.5 and NaN bytes are refused before allocating', () => {
    const files = new runtime.ModelFiles();
    try {
      for (const bytes of [GiB2, GiB4 + 128, GiB4, -1, 1.5, NaN]) {
        const got = files.allocate('model.safetensors', bytes);
        expect(got).toBeInstanceOf(Error);
        expect(got.message).toMatch(/^model\.safetensors size: expected an integer from 0 to 2147483647/);
      }
      expect(files.allocate('config.json', 128)).toBeGreaterThan(0);
    } finally {
      files.delete();
    }
  });

  test('index staging, rows, k: refused or taken exactly (2^32 + 3 is not 3)', () => {
    const index = runtime.VectorIndex.create(4, false);
    try {
      for (const bytes of [GiB2, GiB4 + 16, -4]) expect(index.stagingBuffer(bytes)).toBeInstanceOf(Error);
      expect(index.reserve(GiB4 + 1)).toBeInstanceOf(Error);
      expect(index.addStaged(GiB4 + 1)).toBeInstanceOf(Error);
      const at = index.stagingBuffer(5 * 16) >>> 2;
      runtime.HEAPF32.set([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 1, 0, 0], at);
      expect(index.addStaged(5)).toBe(5);
      // 2^32 + 1 vectors would need 2^36 staged bytes: refused by the 64-bit check, not wrapped to 16.
      expect(index.addStaged(GiB4 / 16 + 1)).toBeInstanceOf(Error);
      expect(index.size()).toBe(5);
      const q = index.stagingBuffer(16) >>> 2;
      runtime.HEAPF32.set([1, 0, 0, 0], q);
      expect(index.searchStaged(GiB4)).toBe(5);
      expect(index.searchStaged(GiB4 + 3)).toBe(5);
      expect(index.searchStaged(3)).toBe(3);
      expect(index.searchStaged(1.5)).toBeInstanceOf(Error);
      expect(index.removeStaged(GiB4 + 1)).toBeInstanceOf(Error);
    } finally {
      index.delete();
    }
  });
});

describe('SentenceModel / Tokenizer boundaries (tiny model)', () => {
  let model;
  beforeAll(async () => { model = await load(TINY, { dtype: 'fp32' }); });
  afterAll(() => model.dispose());

  test('a batch over the 16 MiB staging bound is split: every vector equals encoding the text alone', async () => {
    const long = `${'가나다 '.repeat(1_500_000)}끝`; // 6M UTF-16 units: 18 MB of staging, a call of its own
    const texts = ['고양이', long, '한 남자가 피자를 먹는다.', ''];
    const batch = await model.encode(texts);
    for (const [i, text] of texts.entries()) expect(Array.from(batch[i])).toEqual(Array.from(await model.encode(text)));
  }, 120_000);

  test('encode: sparse arrays, holes and non-strings name texts[i]; null options are the defaults', async () => {
    // eslint-disable-next-line no-sparse-arrays
    await expect(model.encode([, 'a'])).rejects.toThrow(/^encode\(texts\): texts\[0\] is undefined \(a hole in a sparse array\), expected a string$/);
    const holey = ['a', 'b'];
    holey.length = 3;
    await expect(model.encode(holey)).rejects.toThrow(/texts\[2\] is undefined \(a hole/);
    await expect(model.encode(['a', null])).rejects.toThrow(/texts\[1\] is null, expected a string/);
    await expect(model.encode(['a', 7])).rejects.toThrow(/texts\[1\] is number/);
    await expect(model.encode([new String('a')])).rejects.toThrow(/texts\[0\] is object/);
    const plain = await model.encode('x');
    expect(Array.from(await model.encode('x', null))).toEqual(Array.from(plain));
    expect(Array.from((await model.encode(['x'], null))[0])).toEqual(Array.from(plain));
    await expect(model.encode('x', 5)).rejects.toThrow(/^encode\(texts, options\): options must be an object, got number$/);
    await expect(model.encode('x', { normalize: 'yes' })).rejects.toThrow(/options\.normalize must be a boolean, got string/);
  });

  test('options: null means the defaults everywhere; anything but an object names the call', async () => {
    const m = await load(TINY, null);
    expect(m.dim).toBe(64);
    m.dispose();
    await expect(load(TINY, 5)).rejects.toThrow(/^load\(source, options\): options must be an object, got number$/);
    const tok = await loadTokenizer(TINY, null);
    expect(tok.maxLength).toBe(0);
    tok.dispose();
    await expect(loadTokenizer(TINY, 'x')).rejects.toThrow(/loadTokenizer\(source, options\): options must be an object, got string/);
    const index = new SemanticIndex(null);
    await index.add([[1, 0]]);
    expect(SemanticIndex.fromBytes(index.toBytes(), null).size).toBe(1);
    expect(() => new SemanticIndex(7)).toThrow(/new SemanticIndex\(options\): options must be an object, got number/);
    expect(() => SemanticIndex.fromBytes(index.toBytes(), [])).toThrow(/fromBytes\(bytes, options\): options must be an object, got an array/);
    index.dispose();
  });

  test('model.similarity validates like similarity(): finite numbers, the model dimension', async () => {
    const a = await model.encode('고양이');
    const b = await model.encode('강아지');
    expect(model.similarity(a, b)).toBeCloseTo(similarity(a, b), 12);
    const bad = Float32Array.from(a);
    bad[5] = NaN;
    expect(() => model.similarity(bad, b)).toThrow(/similarity\(a, b\): a\[5\] is NaN, not a finite number/);
    expect(() => model.similarity(a, Array.from(b, () => 'x'))).toThrow(/b\[0\] is string/);
    expect(() => model.similarity(a, { length: 64 })).toThrow(/b must be a Float32Array or an array of numbers, got object/);
    expect(() => model.similarity(a, b.subarray(1))).toThrow(/b must have length 64, got 63/);
  });
});

describe('similarity(a, b)', () => {
  test('refuses NaN, ±Infinity, strings, array-likes and over-long vectors, naming the argument and index', () => {
    expect(() => similarity([1, NaN], [1, 2])).toThrow(/^similarity\(a, b\): a\[1\] is NaN, not a finite number$/);
    expect(() => similarity([1, 2], [Infinity, 2])).toThrow(/b\[0\] is Infinity/);
    expect(() => similarity([1, 2], [1, -Infinity])).toThrow(/b\[1\] is -Infinity/);
    expect(() => similarity(['1', 2], [1, 2])).toThrow(/a\[0\] is string/);
    expect(() => similarity('12', '12')).toThrow(/a must be a Float32Array or an array of numbers, got string/);
    expect(() => similarity({ length: 1e8 }, { length: 1e8 })).toThrow(/a must be .* got object/);
    expect(() => similarity(new Int32Array(2), new Int32Array(2))).toThrow(/got Int32Array/);
    const long = new Float32Array(65537);
    expect(() => similarity(long, long)).toThrow(/a has 65537 values, more than the 65536 allowed/);
    expect(() => similarity([1, 2], [1, 2, 3])).toThrow(/differ in length \(2 vs 3\)/);
  });

  test('finite extremes stay in [-1, 1]: no overflow to NaN, zero vectors give 0', () => {
    expect(similarity([1e200, 1e200], [1e200, 1e200])).toBe(1);
    expect(similarity([1e300, -1e300], [-1e300, 1e300])).toBe(-1);
    expect(similarity([1e-300, 0], [5e-324, 0])).toBe(1);
    expect(similarity([0, 0], [1, 2])).toBe(0);
    expect(similarity(new Float64Array([3, 4]), [4, 3])).toBeCloseTo(24 / 25, 15);
    expect(similarity([], [])).toBe(0);
  });
});

/** The bytes of an index file after `edit(bytes)`, with its CRC made valid again. */
function withValidCrc(bytes, edit) {
  const out = bytes.slice();
  edit(out, new DataView(out.buffer));
  new DataView(out.buffer).setUint32(28, crc32(out.subarray(32)), true);
  return out;
}

/** An index file whose metadata JSON is `meta` (rows unchanged). */
function withMeta(bytes, meta) {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const oldLength = view.getUint32(24, true);
  const rowsAt = 32 + ((oldLength + 3) & ~3);
  const json = new TextEncoder().encode(JSON.stringify(meta));
  const padded = (json.length + 3) & ~3;
  const out = new Uint8Array(32 + padded + bytes.length - rowsAt);
  out.set(bytes.subarray(0, 32));
  out.set(json, 32);
  out.set(bytes.subarray(rowsAt), 32 + padded);
  const outView = new DataView(out.buffer);
  outView.setUint32(24, json.length, true);
  outView.setUint32(28, crc32(out.subarray(32)), true);
  return out;
}

function xorshift(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 2 ** 32;
  };
}

async function sampleIndex(int8, count = 6, dim = 8) {
  const next = xorshift(int8 ? 7 : 3);
  const index = new SemanticIndex({ int8 });
  await index.add(Array.from({ length: count }, () => Float32Array.from({ length: dim }, () => next() - 0.5)));
  return index;
}

describe('SemanticIndex: k, nextId and stored rows', () => {
  test('search k: 2^32 and 2^32 + 3 return every document; non-integers and negatives are refused', async () => {
    const index = await sampleIndex(false);
    const query = new Float32Array(8).fill(1);
    expect(await index.search(query, GiB4)).toHaveLength(6);
    expect(await index.search(query, GiB4 + 3)).toHaveLength(6);
    expect(await index.search(query, Number.MAX_SAFE_INTEGER)).toHaveLength(6);
    expect(await index.search(query, 2)).toHaveLength(2);
    expect(await index.search(query, 0)).toEqual([]);
    for (const k of [-1, 1.5, NaN, Infinity, '3', null]) {
      await expect(index.search(query, k)).rejects.toThrow(/search\(query, k\): k must be an integer ≥ 0/);
    }
    index.dispose();
  });

  test('dimension over 65536: refused at add() and at fromBytes, before any work', async () => {
    const index = new SemanticIndex();
    await expect(index.add([new Float32Array(65537)])).rejects.toThrow(/items\[0\]: has length 65537, more than the 65536 an index takes/);
    expect(index.dim).toBe(0);
    const bytes = index.toBytes();
    const wide = withValidCrc(bytes, (b, v) => v.setUint32(16, 70000, true));
    expect(() => SemanticIndex.fromBytes(wide)).toThrow(/dimension 70000 is more than the 65536/);
    index.dispose();
  });

  test('nextId 2^53 is refused at load; 2^53 - 1 gives one automatic id, then a RangeError (no hang)', async () => {
    const index = await sampleIndex(false, 2);
    const bytes = index.toBytes();
    for (const nextId of [2 ** 53, 2 ** 60, 1.5, -1, '3', null]) {
      expect(() => SemanticIndex.fromBytes(withMeta(bytes, { ids: [0, 1], texts: null, nextId })))
        .toThrow(/metadata nextId must be an integer from 0 to 2\^53 - 1/);
    }
    const last = SemanticIndex.fromBytes(withMeta(bytes, { ids: [0, 1], texts: null, nextId: 2 ** 53 - 1 }));
    expect(await last.add([new Float32Array(8).fill(1)])).toEqual([2 ** 53 - 1]);
    await expect(last.add([new Float32Array(8).fill(2)])).rejects.toThrow(/automatic ids are used up/);
    expect(await last.add([new Float32Array(8).fill(2)], ['explicit'])).toEqual(['explicit']);
    expect(last.size).toBe(4);
    // Taken ids below the limit are skipped, and the skip ends at the limit.
    const taken = SemanticIndex.fromBytes(withMeta(bytes, { ids: [2 ** 53 - 2, 2 ** 53 - 1], texts: null, nextId: 2 ** 53 - 2 }));
    await expect(taken.add([new Float32Array(8).fill(1)])).rejects.toThrow(/automatic ids are used up/);
    expect(() => SemanticIndex.fromBytes(withMeta(bytes, { ids: [0, Infinity], texts: null, nextId: 2 })))
      .toThrow(/ids\[1\] must be a string or a finite number/);
    expect(() => SemanticIndex.fromBytes(withMeta(bytes, { ids: [0, { a: 1 }], texts: null, nextId: 2 })))
      .toThrow(/ids\[1\] must be a string or a finite number/);
    index.dispose();
    last.dispose();
  });

  test('f32 rows: NaN, Infinity and non-unit norms are refused at fromBytes, naming the row', async () => {
    const index = await sampleIndex(false);
    const bytes = index.toBytes();
    const rowsAt = bytes.length - 6 * 8 * 4;
    const f32 = (edit) => withValidCrc(bytes, (b, v) => edit((r, j, x) => v.setFloat32(rowsAt + (r * 8 + j) * 4, x, true)));
    expect(() => SemanticIndex.fromBytes(f32((set) => set(2, 3, NaN)))).toThrow(/rows\[2\] holds NaN \(corrupt index\)/);
    expect(() => SemanticIndex.fromBytes(f32((set) => set(4, 0, Infinity)))).toThrow(/rows\[4\] holds Infinity/);
    expect(() => SemanticIndex.fromBytes(f32((set) => set(1, 1, 3)))).toThrow(/rows\[1\] has norm .*neither 0 nor 1/);
    const zero = SemanticIndex.fromBytes(f32((set) => { for (let j = 0; j < 8; j++) set(0, j, 0); }));
    expect(zero.size).toBe(6); // a zero vector is a legal row (it scores 0)
    const hits = await zero.search(new Float32Array(8).fill(1), 6);
    expect(hits.find((h) => h.id === 0).score).toBe(0);
    index.dispose();
    zero.dispose();
  });

  test('int8 rows: bad scales, -128 and non-unit rows are refused at fromBytes, naming the row', async () => {
    const index = await sampleIndex(true);
    const bytes = index.toBytes();
    const codesAt = bytes.length - 48 - 24; // 6·8 codes, then 6 scales
    const scalesAt = bytes.length - 24;
    const scale = (r, x) => withValidCrc(bytes, (b, v) => v.setFloat32(scalesAt + 4 * r, x, true));
    const code = (r, j, x) => withValidCrc(bytes, (b) => { b[codesAt + r * 8 + j] = x & 0xff; });
    expect(() => SemanticIndex.fromBytes(scale(1, Infinity))).toThrow(/rows\[1\] has scale Infinity, not a finite number ≥ 0/);
    expect(() => SemanticIndex.fromBytes(scale(2, -0.01))).toThrow(/rows\[2\] has scale -0\.0099/);
    expect(() => SemanticIndex.fromBytes(scale(3, NaN))).toThrow(/rows\[3\] has scale NaN/);
    expect(() => SemanticIndex.fromBytes(scale(0, 1))).toThrow(/rows\[0\] has norm .* not 1/);
    expect(() => SemanticIndex.fromBytes(scale(0, 0))).toThrow(/rows\[0\] has scale 0 with nonzero values/);
    expect(() => SemanticIndex.fromBytes(code(5, 2, -128))).toThrow(/rows\[5\] holds -128/);
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    const big = [...Array(8).keys()].find((j) => Math.abs(view.getInt8(codesAt + 4 * 8 + j)) === 127);
    expect(() => SemanticIndex.fromBytes(code(4, big, 1))).toThrow(/rows\[4\] has largest value \d+, not 127/);
    index.dispose();
  });

  for (const int8 of [false, true]) {
    test(`1,000 mutated ${int8 ? 'int8' : 'f32'} index files with a valid CRC: refused, or every score in [-1, 1]`, async () => {
      const index = await sampleIndex(int8, 12, 16);
      const bytes = index.toBytes();
      const rowsAt = 32 + ((new DataView(bytes.buffer).getUint32(24, true) + 3) & ~3);
      const next = xorshift(int8 ? 1234 : 4321);
      const query = Float32Array.from({ length: 16 }, () => next() - 0.5);
      let loaded = 0;
      for (let t = 0; t < 1000; t++) {
        const mutated = withValidCrc(bytes, (b) => {
          for (let m = 1 + Math.floor(next() * 4); m > 0; m--) {
            const at = rowsAt + Math.floor(next() * (b.length - rowsAt));
            b[at] = next() < 0.5 ? b[at] ^ (1 << Math.floor(next() * 8)) : Math.floor(next() * 256);
          }
        });
        let copy;
        try {
          copy = SemanticIndex.fromBytes(mutated);
        } catch (e) {
          expect(e.message).toMatch(/^SemanticIndex\.fromBytes\(bytes\): rows\[\d+\] .*\(corrupt index\)$/);
          continue;
        }
        loaded++;
        for (const hit of await copy.search(query, 12)) {
          expect(hit.score).toBeGreaterThanOrEqual(-1);
          expect(hit.score).toBeLessThanOrEqual(1);
        }
        copy.dispose();
      }
      expect(loaded).toBeGreaterThan(0); // some mutations keep a row valid (low bits of a float)
      index.dispose();
    }, 120_000);
  }
});

describe('tokenizer ids at load', () => {
  /** A tokenizer directory: the tiny model's tokenizer.json and tokenizer_config.json after `edit(json, config)`. */
  function tokenizerDir(edit) {
    const json = readJson(path.join(TINY, 'tokenizer.json'));
    const config = readJson(path.join(TINY, 'tokenizer_config.json'));
    edit(json, config);
    const dir = tempDir('tok-ids');
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(json));
    fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify(config));
    return dir;
  }

  test('an id of 2147483647 (vocabulary or added token) is refused naming the token, not "vector"', async () => {
    await expect(loadTokenizer(tokenizerDir((j) => { j.model.vocab['가나'] = 2147483647; })))
      .rejects.toThrow(/tokenizer\.json: model\.vocab\["가나"\]: id 2147483647 is beyond the vocabulary \(\d+ tokens; ids must stay below \d+\)$/);
    await expect(loadTokenizer(tokenizerDir((j) => { j.added_tokens.push({ ...j.added_tokens[0], id: 2147483647, content: '<x>' }); })))
      .rejects.toThrow(/tokenizer\.json: added token "<x>": id 2147483647 is beyond the vocabulary/);
    await expect(loadTokenizer(tokenizerDir((j) => { j.model.vocab['가나'] = 2147483648; })))
      .rejects.toThrow(/model\.vocab\.가나: must be a non-negative integer id, got 2147483648/);
    // A few holes are fine (HF allows them): an id just past the vocabulary loads.
    const holey = await loadTokenizer(tokenizerDir((j) => { j.model.vocab['가나'] = 20500; }));
    expect(holey.vocabSize).toBeGreaterThan(20000);
    holey.dispose();
  });

  test('tokenizer_config added_tokens_decoder keys: digits up to 2^31 - 1 only (no wrap, no sign)', async () => {
    for (const key of ['4294967298', '-5', '1e3', ' 7', '99999999999']) {
      const dir = tokenizerDir((j, c) => { c.added_tokens_decoder = { [key]: { content: '<y>', special: true } }; });
      await expect(loadTokenizer(dir)).rejects.toThrow(new RegExp(`tokenizer_config\\.json: added_tokens_decoder key '${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}' is not an id`));
    }
  });

  test('post-processor special ids outside the vocabulary are refused at load, naming post_processor', async () => {
    const templated = tokenizerDir((j) => { j.post_processor.special_tokens['[SEP]'].ids = [99999]; });
    await expect(loadTokenizer(templated)).rejects.toThrow(/tokenizer\.json: post_processor special token id 99999 is not in the vocabulary/);
    // Found by tests/fuzz (tokenizer_json): an entry without "ids" was a const JSON lookup of a missing key.
    for (const entry of [{ id: '[SEP]' }, 7, null]) {
      const broken = tokenizerDir((j) => { j.post_processor.special_tokens['[SEP]'] = entry; });
      await expect(loadTokenizer(broken)).rejects.toThrow(/post_processor\.special_tokens\.\[SEP\]\.ids must be an array/);
    }
    const bert = tokenizerDir((j) => { j.post_processor = { type: 'BertProcessing', cls: ['[CLS]', 2], sep: ['[SEP]', 25000] }; });
    await expect(loadTokenizer(bert)).rejects.toThrow(/post_processor special token id 25000 is not in the vocabulary/);
  });
});

test('num_hidden_layers below the checkpoint: a warning through onProgress (phase warning), and the load goes on', async () => {
  const dir = tempDir('layers', TINY, TINY_FILES);
  const config = readJson(path.join(TINY, 'config.json'));
  config.num_hidden_layers = 1;
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  for (const dtype of ['fp32', 'int8']) {
    const events = [];
    const model = await load(dir, { dtype, cache: false, onProgress: (e) => events.push(e) });
    const warnings = events.filter((e) => e.phase === 'warning');
    expect(warnings).toEqual([{
      file: 'config.json', loaded: 0, total: 0, phase: 'warning',
      message: 'config.json: num_hidden_layers is 1 but the checkpoint holds 2 layers; the weights of layers 1..1 are not used',
    }]);
    expect((await model.encode('고양이')).length).toBe(64);
    model.dispose();
  }
  const events = [];
  (await load(TINY, { dtype: 'fp32', onProgress: (e) => events.push(e) })).dispose();
  expect(events.filter((e) => e.phase === 'warning')).toEqual([]);
});
