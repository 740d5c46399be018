// SemanticIndex through the public API (WASM): top-k against a brute-force double-precision reference on
// random data (f32: same order, scores within 1e-5; int8: within 0.01), ids, remove, the binary format
// (round trip, corrupt bytes), argument errors, and the contract scenario with the tiny model.
import path from 'node:path';
import { load, SemanticIndex } from '../../js/index.js';
import { cosine, FIXTURES, readJson, sameBytes, TINY } from './helpers.mjs';

/** Deterministic pseudo-random vectors (xorshift32 → roughly normal via the sum of 4 uniforms). */
function randomVectors(count, dim, seed) {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 2 ** 32;
  };
  return Array.from({ length: count }, () => {
    const v = new Float32Array(dim);
    for (let i = 0; i < dim; i++) v[i] = next() + next() + next() + next() - 2;
    return v;
  });
}


/** Reference ranking: double-precision cosine, best first, ties by insertion order. */
function bruteForce(docs, query, k) {
  return docs.map((v, i) => [i, cosine(v, query)]).sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, k);
}

describe('SemanticIndex on random vectors', () => {
  for (const dim of [7, 64, 768]) {
    test(`f32, dim ${dim}: same ranking as brute force, scores within 1e-5`, async () => {
      const docs = randomVectors(3000, dim, dim);
      const index = new SemanticIndex();
      await index.add(docs.slice(0, 1000));
      await index.add(docs.slice(1000)); // the WASM store grows under a second add
      expect(index.size).toBe(3000);
      expect(index.dim).toBe(dim);
      for (const [q, query] of randomVectors(15, dim, 99 + dim).entries()) {
        const ref = bruteForce(docs, query, 10);
        const got = await index.search(query, 10);
        expect(got.map((h) => h.id)).toEqual(ref.map(([i]) => i));
        got.forEach((h, i) => expect(Math.abs(h.score - ref[i][1])).toBeLessThanOrEqual(1e-5));
        expect(got.every((h) => h.text === undefined)).toBe(true);
        // A stored document finds itself first with score ≈ 1.
        const self = (await index.search(docs[q * 37], 1))[0];
        expect(self.id).toBe(q * 37);
        expect(self.score).toBeCloseTo(1, 5);
      }
      index.dispose();
    });

    test(`int8, dim ${dim}: scores within 0.01 of brute force`, async () => {
      const docs = randomVectors(3000, dim, 7 * dim);
      const index = new SemanticIndex({ int8: true });
      await index.add(docs);
      for (const query of randomVectors(15, dim, 5 + dim)) {
        const ref = bruteForce(docs, query, 10);
        const got = await index.search(query, 10);
        expect(got).toHaveLength(10);
        got.forEach((h, i) => {
          expect(Math.abs(h.score - ref[i][1])).toBeLessThanOrEqual(0.01);
          expect(Math.abs(h.score - cosine(docs[h.id], query))).toBeLessThanOrEqual(0.01);
        });
      }
      index.dispose();
    });
  }

  test('int8 is about 4× smaller in toBytes()', async () => {
    const docs = randomVectors(500, 256, 3);
    const f = new SemanticIndex();
    const q = new SemanticIndex({ int8: true });
    await f.add(docs);
    await q.add(docs);
    const ratio = f.toBytes().length / q.toBytes().length;
    expect(ratio).toBeGreaterThan(3.5);
  });
});

describe('SemanticIndex ids and remove', () => {
  const docs = randomVectors(20, 16, 42);

  test('ids default to insertion numbers; custom ids; duplicates reject', async () => {
    const index = new SemanticIndex();
    expect(await index.add(docs.slice(0, 3))).toEqual([0, 1, 2]);
    expect(await index.add(docs.slice(3, 5), ['a', 'b'])).toEqual(['a', 'b']);
    expect(await index.add(docs.slice(5, 6))).toEqual([3]);
    await expect(index.add(docs.slice(6, 7), ['a'])).rejects.toThrow(/duplicate id "a"/);
    await expect(index.add(docs.slice(6, 8), ['x', 'x'])).rejects.toThrow(/duplicate id "x"/);
    await expect(index.add(docs.slice(6, 7), [1])).rejects.toThrow(/duplicate id 1/);
    expect(index.size).toBe(6);
    expect(index.has('b')).toBe(true);
    const [hit] = await index.search(docs[4], 1);
    expect(hit.id).toBe('b');
  });

  test('remove() drops documents, ignores unknown ids, keeps the rest searchable', async () => {
    const index = new SemanticIndex({ int8: true });
    await index.add(docs);
    expect(index.remove([3, 7, 'nope', 7])).toBe(2);
    expect(index.remove(0)).toBe(1);
    expect(index.size).toBe(17);
    expect(index.has(3)).toBe(false);
    const all = await index.search(docs[3], 20);
    expect(all).toHaveLength(17);
    expect(all.map((h) => h.id)).not.toContain(3);
    for (const id of [1, 8, 19]) expect((await index.search(docs[id], 1))[0].id).toBe(id);
    // New default ids never reuse a removed one.
    expect(await index.add(docs.slice(0, 1))).toEqual([20]);
  });

  test('k larger than size, k = 0, empty index', async () => {
    const index = new SemanticIndex();
    expect(await index.search(docs[0], 5)).toEqual([]);
    await index.add(docs.slice(0, 3));
    expect(await index.search(docs[0], 50)).toHaveLength(3);
    expect(await index.search(docs[0], 0)).toEqual([]);
  });
});

describe('SemanticIndex binary format', () => {
  const docs = randomVectors(300, 48, 11);

  for (const int8 of [false, true]) {
    test(`toBytes/fromBytes round trip (int8 ${int8})`, async () => {
      const index = new SemanticIndex({ int8 });
      await index.add(docs.slice(0, 150));
      await index.add(docs.slice(150), docs.slice(150).map((_, i) => `doc-${i}`));
      index.remove([5, 'doc-3']);
      const bytes = index.toBytes();
      expect(String.fromCharCode(...bytes.subarray(0, 8))).toBe('KFEMBIDX');
      const copy = SemanticIndex.fromBytes(bytes);
      expect(copy.size).toBe(298);
      expect(copy.int8).toBe(int8);
      expect(sameBytes(copy.toBytes(), bytes)).toBe(true); // before the vectors even reach WASM
      for (const q of randomVectors(5, 48, 77)) expect(await copy.search(q, 8)).toEqual(await index.search(q, 8));
      expect(sameBytes(copy.toBytes(), bytes)).toBe(true);
      // Removing before the first search (rows still in JS) and after it agree.
      const a = SemanticIndex.fromBytes(bytes);
      a.remove([0, 'doc-100']);
      index.remove([0, 'doc-100']);
      const q = docs[200];
      expect(await a.search(q, 5)).toEqual(await index.search(q, 5));
      expect(sameBytes(a.toBytes(), index.toBytes())).toBe(true);
      // Default ids continue where the original left off.
      expect(await a.add(docs.slice(0, 1))).toEqual(await index.add(docs.slice(0, 1)));
    });
  }

  test('an ArrayBuffer or an offset view works too; an empty index round-trips', async () => {
    const index = new SemanticIndex();
    await index.add(docs.slice(0, 4));
    const bytes = index.toBytes();
    expect(SemanticIndex.fromBytes(bytes.slice().buffer).size).toBe(4);
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    expect(SemanticIndex.fromBytes(shifted.subarray(3)).size).toBe(4);
    const empty = SemanticIndex.fromBytes(new SemanticIndex().toBytes());
    expect(empty.size).toBe(0);
    await empty.add(docs.slice(0, 2));
    expect(empty.dim).toBe(48);
  });

  test('corrupt bytes give a clear Error', async () => {
    const index = new SemanticIndex({ int8: true });
    await index.add(docs.slice(0, 10));
    const good = index.toBytes();
    const bad = (mutate) => {
      const b = good.slice();
      mutate(b);
      return b;
    };
    expect(() => SemanticIndex.fromBytes(good.subarray(0, 20))).toThrow(/too short/);
    expect(() => SemanticIndex.fromBytes(bad((b) => { b[0] = 0x58; }))).toThrow(/not a kfembed index \(bad magic\)/);
    expect(() => SemanticIndex.fromBytes(bad((b) => { b[8] = 9; }))).toThrow(/unsupported format version 9/);
    expect(() => SemanticIndex.fromBytes(bad((b) => { b[12] = 6; }))).toThrow(/unknown flags/);
    expect(() => SemanticIndex.fromBytes(good.subarray(0, good.length - 1))).toThrow(/truncated or corrupt/);
    expect(() => SemanticIndex.fromBytes(bad((b) => { b[b.length - 7] ^= 0x40; }))).toThrow(/checksum mismatch/);
    expect(() => SemanticIndex.fromBytes(bad((b) => { b[40] ^= 1; }))).toThrow(/checksum mismatch/);
    expect(() => SemanticIndex.fromBytes('KFEMBIDX')).toThrow(/expected a Uint8Array or ArrayBuffer/);
  });
});

describe('SemanticIndex argument errors', () => {
  test('errors name the argument and the reason', async () => {
    const index = new SemanticIndex();
    await index.add([new Float32Array([1, 0, 0])]);
    await expect(index.add([new Float32Array([1, 0])])).rejects.toThrow(/items\[0\]: has length 2, expected 3/);
    await expect(index.add([[1, NaN, 0]])).rejects.toThrow(/items\[0\]\[1\] is NaN/);
    await expect(index.add(['문장'])).rejects.toThrow(/adding texts needs a model/);
    await expect(index.add([new Float32Array(3), '문장'])).rejects.toThrow(/items\[1\] is string/);
    await expect(index.add([new Float32Array(3)], ['a', 'b'])).rejects.toThrow(/ids has 2 entries for 1 items/);
    await expect(index.add([new Float32Array(3)], [{}])).rejects.toThrow(/ids\[0\]: ids must be strings or finite numbers/);
    await expect(index.search('질의', 3)).rejects.toThrow(/text query needs a model/);
    await expect(index.search([1, 0, 0], -1)).rejects.toThrow(/k must be an integer ≥ 0/);
    await expect(index.search([1, 0], 1)).rejects.toThrow(/query has length 2, expected 3/);
    expect(index.size).toBe(1);
    await expect(index.save('x')).rejects.toThrow(/IndexedDB is not available/);
    index.dispose();
    await expect(index.search([1, 0, 0], 1)).rejects.toThrow(/disposed/);
    expect(() => new SemanticIndex({ int8: 'yes' })).toThrow(/options.int8 must be a boolean/);
  });
});

describe('SemanticIndex with the tiny model', () => {
  let model;
  let texts;
  beforeAll(async () => {
    model = await load(TINY, { dtype: 'fp32' });
    texts = readJson(path.join(FIXTURES, 'golden/tiny-embed-dev.json')).texts.filter((t) => t.trim()).slice(0, 120);
  });
  afterAll(() => model?.dispose());

  for (const int8 of [false, true]) {
    test(`texts: a query equal to a document ranks it first; scores match encode() (int8 ${int8})`, async () => {
      const vectors = await model.encode(texts);
      const index = new SemanticIndex({ model, int8 });
      await index.add(texts);
      expect(index.dim).toBe(model.dim);
      for (let q = 0; q < 20; q++) {
        const ref = bruteForce(vectors, vectors[q], 5);
        const got = await index.search(texts[q], 5);
        expect(got[0].text).toBe(texts[ref[0][0]]);
        got.forEach((h, i) => expect(Math.abs(h.score - ref[i][1])).toBeLessThanOrEqual(int8 ? 0.01 : 1e-5));
        got.forEach((h) => expect(h.text).toBe(texts[h.id]));
      }
      const copy = SemanticIndex.fromBytes(index.toBytes(), { model });
      expect(await copy.search(texts[3], 5)).toEqual(await index.search(texts[3], 5));
      index.dispose();
      copy.dispose();
    });
  }

  test('fromBytes refuses a model of another dimension', async () => {
    const index = new SemanticIndex();
    await index.add([new Float32Array(5).fill(1)]);
    expect(() => SemanticIndex.fromBytes(index.toBytes(), { model })).toThrow(/5-dimensional vectors but the model produces 64/);
  });
});
