// load(source, { worker: true }): the model lives in a dedicated module Worker (worker.js); this is the
// page-side proxy with the SentenceModel API. encode() is a message round trip (vectors come back as
// transferred buffers); tokenize() stays synchronous through a tokenizer-only WASM instance on this thread,
// built from the tokenizer files the worker already downloaded; similarity() is computed here in JS.
import { abortReason, throwIfAborted } from './progress.js';
import { instantiateRuntime } from './runtime.js';
import { similarity as cosine } from './similarity.js';
import { createTokenizerHandle, encodeWithHandle } from './tokenizer.js';
import { checkText, checkTexts, checkVectorPair, encodeOptions, live, sourceString } from './validate.js';

function toError({ name, message }) {
  if (name === 'AbortError') return new DOMException(message, 'AbortError');
  const ErrorType = { TypeError, RangeError }[name] ?? Error;
  return new ErrorType(message);
}

/** A source over texts (bytes for spm.model) already in memory, for createTokenizerHandle(). */
function memorySource(texts, where) {
  const memory = {
    describe: () => where,
    location: async (file) => new URL(file, where).href,
    readText: async (file, { optional = false } = {}) => {
      const text = texts[file] ?? null;
      if (text === null && !optional) throw new Error(`${new URL(file, where).href}: file not found`);
      return text;
    },
    readBytes: async (file, options) => memory.readText(file, options), // spm.model arrives as bytes
  };
  return memory;
}

class WorkerConnection {
  #worker;
  #next = 1;
  #pending = new Map();
  #failure = null;

  constructor(worker) {
    this.#worker = worker;
    worker.addEventListener('message', ({ data }) => {
      const pending = this.#pending.get(data.id);
      if (!pending) return;
      if (data.progress) return pending.onProgress?.(data.progress);
      this.#pending.delete(data.id);
      if (data.error) pending.reject(toError(data.error));
      else pending.resolve(data.result);
    });
    const fail = (message) => {
      this.#failure = new Error(`kfembed worker: ${message}`);
      for (const p of this.#pending.values()) p.reject(this.#failure);
      this.#pending.clear();
    };
    worker.addEventListener('error', (e) => fail(e.message || 'failed to start or crashed (check that worker.js and the WASM file are served)'));
    worker.addEventListener('messageerror', () => fail('a message could not be deserialized'));
  }

  request(op, args = {}, { onProgress, transfer = [] } = {}) {
    const id = this.#next++;
    if (this.#failure) return { id, promise: Promise.reject(this.#failure) };
    const promise = new Promise((resolve, reject) => this.#pending.set(id, { resolve, reject, onProgress }));
    this.#worker.postMessage({ id, op, ...args }, transfer);
    return { id, promise };
  }

  terminate() {
    this.#worker.terminate();
    this.#failure ??= new Error('kfembed worker: terminated');
    for (const p of this.#pending.values()) p.reject(this.#failure);
    this.#pending.clear();
  }
}

/** SentenceModel's API, backed by a Worker. */
export class WorkerSentenceModel {
  #connection;
  #runtime;
  #tokenizer;
  #wasmMemoryBytes;

  constructor(connection, { dim, maxSeqLength, backend, threads, wasmMemoryBytes }, runtime, tokenizer) {
    this.#connection = connection;
    this.#wasmMemoryBytes = wasmMemoryBytes ?? 0;
    this.#runtime = runtime;
    this.#tokenizer = tokenizer;
    /** Length of the output vectors. */
    this.dim = dim;
    /** Inputs are truncated to this many tokens, [CLS] and [SEP] included. */
    this.maxSeqLength = maxSeqLength;
    /** The int8 kernels that run in the worker: 'wasm-relaxed-simd' or 'wasm-simd128'. */
    this.backend = backend;
    /** Threads of each encoder pass in the worker. */
    this.threads = threads;
  }

  #live(method) {
    return live(this.#connection, method, 'model');
  }

  /** Token ids with [CLS] … [SEP], truncated to maxSeqLength (computed on this thread). */
  tokenize(text) {
    checkText(text, 'tokenize');
    this.#live('tokenize');
    return encodeWithHandle(this.#runtime, this.#tokenizer, text, this.maxSeqLength, 'tokenize');
  }

  /**
   * Sentence embedding(s), computed in the worker.
   * @param {string | string[]} texts
   * @param {{ normalize?: boolean }} [options]
   */
  async encode(texts, options) {
    const connection = this.#live('encode');
    checkTexts(texts);
    const { normalize } = encodeOptions(options);
    const { vectors, wasmMemoryBytes } = await connection.request('encode', { texts, options: { normalize } }).promise;
    this.#wasmMemoryBytes = wasmMemoryBytes;
    return vectors;
  }

  /** The worker's WASM memory in bytes (as of the last reply; memory never shrinks, so the peak so far). */
  get wasmMemoryBytes() {
    return this.#connection ? this.#wasmMemoryBytes : 0;
  }

  /** Cosine similarity of two vectors of length dim. */
  similarity(a, b) {
    this.#live('similarity');
    checkVectorPair(a, b, this.dim);
    return cosine(a, b);
  }

  /** Stops the worker (freeing its WASM memory) and this thread's tokenizer; later calls throw. */
  dispose() {
    this.#connection?.terminate();
    this.#connection = null;
    this.#tokenizer?.delete();
    this.#tokenizer = null;
    this.#runtime = null;
  }
}

/**
 * Starts a worker and loads the model in it. Same options as load(); `cache` must be a boolean here (a
 * CacheStorage object cannot be sent to a worker, which uses its own globalThis.caches).
 */
export async function loadInWorker(source, options = {}) {
  const { signal, onProgress, cache = true, worker: _worker, ...rest } = options;
  if (typeof cache !== 'boolean') throw new TypeError('load options.cache: with worker: true, expected a boolean');
  throwIfAborted(signal);
  const raw = sourceString(source);
  // Relative sources are relative to the page, not to the worker script.
  const absolute = new URL(raw, globalThis.location?.href).href;

  const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: 'kfembed' });
  const connection = new WorkerConnection(worker);
  const tokenizerRuntime = instantiateRuntime(); // compiles/instantiates while the worker downloads
  tokenizerRuntime.catch(() => {});
  const { id, promise } = connection.request(
    'load',
    { source: absolute, options: { ...rest, cache }, progress: Boolean(onProgress) },
    { onProgress },
  );
  promise.catch(() => {}); // observed through the race below; do not report it twice as unhandled
  let onAbort;
  try {
    const aborted = new Promise((_, reject) => {
      onAbort = () => {
        connection.request('abort', { target: id }).promise.catch(() => {});
        reject(abortReason(signal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    const info = await Promise.race([promise, aborted]);
    const runtime = await tokenizerRuntime;
    throwIfAborted(signal);
    const tokenizer = await createTokenizerHandle(runtime, memorySource(info.texts, absolute));
    return new WorkerSentenceModel(connection, info, runtime, tokenizer);
  } catch (e) {
    connection.terminate();
    throw e;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
