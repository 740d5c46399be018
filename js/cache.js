// Persistent storage of verified model files in the Cache API (browsers; in Node any object with the
// CacheStorage shape can be passed as options.cache). One versioned cache, keyed by each file's full URL.
// An entry is written only after the file's SHA-256 checked out, carries that hash in a header, and is hashed
// again when read; storage failures (quota, private mode, …) never fail a load: they become a
// `phase: 'cache-warning'` progress event and the load goes on without caching.

/** Bump when the entry format changes; older caches are then left alone (and can be cleared by the app). */
export const CACHE_NAME = 'kfembed-v1';
export const SHA256_HEADER = 'x-kfembed-sha256';
/**
 * The entry's Checksum64 (src/common/checksum64.h), when written with one: reading it back only has to prove
 * the bytes are those written (the SHA-256 above was checked then), which this does at memory speed.
 */
export const CHECK64_HEADER = 'x-kfembed-check64';

const STREAM_CHUNK = 1 << 20;

/** The Content-Type a cached model file is stored with, from its name. */
export function contentType(name) {
  if (name.endsWith('.json')) return 'application/json';
  if (name.endsWith('.txt')) return 'text/plain; charset=utf-8';
  return 'application/octet-stream';
}

function describe(e) {
  return e?.name && e.name !== 'Error' ? `${e.name}: ${e.message}` : String(e?.message ?? e);
}

export class ModelCache {
  #cache;
  #warn;
  #full = false;

  /** @param {Cache} cache @param {(message: string, error?: unknown, url?: string) => void} warn */
  constructor(cache, warn) {
    this.#cache = cache;
    this.#warn = warn;
  }

  /** The cached Response for `url`, or null (a failing lookup counts as a miss). */
  async match(url) {
    try {
      return (await this.#cache.match(url)) ?? null;
    } catch (e) {
      this.#warn(`cache lookup failed (${describe(e)}); downloading instead`, e, url);
      return null;
    }
  }

  async delete(url) {
    try {
      await this.#cache.delete(url);
    } catch (e) {
      this.#warn(`could not delete the cache entry (${describe(e)})`, e, url);
    }
  }

  /**
   * Stores `size` verified bytes produced by `bytesAt(offset, end)` (a fresh copy per call, read when the
   * cache pulls it) under `url`. Resolves true when stored; on any failure nothing is left behind and the
   * load continues (false).
   */
  async put(url, { size, sha256, check64 = null, contentType = 'application/octet-stream', bytesAt }) {
    if (this.#full) return false; // storage is full: stop trying for the rest of this load
    const headers = { 'content-type': contentType, 'content-length': String(size), [SHA256_HEADER]: sha256 };
    if (check64) headers[CHECK64_HEADER] = check64;
    try {
      let body;
      if (typeof ReadableStream === 'function' && size > STREAM_CHUNK) {
        let offset = 0;
        body = new ReadableStream({
          pull(controller) {
            const end = Math.min(size, offset + STREAM_CHUNK);
            controller.enqueue(bytesAt(offset, end));
            offset = end;
            if (offset >= size) controller.close();
          },
        });
      } else {
        body = bytesAt(0, size);
      }
      await this.#cache.put(url, new Response(body, { status: 200, headers }));
      return true;
    } catch (e) {
      // Cache.put is atomic, but make sure of it: a failed write must not leave a (partial) entry.
      await this.delete(url);
      const quota = e?.name === 'QuotaExceededError';
      if (quota) this.#full = true;
      this.#warn(`${quota ? 'storage quota exceeded' : `caching failed (${describe(e)})`}; continuing without caching`, e, url);
      return false;
    }
  }
}

/**
 * The cache for a load: null when `option` is false or no CacheStorage exists (Node without one passed in).
 * @param {boolean | { open(name: string): Promise<Cache> } | undefined} option
 */
export async function openModelCache(option, warn) {
  if (option === false || option === null) return null;
  const storage = option === true || option === undefined ? globalThis.caches : option;
  if (!storage || typeof storage.open !== 'function') {
    if (option !== true && option !== undefined) throw new TypeError('load options.cache: expected a boolean or a CacheStorage');
    return null;
  }
  try {
    return new ModelCache(await storage.open(CACHE_NAME), warn);
  } catch (e) {
    // E.g. SecurityError on an opaque origin, or storage disabled by the user.
    warn(`the Cache API is unavailable (${describe(e)}); continuing without caching`, e);
    return null;
  }
}
