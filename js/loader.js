// The files of one model, from the Cache API or the source, straight into WASM memory, verified.
//
// For each file: a cached copy (same URL, browser Cache API) is streamed into the buffer that ModelFiles
// allocated and hashed on the way; if its SHA-256 is not the expected one it is deleted and the file is
// downloaded again. A download streams chunk by chunk into that same buffer (re-reading HEAPU8 for every chunk:
// memory growth replaces the view), resuming dropped connections (fetch_resume.js), and is hashed
// incrementally by the WASM SHA-256 over the bytes already in place. Only a file whose hash checked out is
// used and written to the cache; a mismatch is an Error naming the URL, the expected and the actual hash.
//
// A cached copy written with a Checksum64 (CHECK64_HEADER, cache.js) is checked against it while it streams
// in, at memory speed, instead of SHA-256: its SHA-256 header must still be the expected one (same version),
// and the checksum proves the bytes are those written after that SHA-256 checked out. Without one (older
// entries), a large cached copy (≥ DEFERRED_VERIFY_BYTES, where WebCrypto exists) is streamed in without
// hashing, then digested by WebCrypto (native, off the main thread in browsers) while the encoder is
// built from it; verifyDeferred() awaits those digests before the model is handed out, and a mismatch deletes
// the entry and makes the caller build again (from the network). That overlap is most of a return visit's
// time (bench/encoder/README.md).
//
// `memory` abstracts the WASM side so the logic runs on a fake heap in unit tests:
//   heap() → the current Uint8Array view of memory; allocate(name, size) → address (throws on failure);
//   createHasher() → { reset(), update(address, length), hexdigest(), delete?() }; createChecker?() → the same
//   for Checksum64 (optional: without it entries are written and read with SHA-256 alone).
import { CHECK64_HEADER, contentType, SHA256_HEADER } from './cache.js';
import { pumpBody } from './fetch_resume.js';
import { MANIFEST_FILE, parseManifest } from './manifest.js';
import {
  CONFIG_FILE,
  MODULES_FILE,
  noTokenizerError,
  poolingConfigFile,
  SHARD_INDEX_FILE,
  shardFiles,
  SPM_MODEL_FILE,
  TEXT_FILES,
  TOKENIZER_JSON_FILE,
  tokenizerFile,
  TORCH_WEIGHTS_FILE,
  WEIGHTS_FILE,
} from './model_layout.js';
import { progressReporter, throwIfAborted } from './progress.js';
import { unshared } from './env.js';
import { RangeNotSupportedError } from './fetch_resume.js';

/** Sink writing one file into a WASM buffer and hashing it in place (see fetch_resume.js for the protocol). */
export class WasmFileSink {
  constructor(name, memory, hasher) {
    this.name = name;
    this.memory = memory;
    this.hasher = hasher;
    this.base = 0;
    this.capacity = -1;
    this.length = 0;
    this.spill = null; // JS chunks while the size is unknown (no Content-Length, no manifest)
  }
  begin(total) {
    this.hasher.reset();
    this.spill = null;
    this.length = 0;
    if (total === null || total === undefined) {
      this.spill = [];
    } else if (total !== this.capacity) {
      this.base = this.memory.allocate(this.name, total);
      this.capacity = total;
    }
  }
  write(offset, bytes) {
    if (!this.spill && offset + bytes.length > this.capacity) {
      // More bytes than announced (a transparently decoded body): continue in JS, copy in at the end.
      this.spill = [this.memory.heap().slice(this.base, this.base + offset)];
    }
    if (this.spill) {
      this.spill.push(bytes.slice());
      return;
    }
    const at = this.base + offset;
    this.memory.heap().set(bytes, at); // a fresh view each time: growth detaches the old one
    this.hasher.update(at, bytes.length);
  }
  end(length) {
    if (this.spill) {
      const chunks = this.spill;
      this.spill = null;
      this.base = this.memory.allocate(this.name, length);
      this.capacity = length;
      let at = this.base;
      for (const chunk of chunks) {
        const n = Math.min(chunk.length, this.base + length - at);
        this.memory.heap().set(n === chunk.length ? chunk : chunk.subarray(0, n), at);
        at += n;
      }
      this.hasher.reset();
      this.hasher.update(this.base, length);
    } else if (length !== this.capacity) {
      const bytes = this.memory.heap().slice(this.base, this.base + length);
      this.base = this.memory.allocate(this.name, length);
      this.capacity = length;
      this.memory.heap().set(bytes, this.base);
    }
    this.length = length;
  }
  /** A copy of bytes [start, end) of the finished file. */
  bytesAt(start, end) {
    return this.memory.heap().slice(this.base + start, this.base + end);
  }
}

/** Cached copies at least this large are verified by WebCrypto while the encoder builds (see above). */
export const DEFERRED_VERIFY_BYTES = 1 << 20;

const NO_HASHER = Object.freeze({ reset() {}, update() {}, hexdigest: () => '' });

const hex = (buffer) => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');

/** A cached copy that failed its deferred verification: it was deleted; build again. */
export class CorruptCacheError extends Error {}

export class FileLoader {
  #hasher = null;
  #checker = null;
  #deferred = []; // { name, url, expected, digest: Promise<string> }

  /**
   * @param {{ source: object, memory: object, cache?: import('./cache.js').ModelCache | null,
   *           onProgress?: Function, signal?: AbortSignal, deferVerification?: boolean }} options
   */
  constructor({ source, memory, cache = null, onProgress, signal, deferVerification = false }) {
    this.source = source;
    /** Large cached copies verified by WebCrypto later (verifyDeferred(), which the caller must then run). */
    this.deferVerification = deferVerification && typeof globalThis.crypto?.subtle?.digest === 'function';
    this.memory = memory;
    this.cache = source.cacheable ? cache : null;
    this.onProgress = onProgress;
    this.signal = signal;
    /** name → { address, size, sha256, from: 'cache' | 'network' | 'disk' } */
    this.loaded = new Map();
    /** name → validators (fetch_resume.js validatorsOf) of each file downloaded: what a conversion was made from */
    this.provenance = new Map();
  }

  get hasher() {
    this.#hasher ??= this.memory.createHasher();
    return this.#hasher;
  }

  /** The Checksum64 of `length` bytes at `address` in WASM memory, or null without a checker. */
  check64(address, length) {
    if (!this.memory.createChecker) return null;
    this.#checker ??= this.memory.createChecker();
    this.#checker.reset();
    this.#checker.update(address, length);
    return this.#checker.hexdigest();
  }

  /** Reports a cache problem as a progress event; the load goes on. */
  warn(file, message) {
    this.onProgress?.({ file, loaded: 0, total: 0, phase: 'cache-warning', message });
  }

  async location(name) {
    return this.source.location(name);
  }

  /**
   * Loads one file into WASM memory. `size`/`sha256` come from the manifest when there is one.
   * @returns {Promise<{ address: number, size: number, sha256: string, from: string } | null>} null when
   *   `optional` and the file does not exist
   */
  async load(name, { size = null, sha256 = null, optional = false } = {}) {
    throwIfAborted(this.signal);
    const url = await this.location(name);
    const sink = new WasmFileSink(name, this.memory, this.hasher);

    if (this.cache) {
      const hit = await this.#fromCache(name, url, sink, { size, sha256 });
      if (hit) return this.#done(name, hit.sink, hit.sha256, 'cache');
    }

    const validators = {};
    const length = await this.source.fetchInto(name, sink, {
      validators,
      optional,
      expectedSize: size,
      onProgress: this.onProgress,
      signal: this.signal,
    });
    if (length === null) return null;
    throwIfAborted(this.signal);
    this.provenance.set(name, { ...validators, size: length });
    const actual = this.hasher.hexdigest();
    if (sha256 !== null && actual !== sha256) {
      throw new Error(`${url}: SHA-256 mismatch: expected ${sha256}, got ${actual} (${length} bytes); the file was not used or cached`);
    }
    if (size !== null && length !== size) throw new Error(`${url}: ${length} bytes, expected ${size}`);
    if (this.cache) {
      const check64 = this.check64(sink.base, length);
      await this.cache.put(url, { size: length, sha256: actual, check64, contentType: contentType(name), bytesAt: (a, b) => sink.bytesAt(a, b) });
      throwIfAborted(this.signal);
    }
    return this.#done(name, sink, actual, this.source.cacheable ? 'network' : 'disk');
  }

  #done(name, sink, sha256, from) {
    const entry = { address: sink.base, size: sink.length, sha256, from };
    this.loaded.set(name, entry);
    return entry;
  }

  /**
   * Streams a cached copy into `sink` (or a sink of its own); { sha256, sink } once verified (or its
   * verification deferred), null when absent, stale or corrupt.
   */
  async #fromCache(name, url, hashingSink, { size, sha256 }) {
    const response = await this.cache.match(url);
    if (!response) return null;
    const stored = response.headers.get(SHA256_HEADER);
    const expected = sha256 ?? stored;
    if (!expected || (sha256 !== null && stored !== null && stored !== sha256)) {
      // Written for another version of the file (the manifest changed) or not by us: replace it.
      response.body?.cancel().catch(() => {});
      await this.cache.delete(url);
      return null;
    }
    // How the bytes are checked: Checksum64 inline, SHA-256 by WebCrypto later, or SHA-256 inline.
    const check64 = this.memory.createChecker ? response.headers.get(CHECK64_HEADER) : null;
    let sink = hashingSink;
    if (check64) {
      this.#checker ??= this.memory.createChecker();
      sink = new WasmFileSink(name, this.memory, this.#checker);
    } else if (this.deferVerification && (size === null || size >= DEFERRED_VERIFY_BYTES)) {
      sink = new WasmFileSink(name, this.memory, NO_HASHER);
    }
    const progress = progressReporter(this.onProgress, name, 'cache');
    let reason;
    try {
      const header = response.headers.get('content-length');
      const total = size ?? (header !== null && /^\d+$/.test(header) ? Number(header) : null);
      sink.begin(total);
      let length = 0;
      if (response.body) {
        length = await pumpBody(response.body, sink, 0, {
          signal: this.signal,
          where: url,
          onChunk: (at) => progress.update(at, total),
        });
      }
      sink.end(length);
      if (check64) {
        const actual = this.#checker.hexdigest();
        if (actual === check64 && (size === null || length === size)) {
          progress.done(length);
          return { sha256: expected, sink };
        }
        throw new Error(`checksum ${actual}, ${length} bytes; expected ${check64}`);
      }
      if (sink.hasher === NO_HASHER && length >= DEFERRED_VERIFY_BYTES && (size === null || length === size)) {
        // WebCrypto copies the bytes now and hashes them elsewhere while the encoder is built.
        const digest = globalThis.crypto.subtle.digest('SHA-256', unshared(this.memory.heap().subarray(sink.base, sink.base + length))).then(hex);
        digest.catch(() => {});
        this.#deferred.push({ name, url, expected, length, digest });
        progress.done(length);
        return { sha256: expected, sink };
      }
      if (sink.hasher === NO_HASHER) {
        this.hasher.reset();
        this.hasher.update(sink.base, length);
      }
      const actual = this.hasher.hexdigest();
      if (actual === expected && (size === null || length === size)) {
        progress.done(length);
        return { sha256: actual, sink };
      }
      reason = `cached copy is corrupt (SHA-256 ${actual}, ${length} bytes; expected ${expected})`;
    } catch (e) {
      if (this.signal?.aborted) throw e;
      reason = check64 && /^checksum /.test(e.message) ? `cached copy is corrupt (${e.message})` : `cached copy could not be read (${e.message})`;
    }
    await this.cache.delete(url);
    this.warn(name, `${url}: ${reason}; deleted it and downloading again`);
    return null;
  }

  /**
   * Awaits the deferred verifications of cached copies. A copy whose SHA-256 is not the expected one is
   * deleted from the cache and reported (cache-warning); then CorruptCacheError is thrown: the model built
   * from it must not be used, and a second build downloads the file again.
   */
  async verifyDeferred() {
    const pending = this.#deferred;
    this.#deferred = [];
    const corrupt = [];
    for (const { name, url, expected, length, digest } of pending) {
      let actual;
      try {
        actual = await digest;
      } catch (e) {
        actual = `unavailable (${e.message})`;
      }
      if (actual === expected) continue;
      await this.cache?.delete(url);
      this.warn(name, `${url}: cached copy is corrupt (SHA-256 ${actual}, ${length} bytes; expected ${expected}); deleted it and downloading again`);
      corrupt.push(url);
    }
    throwIfAborted(this.signal);
    if (corrupt.length) throw new CorruptCacheError(`${corrupt.join(', ')}: cached copy is corrupt; deleted`);
  }

  /** A copy of the bytes of a loaded file, or null when it was not loaded. */
  bytes(name) {
    const entry = this.loaded.get(name);
    if (!entry) return null;
    return this.memory.heap().slice(entry.address, entry.address + entry.size);
  }

  /** The text of a loaded file (decoded from WASM memory), or null when it was not loaded. */
  text(name) {
    const entry = this.loaded.get(name);
    if (!entry) return null;
    return new TextDecoder().decode(unshared(this.memory.heap().subarray(entry.address, entry.address + entry.size)));
  }

  close() {
    this.#hasher?.delete?.();
    this.#hasher = null;
    this.#checker?.delete?.();
    this.#checker = null;
  }
}

/**
 * manifest.json of the source, revalidated on every load (a changed manifest means changed files). When the
 * network fails but a cached copy exists, the cached one is used (offline start). null: no manifest.
 */
async function readManifest(loader) {
  const { source, cache } = loader;
  const url = await source.location(MANIFEST_FILE);
  let text;
  try {
    text = await source.readText(MANIFEST_FILE, { optional: true, signal: loader.signal, revalidate: true });
  } catch (e) {
    if (loader.signal?.aborted || !cache) throw e;
    const cached = await cache.match(url);
    if (!cached) throw e;
    loader.warn(MANIFEST_FILE, `${url}: unreachable (${e.message}); using the cached manifest`);
    return { text: await cached.text(), url };
  }
  if (text === null) {
    if (cache) await cache.delete(url);
    return null;
  }
  if (cache) {
    const cached = await cache.match(url);
    const same = cached ? (await cached.text().catch(() => null)) === text : false;
    if (!same) {
      const bytes = new TextEncoder().encode(text);
      await cache.put(url, { size: bytes.length, sha256: '', contentType: 'application/json', bytesAt: (a, b) => bytes.slice(a, b) });
    }
  }
  return { text, url };
}

/**
 * The float weights of a Hugging Face layout quantized while they stream (stream_quantize.js) into
 * `quantize.fileSet` as model.int8.safetensors: model.safetensors, else the shards of its index. Returns the
 * weight files it read, or null when the source cannot serve byte ranges or has no safetensors (then no weights
 * were loaded).
 */
async function streamWeights(loader, quantize) {
  const { source, signal, onProgress } = loader;
  if (typeof source.readRange !== 'function') return null;
  // Loaded only here: a converted package (the usual load) never quantizes, so its page does not fetch this.
  const { streamQuantize } = await import('./stream_quantize.js');
  const options = { ...quantize, source, configText: loader.text(CONFIG_FILE), onProgress, signal, provenance: loader.provenance };
  try {
    if (await streamQuantize({ ...options, names: [WEIGHTS_FILE], optional: true })) return [WEIGHTS_FILE];
    // No safetensors at all (a pytorch_model.bin-only repository): that file is loaded whole and quantized in
    // memory below.
    if (!(await loader.load(SHARD_INDEX_FILE, { optional: true }))) return null;
    const shards = shardFiles(loader.text(SHARD_INDEX_FILE), await loader.location(SHARD_INDEX_FILE));
    await streamQuantize({ ...options, names: shards });
    return [SHARD_INDEX_FILE, ...shards];
  } catch (e) {
    if (!(e instanceof RangeNotSupportedError)) throw e;
    loader.warn(WEIGHTS_FILE, `${e.message}; loading the float weights whole instead of quantizing them as they stream`);
    return null;
  }
}

/**
 * Loads every file of a model into WASM memory: exactly the files listed in manifest.json (size and SHA-256
 * checked), or, without a manifest, the Hugging Face / sentence-transformers layout (`cacheFloatLayout`
 * false: its files bypass the cache). `quantize` ({ runtime, fileSet }): an int8 load, whose float weights
 * are then quantized as they stream rather than loaded whole.
 * @returns {Promise<{ manifest: object | null, weightFiles: string[] }>} weightFiles: the float weight files of
 *   a Hugging Face layout (empty for a manifest)
 */
export async function gatherModelFiles(loader, { cacheFloatLayout = true, quantize = null } = {}) {
  const manifest = await readManifest(loader);
  if (manifest) {
    const parsed = parseManifest(manifest.text, manifest.url);
    for (const f of parsed.files) await loader.load(f.path, { size: f.size, sha256: f.sha256 });
    return { manifest: parsed, weightFiles: [] };
  }
  // A Hugging Face layout. When it is quantized at load, the caller caches the converted package instead of
  // these files (converted_cache.js): neither read nor write their own cache entries.
  if (!cacheFloatLayout) loader.cache = null;

  for (const name of TEXT_FILES) await loader.load(name, { optional: name !== CONFIG_FILE });
  // spm.model (binary) only when the text files hold no tokenizer source.
  if (!tokenizerFile((name) => loader.loaded.has(name))) await loader.load(SPM_MODEL_FILE, { optional: true });
  if (!tokenizerFile((name) => loader.loaded.has(name))) throw noTokenizerError(await loader.location(TOKENIZER_JSON_FILE));
  await loader.load(poolingConfigFile(loader.text(MODULES_FILE), await loader.location(MODULES_FILE)), { optional: true });

  if (quantize) {
    const weightFiles = await streamWeights(loader, quantize);
    if (weightFiles) return { manifest: null, weightFiles };
  }

  if (await loader.load(WEIGHTS_FILE, { optional: true })) return { manifest: null, weightFiles: [WEIGHTS_FILE] };
  const index = loader.loaded.has(SHARD_INDEX_FILE) || (await loader.load(SHARD_INDEX_FILE, { optional: true }));
  if (!index) {
    // Older repositories ship only PyTorch's checkpoint.
    if (await loader.load(TORCH_WEIGHTS_FILE, { optional: true })) return { manifest: null, weightFiles: [TORCH_WEIGHTS_FILE] };
    throw new Error(
      `${await loader.location(WEIGHTS_FILE)}: file not found, and no ${SHARD_INDEX_FILE} or ${TORCH_WEIGHTS_FILE} either`,
    );
  }
  const shards = shardFiles(loader.text(SHARD_INDEX_FILE), await loader.location(SHARD_INDEX_FILE));
  for (const shard of shards) await loader.load(shard);
  return { manifest: null, weightFiles: [SHARD_INDEX_FILE, ...shards] };
}
