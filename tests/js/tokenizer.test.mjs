// The WASM tokenizer through the public API: byte-exact with Hugging Face on the golden set, truncation,
// hostile input, both configuration formats, and clear errors.
import fs from 'node:fs';
import path from 'node:path';
import { loadTokenizer } from '../../js/index.js';
import { FIXTURES, readJsonl, sameIds, tempDir } from './helpers.mjs';

const TOKENIZER = path.join(FIXTURES, 'tokenizer');
const golden = readJsonl(path.join(TOKENIZER, 'tokenize-dev.jsonl'));

function mismatches(tok, rows, field = 'ids') {
  const bad = [];
  for (const r of rows) {
    const got = field === 'ids' ? tok.encode(r.text) : tok.tokens(r.text);
    if (!sameIds(got, r[field])) bad.push(JSON.stringify(r.text).slice(0, 60));
  }
  return bad;
}

describe('loadTokenizer (tokenizer.json)', () => {
  let tok;
  beforeAll(async () => { tok = await loadTokenizer(TOKENIZER); });
  afterAll(() => tok.dispose());

  test(`reproduces all ${golden.length} golden rows (ids)`, () => {
    expect(golden.length).toBe(13145);
    expect(mismatches(tok, golden)).toEqual([]);
  });

  test('reproduces the golden tokens', () => {
    expect(mismatches(tok, golden, 'tokens')).toEqual([]);
  });

  test('returns Int32Array ids with [CLS] … [SEP]', () => {
    const ids = tok.encode('안녕하세요?');
    expect(ids).toBeInstanceOf(Int32Array);
    expect(Array.from(ids)).toEqual([2, 14959, 7429, 35, 3]);
    expect(Array.from(tok.encode(''))).toEqual([2, 3]);
    expect(tok.vocabSize).toBe(20000);
  });

  test('lone surrogates from JS strings become U+FFFD, which BertNormalizer drops', () => {
    // TextEncoder maps a lone surrogate to U+FFFD; HF's clean_text removes U+FFFD: same ids as without it.
    for (const [withSurrogate, plain] of [['\uD800abc', 'abc'], ['가\uDC00나', '가나'], ['x\uDBFF', 'x']]) {
      expect(Array.from(tok.encode(withSurrogate))).toEqual(Array.from(tok.encode(plain)));
    }
  });

  test('NUL, control characters and empty input', () => {
    expect(Array.from(tok.encode('\u0000'))).toEqual([2, 3]);
    expect(Array.from(tok.encode('a\u0000b'))).toEqual(Array.from(tok.encode('ab')));
    expect(Array.from(tok.encode('\u0000\u0001\u007f'))).toEqual([2, 3]);
  });

  test('a 1 MB string tokenizes deterministically', () => {
    const sentence = '주식 시장에서 한 투자자가 주식을 매수한다. ';
    const text = sentence.repeat(Math.ceil((1 << 20) / Buffer.byteLength(sentence)));
    const one = Array.from(tok.encode(sentence)).slice(1, -1);
    const ids = tok.encode(text);
    expect(ids.length).toBe(2 + one.length * (text.length / sentence.length));
    expect(Array.from(ids.subarray(1, 1 + one.length))).toEqual(one);
    expect(sameIds(tok.encode(text), ids)).toBe(true);
    // One 1 MB "word": longer than max_input_chars_per_word, so a single [UNK].
    expect(Array.from(tok.encode('가'.repeat(1 << 19)))).toEqual([2, 1, 3]);
  });

  test('rejects non-string input with a TypeError naming the argument', () => {
    expect(() => tok.encode(42)).toThrow(/encode\(text\): expected a string/);
    expect(() => tok.tokens(null)).toThrow(/tokens\(text\): expected a string/);
  });
});

describe('truncation', () => {
  // No golden row reaches 128 ids, so long inputs join consecutive rows with a space: whitespace separates
  // words, so their ids are the rows' inner ids concatenated.
  const joined = [];
  for (let i = 0; i + 40 <= golden.length && joined.length < 40; i += 331) {
    const rows = golden.slice(i, i + 40).filter((r) => r.text.trim() && !r.text.includes('['));
    joined.push({ text: rows.map((r) => r.text).join(' '), ids: [2, ...rows.flatMap((r) => r.ids.slice(1, -1)), 3] });
  }
  test.each([128, 512])('maxLength %i keeps [CLS] + first n-2 + [SEP]', async (n) => {
    const tok = await loadTokenizer(TOKENIZER, { maxLength: n });
    const untruncated = await loadTokenizer(TOKENIZER);
    let cut = 0;
    for (const r of [...golden, ...joined]) {
      expect(Array.from(untruncated.encode(r.text))).toEqual(r.ids);
      const expected = r.ids.length <= n ? r.ids : [...r.ids.slice(0, n - 1), 3];
      if (r.ids.length > n) cut++;
      expect(Array.from(tok.encode(r.text))).toEqual(expected);
    }
    expect(cut).toBeGreaterThan(10);
    tok.dispose();
    untruncated.dispose();
  });

  test('maxLength below 2 is a RangeError', async () => {
    await expect(loadTokenizer(TOKENIZER, { maxLength: 1 })).rejects.toThrow(/maxLength/);
    await expect(loadTokenizer(TOKENIZER, { maxLength: 2.5 })).rejects.toThrow(/maxLength/);
  });
});

describe('loadTokenizer (vocab.txt + tokenizer_config.json, as kf-deberta-base ships)', () => {
  test('gives the same ids on every golden row', async () => {
    const dir = tempDir('vocab', TOKENIZER, ['vocab.txt', 'tokenizer_config.json']);
    const tok = await loadTokenizer(dir);
    expect(mismatches(tok, golden)).toEqual([]);
    tok.dispose();
  });
});

describe('errors', () => {
  test('a directory without tokenizer files names the file', async () => {
    const dir = tempDir('empty');
    await expect(loadTokenizer(dir)).rejects.toThrow(new RegExp(`${dir}.*tokenizer\\.json.*not found`));
  });

  test('malformed tokenizer.json names the file', async () => {
    const dir = tempDir('bad', TOKENIZER, ['tokenizer_config.json']);
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), '{"model": ');
    await expect(loadTokenizer(dir)).rejects.toThrow(/tokenizer\.json/);
  });

  test('an unsupported normalizer is rejected with the field named', async () => {
    const dir = tempDir('unsupported', TOKENIZER, ['tokenizer_config.json']);
    const json = JSON.parse(fs.readFileSync(path.join(TOKENIZER, 'tokenizer.json'), 'utf8'));
    json.normalizer = { type: 'Precompiled', precompiled_charsmap: '' };
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(json));
    await expect(loadTokenizer(dir)).rejects.toThrow(/tokenizer\.json.*normalizer.*Precompiled/);
  });

  test('a disposed tokenizer throws instead of touching freed memory', async () => {
    const tok = await loadTokenizer(TOKENIZER);
    tok.dispose();
    expect(() => tok.encode('a')).toThrow(/disposed/);
  });
});
