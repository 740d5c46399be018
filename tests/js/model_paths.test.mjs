// Paths a model's own files name (the Pooling `path` of modules.json, the shards of
// model.safetensors.index.json) stay inside the model, over HTTP and from a Node directory: a hostile name
// fails load() with the file and the field named, and no request ever leaves the model's URL. Each name below
// reaches outside through a URL parser (WHATWG: '%2e%2e' is '..', tabs/newlines are dropped, leading spaces
// trimmed) or directly; next to the model sits an `outside` folder with files that would load.
import fs from 'node:fs';
import path from 'node:path';
import { load } from '../../js/index.js';
import { copyFiles, tempDir, TINY, TINY_FILES } from './helpers.mjs';
import { startServer } from './server.mjs';

const HOSTILE = ['../outside', '%2e%2e/outside', '.%2E/outside', '.\t./outside', '.\n./outside', ' ../outside',
  '/outside', 'http://127.0.0.1:1/outside', 'outside/../../outside'];

let root;
let server;
beforeAll(async () => {
  root = tempDir('paths');
  copyFiles(TINY, path.join(root, 'outside'), TINY_FILES);
  fs.copyFileSync(path.join(TINY, '1_Pooling/config.json'), path.join(root, 'outside/config.json'));
  server = await startServer({ '/root/': root });
});
afterAll(() => server.close());

/** A copy of the tiny model in root/<name>, edited by `edit(dir)`. */
function modelDir(name, edit) {
  const dir = path.join(root, name);
  fs.rmSync(dir, { recursive: true, force: true });
  copyFiles(TINY, dir, TINY_FILES);
  edit(dir);
  return dir;
}

const withPooling = (poolingPath) => (dir) => fs.writeFileSync(path.join(dir, 'modules.json'), JSON.stringify([
  { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
  { idx: 1, name: '1', path: poolingPath, type: 'sentence_transformers.models.Pooling' },
]));

const withShard = (shard) => (dir) => {
  fs.renameSync(path.join(dir, 'model.safetensors'), path.join(dir, 'weights.safetensors'));
  fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({
    metadata: {},
    weight_map: { 'embeddings.word_embeddings.weight': 'weights.safetensors', 'encoder.layer.0.attention.self.query_proj.weight': shard },
  }));
};

describe.each([
  ['Pooling path (modules.json)', withPooling, 'modules.json', /Pooling module path .* is not a plain relative path/],
  ['shard (model.safetensors.index.json)', withShard, 'model.safetensors.index.json', /shard .* is not a plain relative path/],
])('%s', (_, make, file, message) => {
  test.each(HOSTILE.map((p) => [JSON.stringify(p), p]))('%s: refused over HTTP, no request outside the model', async (_name, hostile) => {
    modelDir('m', make(hostile));
    server.reset();
    const error = await load(server.url('/root/m/'), { dtype: 'fp32', cache: false }).then(() => null, (e) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toMatch(message);
    expect(error.message).toContain(`/root/m/${file}`);
    expect(server.requests.length).toBeGreaterThan(0);
    for (const r of server.requests) expect(r.path.startsWith('/root/m/')).toBe(true);
  });

  test.each(HOSTILE.map((p) => [JSON.stringify(p), p]))('%s: refused from a Node directory', async (_name, hostile) => {
    const dir = modelDir('d', make(hostile));
    const error = await load(dir, { dtype: 'fp32' }).then(() => null, (e) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toMatch(message);
    expect(error.message).toContain(path.join(dir, file));
  });
});

test('the same layouts with plain names inside the model load (the checks refuse only escapes)', async () => {
  const pooled = modelDir('ok-pool', (dir) => {
    withPooling('pool/mean')(dir);
    fs.mkdirSync(path.join(dir, 'pool/mean'), { recursive: true });
    fs.copyFileSync(path.join(TINY, '1_Pooling/config.json'), path.join(dir, 'pool/mean/config.json'));
  });
  const model = await load(server.url('/root/ok-pool/'), { dtype: 'fp32', cache: false });
  expect(server.requestsFor('/root/ok-pool/pool/mean/config.json').length).toBe(1);
  model.dispose();
  (await load(pooled, { dtype: 'fp32' })).dispose();
});
