// The float32 encoder through the public API (WASM): Hugging Face parity on the tiny and base2 golden sets,
// the encode()/similarity() contract, and clear errors for bad model directories.
import fs from 'node:fs';
import path from 'node:path';
import { load, similarity } from '../../js/index.js';
import { base2Dir, compareGolden, FIXTURES, modelsByLength, readJson, tempDir, TINY, TINY_FILES } from './helpers.mjs';

const modelCache = (dir, dtype) => modelsByLength(dir, { dtype });

describe('fp32 parity with sentence-transformers', () => {
  test('tiny: every golden vector within 1e-4, cosine ≥ 0.99999', async () => {
    const golden = readJson(path.join(FIXTURES, 'golden/tiny-embed-dev.json'));
    const models = modelCache(TINY, 'fp32');
    const r = await compareGolden(models, golden);
    await models.dispose();
    expect(golden.texts.length).toBe(164);
    expect(r.worstAbs).toBeLessThanOrEqual(1e-4);
    expect(r.minCos).toBeGreaterThanOrEqual(0.99999);
  });

  test('base2 (768 hidden, 12 heads, 3072 FFN; 128 and 512 tokens): every golden vector within 1e-4', async () => {
    const golden = readJson(path.join(FIXTURES, 'golden/base2-embed-dev.json'));
    const models = modelCache(await base2Dir(), 'fp32');
    const r = await compareGolden(models, golden);
    await models.dispose();
    expect(golden.texts.length).toBe(52);
    expect(r.worstAbs).toBeLessThanOrEqual(1e-4);
    expect(r.minCos).toBeGreaterThanOrEqual(0.99999);
  }, 600_000);
});

describe('SentenceModel API', () => {
  let model;
  beforeAll(async () => { model = await load(TINY, { dtype: 'fp32' }); });
  afterAll(() => model.dispose());

  test('dim and maxSeqLength come from the model directory', () => {
    expect(model.dim).toBe(64);
    expect(model.maxSeqLength).toBe(128); // sentence_bert_config.json
  });

  test('tokenize truncates to maxSeqLength', () => {
    const ids = model.tokenize('가나 '.repeat(300));
    expect(ids).toBeInstanceOf(Int32Array);
    expect(ids.length).toBe(128);
    expect(ids[0]).toBe(2);
    expect(ids[127]).toBe(3);
  });

  test('encode: string → Float32Array, array → array, [] → []', async () => {
    const one = await model.encode('한 남자가 피자를 먹는다.');
    expect(one).toBeInstanceOf(Float32Array);
    expect(one.length).toBe(64);
    const many = await model.encode(['한 남자가 피자를 먹는다.', '고양이']);
    expect(many).toHaveLength(2);
    expect(Array.from(many[0])).toEqual(Array.from(one));
    expect(await model.encode([])).toEqual([]);
  });

  test('encode(array) packs sentences into shared passes: every vector identical to encoding it alone', async () => {
    // 164 golden texts + edge cases, more than one runtime batch (64 texts), fp32 and int8.
    const golden = readJson(path.join(FIXTURES, 'golden/tiny-embed-dev.json'));
    const long = golden.texts.slice(0, 40).join(' ');
    const texts = ['', ...golden.texts, long, '\uD800 홀로 남은 서로게이트', long, '고양이'];
    for (const dtype of ['fp32', 'int8']) {
      const m = dtype === 'fp32' ? model : await load(TINY, { dtype });
      expect(m.tokenize(long).length).toBe(128);
      const batch = await m.encode(texts);
      expect(batch).toHaveLength(texts.length);
      for (let i = 0; i < texts.length; i++) {
        const alone = await m.encode(texts[i]);
        expect(Buffer.from(batch[i].buffer).equals(Buffer.from(alone.buffer))).toBe(true);
      }
      const unit = await m.encode(texts.slice(0, 3), { normalize: true });
      for (const v of unit) expect(Math.hypot(...v)).toBeCloseTo(1, 5);
      if (m !== model) m.dispose();
    }
  });

  test('encode("") is the mean over [CLS] [SEP], as sentence-transformers gives', async () => {
    const golden = readJson(path.join(FIXTURES, 'golden/tiny-embed-dev.json'));
    const i = golden.texts.indexOf('');
    expect(i).toBeGreaterThanOrEqual(0);
    const v = await model.encode('');
    expect(Math.max(...v.map((x, j) => Math.abs(x - golden.embeddings[i][j])))).toBeLessThanOrEqual(1e-4);
  });

  test('normalize gives unit vectors in the same direction', async () => {
    const [raw] = await model.encode(['문장 임베딩']);
    const [unit] = await model.encode(['문장 임베딩'], { normalize: true });
    const norm = Math.hypot(...unit);
    expect(Math.abs(norm - 1)).toBeLessThan(1e-6);
    expect(similarity(raw, unit)).toBeGreaterThan(0.999999);
  });

  test('similarity: WASM and standalone agree; identical vectors give 1', async () => {
    const [a, b] = await model.encode(['비행기가 이륙하고 있다.', '한 남자가 피리를 불고 있다.']);
    expect(Math.abs(model.similarity(a, b) - similarity(a, b))).toBeLessThan(1e-6);
    expect(model.similarity(a, a)).toBeCloseTo(1, 6);
    expect(() => model.similarity(a, b.subarray(1))).toThrow(/length 64/);
  });

  test('bad arguments are TypeErrors naming the argument', async () => {
    await expect(model.encode(5)).rejects.toThrow(/encode\(texts\)/);
    await expect(model.encode(['a', 7])).rejects.toThrow(/texts\[1\]/);
  });
});

describe('load errors name the file and the reason', () => {
  test('missing directory / config.json', async () => {
    const dir = tempDir('nomodel');
    await expect(load(dir, { dtype: 'fp32' })).rejects.toThrow(new RegExp(`${dir}/config\\.json: file not found`));
  });

  test('missing weights', async () => {
    const dir = tempDir('noweights', TINY, TINY_FILES.filter((f) => f !== 'model.safetensors'));
    await expect(load(dir, { dtype: 'fp32' })).rejects.toThrow(/model\.safetensors: file not found/);
  });

  test('truncated safetensors', async () => {
    const dir = tempDir('truncated', TINY, TINY_FILES);
    const file = path.join(dir, 'model.safetensors');
    fs.truncateSync(file, fs.statSync(file).size - 1000);
    await expect(load(dir, { dtype: 'fp32' })).rejects.toThrow(/model\.safetensors/);
  });

  test('unsupported config value', async () => {
    const dir = tempDir('conv', TINY, TINY_FILES);
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    cfg.conv_kernel_size = 3;
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(cfg));
    await expect(load(dir, { dtype: 'fp32' })).rejects.toThrow(/config\.json.*conv_kernel_size/);
  });

  test('bad options are rejected before any I/O', async () => {
    await expect(load(TINY, { dtype: 'fp16' })).rejects.toThrow(/dtype/);
    await expect(load(TINY, { maxSeqLength: 513 })).rejects.toThrow(/maxSeqLength/);
  });

  test('a disposed model throws', async () => {
    const m = await load(TINY, { dtype: 'fp32' });
    m.dispose();
    await expect(m.encode('a')).rejects.toThrow(/disposed/);
  });
});

describe('default source', () => {
  test('load() without a source reads the original hub repository', async () => {
    const { DEFAULT_SOURCE } = await import('../../js/index.js');
    expect(DEFAULT_SOURCE).toBe('https://huggingface.co/upskyy/kf-deberta-multitask/resolve/main/');
    const realFetch = globalThis.fetch;
    const requested = [];
    // No network in tests: record the URLs and answer 404, which must surface as an Error naming the URL.
    globalThis.fetch = async (url) => {
      requested.push(String(url));
      return new Response('not here', { status: 404, statusText: 'Not Found' });
    };
    try {
      await expect(load(undefined, { dtype: 'fp32', cache: false })).rejects.toThrow(/huggingface\.co\/upskyy\/kf-deberta-multitask\/resolve\/main\/.*404/);
    } finally {
      globalThis.fetch = realFetch;
    }
    expect(requested.length).toBeGreaterThan(0);
    expect(requested.every((u) => u.startsWith(DEFAULT_SOURCE))).toBe(true);
  });
});
