// A DeBERTa-v3-family model that ships spm.model and no tokenizer.json, loaded over HTTP in headless Chromium:
// loadTokenizer(), load() in the page and load({ worker: true }) (the worker hands spm.model's bytes to the
// page's tokenizer) give the ids and vectors Node gives from tokenizer.json.
import path from 'node:path';
import { load, loadTokenizer } from '../../js/index.js';
import { FIXTURES, launchChromium, readJsonl, ROOT, tempDir } from './helpers.mjs';
import { startServer } from './server.mjs';

import { jest } from '@jest/globals';

jest.setTimeout(120_000);

const SPM = path.join(FIXTURES, 'spm');
const MODEL = path.join(SPM, 'tiny-spm-deberta');
const TEXTS = readJsonl(path.join(SPM, 'spm-tokenize-dev.jsonl')).slice(0, 40).map((r) => r.text)
  .concat(['((괄호)) [대괄호] {중괄호} <꺾쇠>', '\u0000null\u0001ctrldel', '']);

let server;
let browser;
let reference;

beforeAll(async () => {
  const dir = tempDir('spm-http', MODEL, ['config.json', 'model.safetensors', 'spm.model', 'tokenizer_config.json',
    'modules.json', 'sentence_bert_config.json', '1_Pooling/config.json']);
  server = await startServer({ '/js/': path.join(ROOT, 'js'), '/e2e/': path.join(ROOT, 'tests/e2e'), '/spm/': dir });
  browser = await launchChromium();
  const tok = await loadTokenizer(path.join(SPM, 'tokenizer'));
  const model = await load(MODEL, { dtype: 'fp32' });
  reference = {
    ids: TEXTS.map((t) => Array.from(tok.encode(t))),
    tokenized: TEXTS.map((t) => Array.from(model.tokenize(t))),
    vectors: (await model.encode(TEXTS)).map((v) => Array.from(v)),
  };
  tok.dispose();
  model.dispose();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

test('loadTokenizer, load and load({ worker: true }) from spm.model over HTTP', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e));
  await page.goto(server.url('/e2e/index.html'));
  await page.waitForFunction(() => window.e2eReady === true);
  const got = await page.evaluate(async ({ url, texts }) => {
    const tok = await window.kfembed.loadTokenizer(url);
    const ids = texts.map((t) => Array.from(tok.encode(t)));
    tok.dispose();
    const run = async (options) => {
      const model = await window.kfembed.load(url, { dtype: 'fp32', cache: false, ...options });
      const out = {
        tokenized: texts.map((t) => Array.from(model.tokenize(t))),
        vectors: (await model.encode(texts)).map((v) => Array.from(v)),
      };
      model.dispose();
      return out;
    };
    return { ids, inPage: await run({}), inWorker: await run({ worker: true }) };
  }, { url: server.url('/spm/'), texts: TEXTS });
  await context.close();
  expect(errors).toEqual([]);
  expect(got.ids).toEqual(reference.ids);
  for (const mode of [got.inPage, got.inWorker]) {
    expect(mode.tokenized).toEqual(reference.tokenized);
    const worst = Math.max(...mode.vectors.flatMap((v, i) => v.map((x, d) => Math.abs(x - reference.vectors[i][d]))));
    expect(worst).toBeLessThanOrEqual(1e-6);
  }
  expect(server.requestsFor('/spm/tokenizer.json').length).toBeGreaterThan(0); // looked for, 404, then spm.model
  expect(server.requestsFor('/spm/spm.model').length).toBe(3);
});
