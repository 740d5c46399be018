// load(): the sentence encoder (tokenizer + DeBERTa-v2 + pooling) in its own WASM instance.
import { check, instantiateRuntime, writeUtf8 } from './runtime.js';
import { normalize as normalizeInPlace } from './similarity.js';
import { openSource, throwIfAborted } from './source.js';
import { checkMaxLength } from './tokenizer.js';

const DTYPES = ['int8', 'fp32'];
const utf8 = new TextEncoder();

/** The sentence-transformers pooling module's folder, from modules.json (default 1_Pooling). */
function poolingDir(modulesJson, where) {
  if (modulesJson === null) return '1_Pooling';
  let modules;
  try {
    modules = JSON.parse(modulesJson);
  } catch (e) {
    throw new Error(`${where}: invalid JSON (${e.message})`);
  }
  const pooling = Array.isArray(modules) ? modules.find((m) => /Pooling$/.test(m?.type ?? '')) : null;
  return pooling?.path || '1_Pooling';
}

/** Copies one file into the WASM-side ModelFiles under `name`. */
async function streamFile(runtime, files, source, name, { optional = false, onProgress, signal } = {}) {
  if (optional && !(await source.exists(name, { signal }))) return false;
  let base = 0;
  await source.readInto(
    name,
    {
      open(size) {
        base = check(files.allocate(name, size), name);
      },
      write(offset, bytes) {
        runtime.HEAPU8.set(bytes, base + offset);
      },
    },
    { onProgress, signal },
  );
  return true;
}

function putText(runtime, files, name, text) {
  const bytes = utf8.encode(text);
  const base = check(files.allocate(name, bytes.length), name);
  runtime.HEAPU8.set(bytes, base);
}

async function gatherFiles(runtime, files, source, { onProgress, signal }) {
  const small = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt', 'special_tokens_map.json',
    'modules.json', 'sentence_bert_config.json'];
  const texts = {};
  for (const name of small) {
    throwIfAborted(signal);
    texts[name] = await source.readText(name, { optional: name !== 'config.json', signal });
    if (texts[name] !== null) putText(runtime, files, name, texts[name]);
  }
  if (texts['tokenizer.json'] === null && texts['vocab.txt'] === null) {
    throw new Error(`${await source.location('tokenizer.json')}: file not found, and no vocab.txt beside it either`);
  }
  const pooling = `${poolingDir(texts['modules.json'], await source.location('modules.json'))}/config.json`;
  const poolingText = await source.readText(pooling, { optional: true, signal });
  if (poolingText !== null) putText(runtime, files, pooling, poolingText);

  if (await streamFile(runtime, files, source, 'model.safetensors', { optional: true, onProgress, signal })) return;
  const index = await source.readText('model.safetensors.index.json', { optional: true, signal });
  if (index === null) {
    throw new Error(`${await source.location('model.safetensors')}: file not found, and no model.safetensors.index.json either`);
  }
  putText(runtime, files, 'model.safetensors.index.json', index);
  let shards;
  try {
    shards = [...new Set(Object.values(JSON.parse(index).weight_map ?? {}))];
  } catch (e) {
    throw new Error(`${await source.location('model.safetensors.index.json')}: invalid JSON (${e.message})`);
  }
  for (const shard of shards) await streamFile(runtime, files, source, shard, { onProgress, signal });
}

export class SentenceModel {
  #runtime;
  #handle;

  constructor(runtime, handle) {
    this.#runtime = runtime;
    this.#handle = handle;
    /** Length of the output vectors. */
    this.dim = handle.dim();
    /** Inputs are truncated to this many tokens, [CLS] and [SEP] included. */
    this.maxSeqLength = handle.maxSeqLength();
  }

  #live(method) {
    if (!this.#handle) throw new Error(`${method}(): the model was disposed`);
    return this.#handle;
  }

  /** Token ids with [CLS] … [SEP], truncated to maxSeqLength. */
  tokenize(text) {
    if (typeof text !== 'string') throw new TypeError(`tokenize(text): expected a string, got ${typeof text}`);
    const handle = this.#live('tokenize');
    const count = check(handle.tokenizeInput(writeUtf8(this.#runtime, handle, text)), 'tokenize');
    const at = handle.idsPointer() >>> 2;
    return this.#runtime.HEAP32.slice(at, at + count);
  }

  #encodeOne(text, normalize) {
    const handle = this.#handle;
    check(handle.encodeInput(writeUtf8(this.#runtime, handle, text)), 'encode');
    const at = handle.outputPointer() >>> 2;
    const vector = this.#runtime.HEAPF32.slice(at, at + this.dim);
    return normalize ? normalizeInPlace(vector) : vector;
  }

  /**
   * Sentence embedding(s): a string gives a Float32Array, an array of strings gives an array of them.
   * @param {string | string[]} texts
   * @param {{ normalize?: boolean }} [options]
   */
  async encode(texts, { normalize = false } = {}) {
    this.#live('encode');
    if (typeof texts === 'string') return this.#encodeOne(texts, normalize);
    if (!Array.isArray(texts)) {
      throw new TypeError(`encode(texts): expected a string or an array of strings, got ${texts === null ? 'null' : typeof texts}`);
    }
    texts.forEach((t, i) => {
      if (typeof t !== 'string') throw new TypeError(`encode(texts): texts[${i}] is ${typeof t}, expected a string`);
    });
    const out = [];
    for (const t of texts) {
      this.#live('encode');
      out.push(this.#encodeOne(t, normalize));
    }
    return out;
  }

  /** Cosine similarity of two vectors of length dim, computed in WASM. */
  similarity(a, b) {
    const handle = this.#live('similarity');
    for (const [name, v] of [['a', a], ['b', b]]) {
      if (!v || v.length !== this.dim) {
        throw new RangeError(`similarity(a, b): ${name} must have length ${this.dim}, got ${v?.length}`);
      }
    }
    const at = handle.vectorsBuffer(this.dim) >>> 2;
    this.#runtime.HEAPF32.set(a, at);
    this.#runtime.HEAPF32.set(b, at + this.dim);
    return handle.similarity(this.dim);
  }

  /** Size of this model's WASM memory in bytes; memory never shrinks, so this is the peak so far. */
  get wasmMemoryBytes() {
    return this.#runtime ? this.#runtime.HEAPU8.length : 0;
  }

  /** Frees the model's WASM instance; later calls throw. */
  dispose() {
    this.#handle?.delete();
    this.#handle = null;
    this.#runtime = null;
  }
}

/**
 * Loads a sentence-transformers model directory (DESIGN.md).
 * @param {string | URL} source
 * @param {{ dtype?: 'int8' | 'fp32', maxSeqLength?: number, onProgress?: Function, signal?: AbortSignal }} [options]
 */
export async function load(source, options = {}) {
  const { dtype = 'int8', onProgress, signal } = options;
  if (!DTYPES.includes(dtype)) throw new RangeError(`load options.dtype: expected 'int8' or 'fp32', got ${dtype}`);
  const maxSeqLength = checkMaxLength(options.maxSeqLength, 'load options.maxSeqLength', 512) ?? 0;
  throwIfAborted(signal);
  const files = await openSource(source);
  const runtime = await instantiateRuntime();
  const fileSet = new runtime.ModelFiles();
  try {
    await gatherFiles(runtime, fileSet, files, { onProgress, signal });
    throwIfAborted(signal);
    const handle = check(runtime.Encoder.load(fileSet, maxSeqLength, dtype), files.describe());
    return new SentenceModel(runtime, handle);
  } finally {
    fileSet.delete();
  }
}
