// The files of one model, from the Cache API or the source, straight into WASM memory, verified.
//
// For each file: a cached copy (same URL, browser Cache API) is streamed into the buffer that ModelFiles
// allocated and hashed on the way; if its SHA-256 is not the expected one it is deleted and the file is
// downloaded again. A download streams chunk by chunk into that same buffer (re-reading HEAPU8 for every chunk:
// memory growth replaces the view), resuming dropped connections (fetch_resume.js), and is hashed
// incrementally by the WASM SHA-256 over the bytes already in place. Only a file whose hash checked out is
// used and written to the cache; a mismatch is an Error naming the URL, the expected and the actual hash.
//
// `memory` abstracts the WASM side so the logic runs on a fake heap in unit tests:
//   heap() → the current Uint8Array view of memory; allocate(name, size) → address (throws on failure);
//   createHasher() → { reset(), update(address, length), hexdigest(), delete?() }.
import { contentType, SHA256_HEADER } from './cache.js';
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
  WEIGHTS_FILE,
} from './model_layout.js';
import { progressReporter, throwIfAborted } from './progress.js';

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

export class FileLoader {
  #hasher = null;

  /**
   * @param {{ source: object, memory: object, cache?: import('./cache.js').ModelCache | null,
   *           onProgress?: Function, signal?: AbortSignal }} options
   */
  constructor({ source, memory, cache = null, onProgress, signal }) {
    this.source = source;
    this.memory = memory;
    this.cache = source.cacheable ? cache : null;
    this.onProgress = onProgress;
    this.signal = signal;
    /** name → { address, size, sha256, from: 'cache' | 'network' | 'disk' } */
    this.loaded = new Map();
  }

  get hasher() {
    this.#hasher ??= this.memory.createHasher();
    return this.#hasher;
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
      if (hit) return this.#done(name, sink, hit, 'cache');
    }

    const length = await this.source.fetchInto(name, sink, {
      optional,
      expectedSize: size,
      onProgress: this.onProgress,
      signal: this.signal,
    });
    if (length === null) return null;
    throwIfAborted(this.signal);
    const actual = this.hasher.hexdigest();
    if (sha256 !== null && actual !== sha256) {
      throw new Error(`${url}: SHA-256 mismatch: expected ${sha256}, got ${actual} (${length} bytes); the file was not used or cached`);
    }
    if (size !== null && length !== size) throw new Error(`${url}: ${length} bytes, expected ${size}`);
    if (this.cache) {
      await this.cache.put(url, { size: length, sha256: actual, contentType: contentType(name), bytesAt: (a, b) => sink.bytesAt(a, b) });
      throwIfAborted(this.signal);
    }
    return this.#done(name, sink, actual, this.source.cacheable ? 'network' : 'disk');
  }

  #done(name, sink, sha256, from) {
    const entry = { address: sink.base, size: sink.length, sha256, from };
    this.loaded.set(name, entry);
    return entry;
  }

  /** Streams a cached copy into `sink`; its hash (verified) or null when absent, stale or corrupt. */
  async #fromCache(name, url, sink, { size, sha256 }) {
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
      const actual = this.hasher.hexdigest();
      if (actual === expected && (size === null || length === size)) {
        progress.done(length);
        return actual;
      }
      reason = `cached copy is corrupt (SHA-256 ${actual}, ${length} bytes; expected ${expected})`;
    } catch (e) {
      if (this.signal?.aborted) throw e;
      reason = `cached copy could not be read (${e.message})`;
    }
    await this.cache.delete(url);
    this.warn(name, `${url}: ${reason}; deleted it and downloading again`);
    return null;
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
    return new TextDecoder().decode(this.memory.heap().subarray(entry.address, entry.address + entry.size));
  }

  close() {
    this.#hasher?.delete?.();
    this.#hasher = null;
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
 * Loads every file of a model into WASM memory: exactly the files listed in manifest.json (size and SHA-256
 * checked), or, without a manifest, the Hugging Face / sentence-transformers layout (`cacheFloatLayout`
 * false: its files bypass the cache).
 * @returns {Promise<{ manifest: object | null, weightFiles: string[] }>} weightFiles: the float weight files of
 *   a Hugging Face layout (empty for a manifest)
 */
export async function gatherModelFiles(loader, { cacheFloatLayout = true } = {}) {
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

  if (await loader.load(WEIGHTS_FILE, { optional: true })) return { manifest: null, weightFiles: [WEIGHTS_FILE] };
  const index = await loader.load(SHARD_INDEX_FILE, { optional: true });
  if (!index) {
    throw new Error(`${await loader.location(WEIGHTS_FILE)}: file not found, and no ${SHARD_INDEX_FILE} either`);
  }
  const shards = shardFiles(loader.text(SHARD_INDEX_FILE), await loader.location(SHARD_INDEX_FILE));
  for (const shard of shards) await loader.load(shard);
  return { manifest: null, weightFiles: [SHARD_INDEX_FILE, ...shards] };
}
