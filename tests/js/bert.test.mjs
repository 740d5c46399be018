// BERT and RoBERTa through the public API (WASM): tiny-bert / tiny-roberta of ../shared/reference/bert and
// their pytorch_model.bin copies reproduce the reference vectors (fp32: max abs ≤ 1e-4, cosine ≥ 0.99999);
// int8 quantized at load keeps the cosine bound the native test measures; a package kfembed-convert writes
// from either layout gives the quantize-at-load vectors bit for bit; SemanticIndex works unchanged.
import path from 'node:path';
import { load, SemanticIndex } from '../../js/index.js';
import { compareGolden, convertModel, modelsByLength, readJson, SHARED } from './helpers.mjs';
import { startServer } from './server.mjs';

const BERT = path.join(SHARED, 'reference/bert');
const golden = (name) => readJson(path.join(BERT, `golden/${name}-embed-dev.json`));

describe.each(['tiny-bert', 'tiny-roberta'])('%s', (name) => {
  test.each(['', '-bin'])(`fp32${'%s'} matches the reference vectors`, async (variant) => {
    const models = modelsByLength(path.join(BERT, name + variant), { dtype: 'fp32' });
    const r = await compareGolden(models, golden(name));
    await models.dispose();
    console.log(`${name}${variant} fp32 (WASM): min cos ${r.minCos.toFixed(8)} max abs ${r.worstAbs.toExponential(2)}`);
    expect(r.worstAbs).toBeLessThanOrEqual(1e-4);
    expect(r.minCos).toBeGreaterThanOrEqual(0.99999);
  });

  test('int8 quantized at load', async () => {
    const models = modelsByLength(path.join(BERT, name), { dtype: 'int8' });
    const r = await compareGolden(models, golden(name));
    await models.dispose();
    console.log(`${name} int8 (WASM): min cos ${r.minCos.toFixed(6)} mean ${r.meanCos.toFixed(6)}`);
    // Issue 17 asks 0.999 (linears under 256 inputs kept f32: see tests/cpp/bert_encoder_test.cpp).
    expect(r.minCos).toBeGreaterThanOrEqual(0.999);
    expect(r.meanCos).toBeGreaterThanOrEqual(0.9999);
  });

  test('kfembed-convert packages (from safetensors and from pytorch_model.bin) equal quantize-at-load', async () => {
    const texts = golden(name).texts.slice(0, 12);
    const atLoad = await load(path.join(BERT, name), { dtype: 'int8' });
    const want = await atLoad.encode(texts);
    atLoad.dispose();
    for (const variant of ['', '-bin']) {
      const pkg = await load(convertModel(path.join(BERT, name + variant), [], `convert-${name}`), { dtype: 'int8' });
      const got = await pkg.encode(texts);
      pkg.dispose();
      expect(got.map((v) => Array.from(v))).toEqual(want.map((v) => Array.from(v)));
    }
  });

  test('SemanticIndex finds each text first', async () => {
    const model = await load(path.join(BERT, name), { dtype: 'fp32' });
    const texts = golden(name).texts.filter((t) => t.trim()).slice(0, 20);
    const index = new SemanticIndex({ model });
    await index.add(texts, texts.map((_, i) => String(i)));
    let top1 = 0;
    for (let i = 0; i < texts.length; i++) if ((await index.search(texts[i], 1))[0].id === String(i)) top1++;
    model.dispose();
    expect(top1).toBe(texts.length);
  });
});

test('over HTTP, a repository with only pytorch_model.bin: the loader asks for the safetensors first, then the .bin', async () => {
  const server = await startServer({ '/hf/': path.join(BERT, 'tiny-roberta-bin') });
  try {
    const texts = golden('tiny-roberta').texts.slice(0, 4);
    const m = await load(server.url('/hf/'), { dtype: 'fp32', cache: false });
    const got = await m.encode(texts);
    m.dispose();
    golden('tiny-roberta').embeddings.slice(0, 4).forEach((want, i) => {
      want.forEach((x, d) => expect(Math.abs(got[i][d] - x)).toBeLessThanOrEqual(1e-4));
    });
    const asked = server.requests.map((r) => r.path.replace('/hf/', ''));
    expect(asked.indexOf('model.safetensors')).toBeLessThan(asked.indexOf('pytorch_model.bin'));
    expect(asked).toContain('model.safetensors.index.json');
  } finally {
    await server.close();
  }
});
