// load(): the sentence encoder (tokenizer + DeBERTa-v2 / BERT / RoBERTa + pooling) in its own WASM instance.
import { openModelCache } from './cache.js';
import { isNode, resolveThreads } from './env.js';
import { CorruptCacheError, FileLoader, gatherModelFiles } from './loader.js';
import { MANIFEST_FILE } from './manifest.js';
import { convertedRoot, INT8_WEIGHTS_FILE, isBinaryTokenizerFile } from './model_layout.js';
import { throwIfAborted } from './progress.js';
import { check, checkCount, hot, instantiateRuntime, planBatches, releaseRuntime, guarded, writeUtf8, writeUtf8Batch } from './runtime.js';
import { normalize as normalizeInPlace, similarity } from './similarity.js';
import { DEFAULT_SOURCE, openSource } from './source.js';
import { checkText, checkTexts, checkVectorPair, encodeOptions, live, loadOptions } from './validate.js';

// One runtime call of encode(array) takes at most ENCODE_BATCH texts and ENCODE_BATCH_BYTES of UTF-8 staging
// (runtime.js planBatches; a longer text goes alone): bounds the input and output buffers of one call.
const ENCODE_BATCH = 64;
const ENCODE_BATCH_BYTES = 1 << 24;

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
    /** The int8 kernels that run: 'wasm-relaxed-simd' or 'wasm-simd128' (docs/kernels.md). */
    this.backend = handle.backend();
    /** Threads of each encoder pass (1 unless threads are available: Node, or a cross-origin-isolated page). */
    this.threads = handle.threads();
  }

  #live(method) {
    return live(this.#handle, method, 'model');
  }

  /** fn(handle) on the live handle; a trap or uncaught exception inside the runtime disposes the model. */
  #call(method, fn) {
    return guarded(this, method, () => fn(this.#live(method)));
  }

  /** Token ids with [CLS] … [SEP], truncated to maxSeqLength. */
  tokenize(text) {
    checkText(text, 'tokenize');
    return this.#call('tokenize', (handle) => {
      const runtime = this.#runtime;
      const bytes = writeUtf8(runtime, handle, text, 'tokenize');
      const count = checkCount(runtime._kf_encoder_tokenize(hot(handle).self, bytes), handle, 'tokenize');
      const at = runtime._kf_encoder_ids(hot(handle).self) >>> 2;
      return runtime.HEAP32.slice(at, at + count);
    });
  }

  #encodeOne(text, normalize) {
    return this.#call('encode', (handle) => {
      const runtime = this.#runtime;
      const bytes = writeUtf8(runtime, handle, text, 'encode');
      checkCount(runtime._kf_encoder_encode(hot(handle).self, bytes), handle, 'encode');
      const at = runtime._kf_encoder_output(hot(handle).self) >>> 2;
      const vector = runtime.HEAPF32.slice(at, at + this.dim);
      return normalize ? normalizeInPlace(vector) : vector;
    });
  }

  /**
   * Sentence embedding(s): a string gives a Float32Array, an array of strings gives an array of them.
   * @param {string | string[]} texts
   * @param {{ normalize?: boolean } | null} [options]
   */
  async encode(texts, options) {
    this.#live('encode');
    checkTexts(texts);
    const { normalize } = encodeOptions(options);
    if (typeof texts === 'string') return this.#encodeOne(texts, normalize);
    // Batches: the runtime packs consecutive short sentences into shared passes (same vectors, faster).
    const batches = planBatches(texts.map((t) => t.length), { maxTexts: ENCODE_BATCH, maxBytes: ENCODE_BATCH_BYTES });
    const out = [];
    for (const [first, end] of batches) {
      this.#call('encode', (handle) => {
        const batch = texts.slice(first, end);
        writeUtf8Batch(this.#runtime, handle, batch, 'encode');
        checkCount(this.#runtime._kf_encoder_encode_batch(hot(handle).self, batch.length), handle, 'encode');
        const at = this.#runtime._kf_encoder_output(hot(handle).self) >>> 2;
        for (let i = 0; i < batch.length; i++) {
          const vector = this.#runtime.HEAPF32.slice(at + i * this.dim, at + (i + 1) * this.dim);
          out.push(normalize ? normalizeInPlace(vector) : vector);
        }
      });
    }
    return out;
  }

  /** Cosine similarity of two vectors of length dim (similarity.js, as the worker proxy computes it). */
  similarity(a, b) {
    this.#live('similarity');
    checkVectorPair(a, b, this.dim);
    return similarity(a, b);
  }

  /** Size of this model's WASM memory in bytes; memory never shrinks, so this is the peak so far. */
  get wasmMemoryBytes() {
    return this.#runtime ? this.#runtime.HEAPU8.length : 0;
  }

  /** Frees the model's WASM instance and ends its threads; later calls throw. */
  dispose() {
    this.#handle?.delete(); // joins the encoder's threads
    this.#handle = null;
    releaseRuntime(this.#runtime);
    this.#runtime = null;
  }
}

/**
 * The in-thread load (also what the Worker runs). `keepTexts`: files whose text (bytes for spm.model) is
 * returned alongside the model (the worker client builds its main-thread tokenizer from them).
 *
 * With a cache, an int8 load of a Hugging Face layout (float weights, quantized at load) caches the converted
 * package instead of the float files, and the next int8 load of that URL runs from it (converted_cache.js).
 */
export async function loadModel(source, options, { keepTexts = [], http } = {}) {
  const { dtype, maxSeqLength, onProgress, signal, cache, relaxedSimd, revalidate, threads: requested } = loadOptions(options);
  throwIfAborted(signal);
  const files = await openSource(source, http);
  const threads = await resolveThreads(requested);
  const runtime = await instantiateRuntime({ relaxed: relaxedSimd && dtype === 'int8', threads });
  try {
    throwIfAborted(signal);
    const base = files.describe();
    const warn = (message, _error, url) => {
      const file = url?.startsWith(base) ? url.slice(base.length) : '';
      onProgress?.({ file, loaded: 0, total: 0, phase: 'cache-warning', message: url ? `${url}: ${message}` : message });
    };
    const store = files.cacheable ? await openModelCache(cache, warn) : null;
    const convert = store !== null && dtype === 'int8';
    const context = { runtime, store, onProgress, signal, keepTexts, maxSeqLength, dtype, threads };

    if (convert) {
      const cached = await fromConvertedCache(base, context, warn, { source: files, intervalMs: revalidate * 1000 });
      if (cached) return cached;
    }
    const gatherAll = async (loader, fileSet) => {
      const quantize = dtype === 'int8' ? { runtime, fileSet } : null;
      const { manifest, weightFiles } = await gatherModelFiles(loader, { cacheFloatLayout: !convert, quantize });
      if (!convert || manifest) return undefined;
      // After the encoder is built: cache what it runs from (the package) plus the text files.
      return async (handle) => {
        try {
          await cacheConverted(base, loader, weightFiles, handle, context);
        } catch (e) {
          if (signal?.aborted) throw e;
          warn(`caching the converted package failed (${e.message}); continuing without caching`, e); // never fails a load
        }
      };
    };
    try {
      return await build(files, context, gatherAll);
    } catch (e) {
      // A cached copy failed its deferred verification: it is deleted now, so this build downloads it.
      if (!(e instanceof CorruptCacheError)) throw e;
      return await build(files, context, gatherAll);
    }
  } catch (e) {
    releaseRuntime(runtime); // a failed load must not leave threads behind
    throw e;
  }
}

/**
 * One attempt at building the model from `source`: `gather(loader, fileSet)` loads its files into a fresh
 * ModelFiles and may return `after(handle)`, run once the encoder exists (before the files are freed).
 */
async function build(source, { runtime, store, onProgress, signal, keepTexts, maxSeqLength, dtype, threads }, gather) {
  const fileSet = new runtime.ModelFiles();
  const loader = new FileLoader({
    source,
    cache: store,
    deferVerification: true,
    onProgress,
    signal,
    memory: {
      heap: () => runtime.HEAPU8,
      allocate: (name, size) => check(fileSet.allocate(name, size), name),
      createHasher: () => new runtime.Sha256(),
      createChecker: () => new runtime.Checksum64(),
    },
  });
  let handle = null;
  try {
    const after = await gather(loader, fileSet);
    throwIfAborted(signal);
    const texts = Object.fromEntries(keepTexts.map((name) => [name, isBinaryTokenizerFile(name) ? loader.bytes(name) : loader.text(name)]));
    handle = check(runtime.Encoder.load(fileSet, maxSeqLength, dtype, runtime.relaxedWired, threads), source.describe());
    await loader.verifyDeferred(); // cached copies hashed by WebCrypto while the encoder was built
    // What Hugging Face only warns about (e.g. checkpoint layers beyond num_hidden_layers) is not an error.
    for (const message of handle.warnings()) onProgress?.({ file: 'config.json', loaded: 0, total: 0, phase: 'warning', message });
    await after?.(handle);
    throwIfAborted(signal);
    const model = new SentenceModel(runtime, handle);
    handle = null;
    return { model, texts };
  } finally {
    handle?.delete();
    loader.close();
    fileSet.delete();
  }
}

/**
 * The model from the cached converted package of `base`, or null (none, unusable or out of date: then
 * deleted). The source is revalidated (converted_cache.js) while the package loads.
 */
async function fromConvertedCache(base, context, warn, { source, intervalMs }) {
  const { store, signal, onProgress } = context;
  const root = convertedRoot(base);
  // converted_cache.js is fetched only where a converted package was cached (or one is made: cacheConverted).
  if (!(await store.match(root + MANIFEST_FILE))) return null;
  const { CachedPackageSource, deleteConverted, readConvertedManifest, revalidateConverted } = await import('./converted_cache.js');
  const manifest = await readConvertedManifest(store, base, warn);
  if (!manifest) return null;
  const paths = manifest.files.map((f) => f.path);
  const check = revalidateConverted(source, store, base, { intervalMs, signal, warn });
  check.catch(() => {}); // awaited below; an abort surfaces there
  let built;
  try {
    built = await build(new CachedPackageSource(root), context, async (loader) => {
      for (const f of manifest.files) await loader.load(f.path, { size: f.size, sha256: f.sha256 });
    });
  } catch (e) {
    if (signal?.aborted) throw e;
    warn(`${e.message}; deleted the cached converted package, loading ${base} again`, e);
    await deleteConverted(store, base, paths);
    return null;
  }
  let verdict;
  try {
    verdict = await check;
  } catch (e) {
    built.model.dispose();
    throw e;
  }
  if (verdict !== 'changed') return built;
  built.model.dispose();
  onProgress?.({ file: '', loaded: 0, total: 0, phase: 'cache-warning', message: `${base}: changed since it was converted; converting it again` });
  await deleteConverted(store, base, paths);
  return null;
}

/**
 * Caches the converted package of a Hugging Face layout just quantized at load: the encoder's
 * model.int8.safetensors (in place in WASM memory, hashed there) and the text files loaded beside it.
 */
async function cacheConverted(base, loader, weightFiles, handle, { runtime, store, signal }) {
  const size = handle.int8PackageSize();
  if (size === 0) return;
  const at = handle.int8PackagePointer();
  const hasher = new runtime.Sha256();
  let sha256;
  try {
    hasher.update(at, size);
    sha256 = hasher.hexdigest();
  } finally {
    hasher.delete();
  }
  const heapBytes = (address) => (start, end) => runtime.HEAPU8.slice(address + start, address + end);
  const files = [];
  for (const [path, entry] of loader.loaded) {
    if (weightFiles.includes(path)) continue;
    const check64 = loader.check64(entry.address, entry.size);
    files.push({ path, size: entry.size, sha256: entry.sha256, check64, bytesAt: heapBytes(entry.address) });
  }
  files.push({ path: INT8_WEIGHTS_FILE, size, sha256, check64: loader.check64(at, size), bytesAt: heapBytes(at) });
  const provenance = { checkedAt: Date.now(), files: Object.fromEntries(loader.provenance) };
  const { storeConverted } = await import('./converted_cache.js');
  await storeConverted(store, base, files, { signal, provenance });
}

export { DEFAULT_SOURCE };

/**
 * Loads a sentence-transformers model directory or a converted kfembed package (docs/js-api.md, docs/model-files.md).
 * @param {string | URL} [source] default DEFAULT_SOURCE
 * @param {{ dtype?: 'int8' | 'fp32', maxSeqLength?: number, onProgress?: Function, signal?: AbortSignal,
 *           cache?: boolean | object, worker?: boolean, relaxedSimd?: boolean }} [options]
 */
export async function load(source = DEFAULT_SOURCE, options = {}) {
  source ??= DEFAULT_SOURCE;
  const checked = loadOptions(options);
  if (checked.worker && !isNode && typeof Worker === 'function') {
    const { loadInWorker } = await import('./worker_client.js');
    return loadInWorker(source, options ?? {});
  }
  return (await loadModel(source, options)).model;
}
