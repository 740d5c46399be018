// The SentencePiece (Unigram) tokenizer and a DeBERTa-v3-family model through the public API (WASM): Hugging
// Face's ids on the golden set from tokenizer.json and from spm.model alone, pieces, hostile input, truncation,
// and load() parity with sentence-transformers (fp32 within 1e-4, int8 within the int8 bounds).
import fs from 'node:fs';
import path from 'node:path';
import { load, loadTokenizer } from '../../js/index.js';
import { compareGolden, FIXTURES, modelsByLength, readJson, readJsonl, sameIds, tempDir } from './helpers.mjs';

const SPM = path.join(FIXTURES, 'spm');
const TOKENIZER = path.join(SPM, 'tokenizer');
const MODEL = path.join(SPM, 'tiny-spm-deberta');
const MODEL_FILES = ['config.json', 'model.safetensors', 'spm.model', 'tokenizer_config.json', 'modules.json',
  'sentence_bert_config.json', '1_Pooling/config.json'];
const golden = readJsonl(path.join(SPM, 'spm-tokenize-dev.jsonl'));

function mismatches(tok, rows) {
  return rows.filter((r) => !sameIds(tok.encode(r.text), r.ids)).map((r) => JSON.stringify(r.text).slice(0, 60));
}

describe('loadTokenizer (SentencePiece Unigram)', () => {
  let tok;
  beforeAll(async () => { tok = await loadTokenizer(TOKENIZER); });
  afterAll(() => tok.dispose());

  test(`tokenizer.json: reproduces all ${golden.length} golden rows`, () => {
    expect(golden.length).toBe(13145);
    expect(mismatches(tok, golden)).toEqual([]);
  });

  test('spm.model + tokenizer_config.json alone: the same ids on every row', async () => {
    const dir = tempDir('spm-only', TOKENIZER, ['spm.model', 'tokenizer_config.json']);
    const alone = await loadTokenizer(dir);
    expect(alone.vocabSize).toBe(8001);
    expect(mismatches(alone, golden)).toEqual([]);
    alone.dispose();
  });

  test('tokens() are the pieces; ids are an Int32Array with [CLS] … [SEP]', () => {
    expect(tok.tokens('한 남자가 피자를 먹는다.')).toEqual(
      ['[CLS]', '▁한', '▁남자가', '▁피', '자', '를', '▁', '먹', '는다', '.', '[SEP]']);
    const ids = tok.encode('x');
    expect(ids).toBeInstanceOf(Int32Array);
    expect(Array.from(ids)).toEqual([1, 4, 1949, 2]);
    expect(Array.from(tok.encode(''))).toEqual([1, 2]);
    expect(tok.vocabSize).toBe(8001);
  });

  test('lone surrogates become U+FFFD (an unknown piece); NUL and controls fuse into one [UNK]', () => {
    for (const [withSurrogate, replaced] of [['\uD800abc', '\uFFFDabc'], ['가\uDC00나', '가\uFFFD나'], ['x\uDBFF', 'x\uFFFD']]) {
      expect(Array.from(tok.encode(withSurrogate))).toEqual(Array.from(tok.encode(replaced)));
    }
    expect(Array.from(tok.encode('\uD800'))).toEqual([1, 4, 3, 2]);
    expect(Array.from(tok.encode('\u0000'))).toEqual([1, 4, 3, 2]);
    expect(Array.from(tok.encode('\u0000\u0001\u007f'))).toEqual([1, 4, 3, 2]);
    expect(Array.from(tok.encode(' \t\n\u3000 '))).toEqual([1, 2]);
  });

  test('1 MB strings tokenize deterministically (many words, and one word)', () => {
    const sentence = '주식 시장에서 한 투자자가 주식을 매수한다. ';
    const text = sentence.repeat(Math.ceil((1 << 20) / Buffer.byteLength(sentence)));
    const one = Array.from(tok.encode(sentence)).slice(1, -1);
    const ids = tok.encode(text);
    expect(ids.length).toBe(2 + one.length * (text.length / sentence.length));
    expect(Array.from(ids.subarray(1, 1 + one.length))).toEqual(one);
    expect(sameIds(tok.encode(text), ids)).toBe(true);
    const word = '투자자가주식을매수'.repeat(40000);
    const wordIds = tok.encode(word);
    expect(wordIds.length).toBeGreaterThan(word.length / 10);
    expect(sameIds(tok.encode(word), wordIds)).toBe(true);
  });

  test('maxLength keeps [CLS] + the first pieces + [SEP]', async () => {
    const cut = await loadTokenizer(TOKENIZER, { maxLength: 16 });
    let truncated = 0;
    for (const r of golden) {
      const want = r.ids.length <= 16 ? r.ids : [...r.ids.slice(0, 15), 2];
      if (r.ids.length > 16) truncated++;
      expect(Array.from(cut.encode(r.text))).toEqual(want);
    }
    expect(truncated).toBeGreaterThan(1000);
    cut.dispose();
  });
});

describe('errors', () => {
  test('a corrupt spm.model names the file', async () => {
    const dir = tempDir('spm-bad', TOKENIZER, ['tokenizer_config.json']);
    fs.writeFileSync(path.join(dir, 'spm.model'), fs.readFileSync(path.join(TOKENIZER, 'spm.model')).subarray(0, 999));
    await expect(loadTokenizer(dir)).rejects.toThrow(/spm\.model: byte \d+/);
  });

  test('an unsupported Replace regex is rejected with the field named', async () => {
    const dir = tempDir('spm-regex', TOKENIZER, ['tokenizer_config.json']);
    const json = JSON.parse(fs.readFileSync(path.join(TOKENIZER, 'tokenizer.json'), 'utf8'));
    json.normalizer.normalizers[0].pattern.Regex = '(a|b)+';
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(json));
    await expect(loadTokenizer(dir)).rejects.toThrow(/tokenizer\.json: normalizer\.normalizers\[0\]\.pattern\.Regex: regex/);
  });

  test('no tokenizer file at all names all three', async () => {
    const dir = tempDir('spm-none');
    await expect(loadTokenizer(dir)).rejects.toThrow(/tokenizer\.json.*vocab\.txt.*spm\.model/);
  });
});

describe('load() of tiny-spm-deberta (DeBERTa-v2 architecture, Unigram tokenizer)', () => {
  const embed = readJson(path.join(SPM, 'tiny-spm-embed-dev.json'));

  test('fp32: every golden vector within 1e-4, cosine ≥ 0.99999', async () => {
    const models = modelsByLength(MODEL, { dtype: 'fp32' });
    const r = await compareGolden(models, embed);
    await models.dispose();
    expect(embed.texts.length).toBe(164);
    expect(r.worstAbs).toBeLessThanOrEqual(1e-4);
    expect(r.minCos).toBeGreaterThanOrEqual(0.99999);
  });

  test('fp32 from spm.model alone (no tokenizer.json): the same vectors', async () => {
    const dir = tempDir('spm-model', MODEL, MODEL_FILES);
    const models = modelsByLength(dir, { dtype: 'fp32' });
    const model = await models(128);
    const tok = await loadTokenizer(TOKENIZER, { maxLength: 128 });
    for (const text of embed.texts) expect(Array.from(model.tokenize(text))).toEqual(Array.from(tok.encode(text)));
    tok.dispose();
    const r = await compareGolden(models, embed);
    await models.dispose();
    expect(r.worstAbs).toBeLessThanOrEqual(1e-4);
  });

  test('int8 (quantized at load): min cosine ≥ 0.999, mean ≥ 0.9998 to the reference', async () => {
    const models = modelsByLength(MODEL, { dtype: 'int8' });
    const r = await compareGolden(models, embed);
    await models.dispose();
    console.log(`tiny-spm int8: min cos ${r.minCos.toFixed(6)} mean ${r.meanCos.toFixed(6)}`);
    expect(r.minCos).toBeGreaterThanOrEqual(0.999);
    expect(r.meanCos).toBeGreaterThanOrEqual(0.9998);
  });
});
