// The model-directory layout (js/model_layout.js) and manifest.json (js/manifest.js) on the shared cases of
// tests/fixtures/model_layout/, which tests/cpp/model_layout_test.cpp runs through src/model/model_layout.h:
// file lists, the Pooling folder, the tokenizer choice, shards, the files read from a directory, and
// manifest.json bytes (the converter's, the converted-package cache's and the demo server's are one format).
import fs from 'node:fs';
import path from 'node:path';
import { parseManifest, serializeManifest } from '../../js/manifest.js';
import * as layout from '../../js/model_layout.js';
import { FIXTURES, readJson } from './helpers.mjs';

const DIR = path.join(FIXTURES, 'model_layout');
const expected = readJson(path.join(DIR, 'expectations.json'));

/** A case's result must equal `c[key]`, or `run` must throw an Error whose message contains `c.error`. */
function expectCase(c, key, run) {
  if (c.error === undefined) expect(run()).toEqual(c[key]);
  else expect(run).toThrow(c.error);
}

test('file lists', () => {
  expect(layout.TEXT_FILES).toEqual(expected.text_files);
  expect(layout.WEIGHT_FILES).toEqual(expected.weight_files);
  expect(layout.CARRIED_FILES).toEqual(expected.carried_files);
  expect(layout.TOKENIZER_SOURCES).toEqual(expected.tokenizer_sources);
});

test.each(expected.pooling_dir.map((c) => [c.case, c]))('Pooling folder: %s', (_, c) => {
  expectCase(c, 'dir', () => layout.poolingDir(c.modules));
});

test.each(expected.tokenizer_file.map((c) => [c.files.join(' '), c]))('tokenizer from: %s', (_, c) => {
  expect(layout.tokenizerFile((name) => c.files.includes(name))).toBe(c.file);
});

test.each(expected.shard_files.map((c) => [c.case, c]))('shards: %s', (_, c) => {
  expectCase(c, 'shards', () => layout.shardFiles(c.index));
});

test.each(expected.directories.map((c) => [c.dir, c]))('files read from %s', (_, c) => {
  const dir = path.join(DIR, c.dir);
  const files = layout.directoryFiles({
    exists: (name) => fs.existsSync(path.join(dir, name)),
    readText: (name) => fs.readFileSync(path.join(dir, name), 'utf8'),
  });
  expect([...files].sort()).toEqual(c.files);
});

test.each(expected.manifests.map((c) => [c.file, c]))('manifest %s: written byte for byte, read back', (_, c) => {
  const bytes = fs.readFileSync(path.join(DIR, c.file), 'utf8');
  expect(serializeManifest(c.manifest)).toBe(bytes);
  const parsed = parseManifest(bytes, c.file);
  expect(parsed).toEqual({ format: 'kfembed', version: 1, dtype: null, embeddings: null, ...c.manifest });
});
