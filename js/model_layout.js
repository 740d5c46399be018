// The layout of a model directory, in one place: which files a Hugging Face / sentence-transformers directory
// (or a kfembed package) holds, where the Pooling module's config lives, and which file the tokenizer is built
// from. manifest.json has its own module (manifest.js). The C++ twin is src/model/model_layout.h; both run the
// cases of tests/fixtures/model_layout/ (tests/js/model_layout.test.mjs, tests/cpp/model_layout_test.cpp).

export const CONFIG_FILE = 'config.json';
export const MODULES_FILE = 'modules.json';
export const TOKENIZER_JSON_FILE = 'tokenizer.json';
export const VOCAB_FILE = 'vocab.txt';
export const TOKENIZER_CONFIG_FILE = 'tokenizer_config.json';
/** A SentencePiece model (binary): the tokenizer of DeBERTa-v3-family repositories that ship no tokenizer.json. */
export const SPM_MODEL_FILE = 'spm.model';
export const WEIGHTS_FILE = 'model.safetensors';
export const SHARD_INDEX_FILE = 'model.safetensors.index.json';
export const INT8_WEIGHTS_FILE = 'model.int8.safetensors';
/** Folder (relative to the source's base URL) of the cached converted package (converted_cache.js). */
export const CONVERTED_DIR = 'kfembed-int8/';
export const convertedRoot = (base) => `${base}${CONVERTED_DIR}`;
/** PyTorch's checkpoint, read (restricted unpickler, src/model/torch_checkpoint.h) when there is no safetensors. */
export const TORCH_WEIGHTS_FILE = 'pytorch_model.bin';
export const POOLING_TYPE = 'sentence_transformers.models.Pooling';
export const DEFAULT_POOLING_DIR = '1_Pooling';

/** The small files the encoder reads, config.json first (the only one required). */
export const TEXT_FILES = Object.freeze([CONFIG_FILE, TOKENIZER_JSON_FILE, TOKENIZER_CONFIG_FILE, VOCAB_FILE,
  'special_tokens_map.json', MODULES_FILE, 'sentence_bert_config.json']);
/** Weight files at the top level: float weights, their shard index, a package's int8 weights, PyTorch's file. */
export const WEIGHT_FILES = Object.freeze([WEIGHTS_FILE, SHARD_INDEX_FILE, INT8_WEIGHTS_FILE, TORCH_WEIGHTS_FILE]);
/** Files a package carries along although the encoder never reads them. */
export const CARRIED_FILES = Object.freeze(['config_sentence_transformers.json']);

/** What the tokenizer is built from, in order of preference (tokenizer_config.json beside any). */
export const TOKENIZER_SOURCES = Object.freeze([TOKENIZER_JSON_FILE, VOCAB_FILE, SPM_MODEL_FILE]);
/** Every file a tokenizer may read. */
export const TOKENIZER_FILES = Object.freeze([TOKENIZER_JSON_FILE, TOKENIZER_CONFIG_FILE, VOCAB_FILE, SPM_MODEL_FILE]);
/** Tokenizer files that are bytes, not text. */
export const isBinaryTokenizerFile = (name) => name === SPM_MODEL_FILE;

/** The first of TOKENIZER_SOURCES that `has(name)`; null when none. */
export function tokenizerFile(has) {
  return TOKENIZER_SOURCES.find(has) ?? null;
}

/** The error when no tokenizer source exists; `location(name)` is where that file would be. */
export function noTokenizerError(location) {
  return new Error(`${location}: file not found, and no ${VOCAB_FILE} or ${SPM_MODEL_FILE} beside it either`);
}

/**
 * A path that stays inside the directory: relative, '/'-separated, no '.'/'..'/empty parts, no scheme,
 * backslash, '?' or '#'; and nothing a URL parser rewrites into one of those: no '%' ('%2e%2e' is '..'), no
 * control character (tabs and newlines are dropped: '.\t.' is '..'), no leading or trailing space.
 */
export function isPlainRelativePath(path) {
  return typeof path === 'string' && path.length > 0 && !path.startsWith('/') && !/[\\?#%\x00-\x1f\x7f]/.test(path) &&
    !/^ | $/.test(path) && !/^[a-z][a-z0-9+.-]*:/i.test(path) &&
    !path.split('/').some((part) => part === '' || part === '.' || part === '..');
}

function checkedPath(path, where, what) {
  if (!isPlainRelativePath(path)) throw new Error(`${where}: ${what} ${JSON.stringify(path)} is not a plain relative path`);
  return path;
}

function parseJson(text, where) {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${where}: invalid JSON (${e.message})`);
  }
}

/**
 * The folder of the sentence-transformers Pooling module: the non-empty path of the first modules.json entry of
 * type sentence_transformers.models.Pooling, else 1_Pooling (no modules.json, not an array, no such entry).
 * @param {string | null} modulesJson the text of modules.json, null when there is none
 * @param {string} where names modules.json in errors (invalid JSON, a path that is not plain and relative)
 */
export function poolingDir(modulesJson, where = MODULES_FILE) {
  if (modulesJson === null) return DEFAULT_POOLING_DIR;
  const modules = parseJson(modulesJson, where);
  const pooling = Array.isArray(modules) ? modules.find((m) => m?.type === POOLING_TYPE) : undefined;
  if (typeof pooling?.path !== 'string' || pooling.path === '') return DEFAULT_POOLING_DIR;
  return checkedPath(pooling.path, where, 'Pooling module path');
}

/** poolingDir(…) + '/config.json'. */
export function poolingConfigFile(modulesJson, where) {
  return `${poolingDir(modulesJson, where)}/${CONFIG_FILE}`;
}

/**
 * The shard files named by model.safetensors.index.json's weight_map (string values, in weight_map order, each
 * once). Errors name `where`: invalid JSON, a shard that is not a plain relative path.
 */
export function shardFiles(indexJson, where = SHARD_INDEX_FILE) {
  const index = parseJson(indexJson, where);
  const map = index?.weight_map;
  if (map === null || typeof map !== 'object' || Array.isArray(map)) return [];
  const shards = new Set();
  for (const shard of Object.values(map)) if (typeof shard === 'string') shards.add(checkedPath(shard, where, 'shard'));
  return [...shards];
}

/**
 * The files of a model directory that its layout names (what C++ ModelFiles::from_directory reads): the fixed
 * files that exist, spm.model when they hold no other tokenizer source, the shards of the index, and the
 * Pooling module's config.
 * @param {{ exists(name: string): boolean, readText(name: string): string, location?(name: string): string }} dir
 */
export function directoryFiles({ exists, readText, location = (name) => name }) {
  const files = [...TEXT_FILES, ...WEIGHT_FILES, ...CARRIED_FILES].filter((name) => exists(name));
  const add = (name) => {
    if (!files.includes(name) && exists(name)) files.push(name);
  };
  if (!tokenizerFile((name) => files.includes(name))) add(SPM_MODEL_FILE);
  if (files.includes(SHARD_INDEX_FILE)) {
    for (const shard of shardFiles(readText(SHARD_INDEX_FILE), location(SHARD_INDEX_FILE))) add(shard);
  }
  add(poolingConfigFile(files.includes(MODULES_FILE) ? readText(MODULES_FILE) : null, location(MODULES_FILE)));
  return files;
}
