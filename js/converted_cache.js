// The converted package of a Hugging Face layout, kept in the Cache API.
//
// load(hfBaseUrl, { dtype: 'int8' }) quantizes the float weights at load (SentenceEncoder, C++). What is then
// cached is the result, not the float files (4× smaller): the encoder's model.int8.safetensors bytes, read
// in place from WASM memory, plus the small text files, stored as a converted package under
//   `${base}kfembed-int8/<path>`            (e.g. …/resolve/main/kfembed-int8/model.int8.safetensors)
//   `${base}kfembed-int8/manifest.json`     written last, in the converter's format, "source": base
// in the same cache as every other file (CACHE_NAME). Every entry carries its SHA-256 like any cached file.
// The next int8 load of the same base finds that manifest first and loads every file it lists from the cache
// (hashed again while streamed into WASM), with no request at all. A missing or corrupt entry, a manifest
// that does not parse or a package this build cannot run deletes the whole package and the load goes to the
// network as the first time did. A package is never left half-written: on any failed write everything
// written so far is deleted, and without its manifest nothing is ever read.
//
// Revalidation: `${base}kfembed-int8/provenance.json` records what the package was made from, each source
// file's validators as its host gave them (ETag, X-Repo-Commit, Last-Modified, size: fetch_resume.js
// validatorsOf), and when that was last checked. An online load whose `revalidate` interval has passed
// asks the source again (one HEAD per recorded file, no body) while the cached package loads; when a file
// changed (or is gone) the package is deleted and the source converted again. Offline, a network error or a
// server error keep the cached package (checked again on the next load).
import { contentType } from './cache.js';
import { MANIFEST_FILE, parseManifest, serializeManifest } from './manifest.js';
import { convertedRoot, INT8_WEIGHTS_FILE } from './model_layout.js';
import { throwIfAborted } from './progress.js';

export { CONVERTED_DIR, convertedRoot } from './model_layout.js';
/** What the package was made from (its source files' validators) and when that was last checked. */
export const PROVENANCE_FILE = 'provenance.json';

/** A source whose files exist only in the cache (FileLoader reads them from there, verified); a miss throws. */
export class CachedPackageSource {
  constructor(root) {
    this.base = root;
    this.cacheable = true;
  }
  describe() {
    return this.base;
  }
  location(file) {
    return `${this.base}${file}`;
  }
  async fetchInto(file) {
    throw new Error(`${this.location(file)}: not in the cache (the cached converted package is incomplete)`);
  }
}

/**
 * The cached converted package of `base`, parsed, or null. An entry that is unreadable or not the int8
 * package of `base` is deleted (with its files).
 */
export async function readConvertedManifest(cache, base, warn) {
  const root = convertedRoot(base);
  const url = root + MANIFEST_FILE;
  const response = await cache.match(url);
  if (!response) return null;
  let parsed;
  try {
    parsed = parseManifest(await response.text(), url);
    if (parsed.source !== base) throw new Error(`${url}: "source" is ${JSON.stringify(parsed.source)}, expected ${JSON.stringify(base)}`);
    if (parsed.dtype !== 'int8') throw new Error(`${url}: "dtype" is ${JSON.stringify(parsed.dtype)}, expected "int8"`);
    if (!parsed.files.some((f) => f.path === INT8_WEIGHTS_FILE)) throw new Error(`${url}: does not list ${INT8_WEIGHTS_FILE}`);
  } catch (e) {
    warn(`${e.message}; deleted the cached package`);
    await deleteConverted(cache, base, parsed?.files.map((f) => f.path) ?? [INT8_WEIGHTS_FILE]);
    return null;
  }
  return parsed;
}

/** Deletes the cached converted package of `base`: the manifest first, so no reader sees a partial one. */
export async function deleteConverted(cache, base, paths) {
  const root = convertedRoot(base);
  await cache.delete(root + MANIFEST_FILE);
  for (const p of paths) await cache.delete(root + p);
  await cache.delete(root + PROVENANCE_FILE);
}

async function putJson(cache, url, value) {
  const bytes = new TextEncoder().encode(JSON.stringify(value));
  return cache.put(url, { size: bytes.length, sha256: '', contentType: 'application/json', bytesAt: (a, b) => bytes.slice(a, b) });
}

/** One file's recorded and current validators differ: by ETag where both have one, else commit, date, size. */
export function validatorsDiffer(recorded, current) {
  for (const key of ['etag', 'commit', 'lastModified', 'size']) {
    if (recorded[key] !== undefined && current[key] !== undefined) return recorded[key] !== current[key];
  }
  return false; // nothing comparable: no evidence of a change
}

/**
 * Whether the source of the cached package of `base` changed: 'fresh' (checked within `intervalMs`, or
 * checked now and unchanged: the check time is then renewed), 'changed', or 'unknown' (no record, offline,
 * network or server error: the cached package is used and checked again next time).
 */
export async function revalidateConverted(source, cache, base, { intervalMs, signal, warn, now = Date.now() }) {
  const url = convertedRoot(base) + PROVENANCE_FILE;
  let recorded = null;
  try {
    recorded = JSON.parse(await (await cache.match(url))?.text());
  } catch {
    recorded = null;
  }
  const files = Object.entries(recorded?.files ?? {});
  if (!recorded || files.length === 0 || typeof source.head !== 'function') return 'unknown';
  if (Number.isFinite(recorded.checkedAt) && now - recorded.checkedAt < intervalMs) return 'fresh';
  let answers;
  try {
    answers = await Promise.all(files.map(async ([name, before]) => ({ name, before, ...(await source.head(name, { signal })) })));
  } catch (e) {
    if (signal?.aborted) throw e;
    warn(`${base}: could not check for a new version (${e.cause?.code ?? e.message}); using the cached converted package`);
    return 'unknown';
  }
  for (const { name, before, status, validators } of answers) {
    if (status === 404 || status === 410) return 'changed';
    if (status < 200 || status >= 300) {
      warn(`${source.location(name)}: HTTP ${status} while checking for a new version; using the cached converted package`);
      return 'unknown';
    }
    if (validatorsDiffer(before, validators)) return 'changed';
  }
  await putJson(cache, url, { ...recorded, checkedAt: now });
  return 'fresh';
}

/**
 * Stores a converted package: `files` ([{ path, size, sha256, bytesAt(start, end) }], verified bytes), its
 * `provenance` ({ checkedAt, files: { name: validators } }), then its manifest. Resolves true when all of it is stored; false (nothing left behind) when the cache refused a write
 * (already reported by the cache as a cache-warning). Throws the AbortError when `signal` aborts meanwhile,
 * after deleting what was written.
 */
export async function storeConverted(cache, base, files, { signal, provenance = null } = {}) {
  const root = convertedRoot(base);
  const written = [];
  const undo = () => deleteConverted(cache, base, written);
  try {
    await cache.delete(root + MANIFEST_FILE); // an older package is invisible from here on
    for (const f of files) {
      throwIfAborted(signal);
      written.push(f.path);
      const ok = await cache.put(root + f.path, { size: f.size, sha256: f.sha256, check64: f.check64 ?? null, contentType: contentType(f.path), bytesAt: f.bytesAt });
      if (!ok) {
        await undo();
        return false;
      }
    }
    throwIfAborted(signal);
    if (provenance) {
      written.push(PROVENANCE_FILE);
      if (!(await putJson(cache, root + PROVENANCE_FILE, provenance))) {
        await undo();
        return false;
      }
    }
    const bytes = new TextEncoder().encode(serializeManifest({ source: base, dtype: 'int8', files }));
    // Like a fetched manifest: no hash header (readConvertedManifest parses and checks it instead).
    if (!(await cache.put(root + MANIFEST_FILE, { size: bytes.length, sha256: '', contentType: 'application/json', bytesAt: (a, b) => bytes.slice(a, b) }))) {
      await undo();
      return false;
    }
    return true;
  } catch (e) {
    await undo();
    throw e;
  }
}
