// Where model and tokenizer files come from: a filesystem directory (Node), a file: URL (Node) or an http(s)
// base URL (everywhere). Every error names the file's full location and the reason.
// Both sources offer readText(file) / readBytes(file) for small files and fetchInto(file, sink) for streaming a file into memory
// owned elsewhere (WASM); HTTP downloads resume dropped connections (fetch_resume.js).
import { isNode, nodeModule } from './env.js';
import { downloadResumable, fetchRange, validatorsOf } from './fetch_resume.js';
import { progressReporter, throwIfAborted } from './progress.js';
import { sourceString } from './validate.js';


const CHUNK = 1 << 20;

/** Where load() reads from when no source is given: the original hub repository (quantized while it streams). */
export const DEFAULT_SOURCE = 'https://huggingface.co/upskyy/kf-deberta-multitask/resolve/main/';

function withSlash(s) {
  return s.endsWith('/') ? s : `${s}/`;
}

/** A sink that keeps the bytes in JS (small files). */
class TextSink {
  chunks = [];
  begin() {
    this.chunks = [];
  }
  write(offset, bytes) {
    this.chunks.push(bytes.slice());
  }
  end() {}
  bytes() {
    const total = this.chunks.reduce((n, c) => n + c.length, 0);
    const all = new Uint8Array(total);
    let at = 0;
    for (const c of this.chunks) {
      all.set(c, at);
      at += c.length;
    }
    return all;
  }
  text() {
    return new TextDecoder().decode(this.bytes());
  }
}

class FileSystemSource {
  constructor(dir) {
    this.dir = dir;
    this.cacheable = false;
  }
  describe() {
    return this.dir;
  }
  async location(file) {
    const path = await nodeModule('path');
    return path.join(this.dir, file);
  }
  async readText(file, { optional = false } = {}) {
    const bytes = await this.readBytes(file, { optional });
    return bytes === null ? null : new TextDecoder().decode(bytes);
  }
  /** Small file as bytes (Uint8Array); null when `optional` and absent. */
  async readBytes(file, { optional = false } = {}) {
    const fs = await nodeModule('fs/promises');
    const where = await this.location(file);
    try {
      const buffer = await fs.readFile(where);
      return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    } catch (e) {
      if (optional && e.code === 'ENOENT') return null;
      throw new Error(`${where}: ${e.code === 'ENOENT' ? 'file not found' : e.message}`);
    }
  }
  /**
   * Bytes [begin, end) of a file (fewer where it ends first) and its size: { bytes, size }; null when
   * `optional` and absent.
   */
  async readRange(file, begin, end, { optional = false } = {}) {
    const fs = await nodeModule('fs/promises');
    const where = await this.location(file);
    let handle;
    try {
      handle = await fs.open(where, 'r');
    } catch (e) {
      if (optional && e.code === 'ENOENT') return null;
      throw new Error(`${where}: ${e.code === 'ENOENT' ? 'file not found' : e.message}`);
    }
    try {
      const { size } = await handle.stat();
      const bytes = new Uint8Array(Math.max(0, Math.min(end, size) - begin));
      let at = 0;
      while (at < bytes.length) {
        const { bytesRead } = await handle.read(bytes, at, bytes.length - at, begin + at);
        if (bytesRead === 0) throw new Error(`${where}: file shrank while reading`);
        at += bytesRead;
      }
      return { bytes, size };
    } finally {
      await handle.close();
    }
  }
  /**
   * Streams a file into `sink` (see fetch_resume.js). Returns its length, or null when `optional` and absent.
   * `expectedSize` (from a manifest) must match the file's size.
   */
  async fetchInto(file, sink, { optional = false, expectedSize = null, onProgress, signal } = {}) {
    const fs = await nodeModule('fs/promises');
    const where = await this.location(file);
    let handle;
    try {
      handle = await fs.open(where, 'r');
    } catch (e) {
      if (optional && e.code === 'ENOENT') return null;
      throw new Error(`${where}: ${e.code === 'ENOENT' ? 'file not found' : e.message}`);
    }
    try {
      const { size } = await handle.stat();
      if (expectedSize !== null && size !== expectedSize) {
        throw new Error(`${where}: size ${size} bytes differs from the expected ${expectedSize}`);
      }
      const progress = progressReporter(onProgress, file, 'read');
      sink.begin(size);
      const buffer = new Uint8Array(Math.min(CHUNK * 8, Math.max(size, 1)));
      let loaded = 0;
      while (loaded < size) {
        throwIfAborted(signal);
        const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, size - loaded), loaded);
        if (bytesRead === 0) throw new Error(`${where}: file shrank while reading (${loaded} of ${size} bytes)`);
        sink.write(loaded, buffer.subarray(0, bytesRead));
        loaded += bytesRead;
        progress.update(loaded, size);
      }
      sink.end(size);
      progress.done(size);
      return size;
    } finally {
      await handle.close();
    }
  }
}

class HttpSource {
  constructor(base, { fetch, retry } = {}) {
    this.base = base;
    this.cacheable = true;
    this.fetch = fetch;
    this.retry = retry;
  }
  describe() {
    return this.base;
  }
  location(file) {
    return new URL(file, this.base).href;
  }
  /**
   * Small file as text (retried like any download); null when `optional` and the server says 404.
   * `revalidate`: ask caches on the way to revalidate (manifest.json).
   */
  async readText(file, { optional = false, signal, revalidate = false } = {}) {
    const bytes = await this.readBytes(file, { optional, signal, revalidate });
    return bytes === null ? null : new TextDecoder().decode(bytes);
  }
  /** Small file as bytes (Uint8Array), like readText(). */
  async readBytes(file, { optional = false, signal, revalidate = false } = {}) {
    const sink = new TextSink();
    const length = await this.fetchInto(file, sink, { optional, signal, init: { cache: revalidate ? 'no-cache' : 'no-store' } });
    return length === null ? null : sink.bytes();
  }
  /**
   * Bytes [begin, end) of a file by a Range request, and its size: { bytes, size }; null when `optional` and
   * the server says 404. A server that ignores Range throws RangeNotSupportedError (fetch_resume.js).
   */
  async readRange(file, begin, end, { optional = false, signal } = {}) {
    return fetchRange(this.location(file), begin, end, { optional, signal, fetch: this.fetch, retry: this.retry, init: { cache: 'no-store' } });
  }
  /**
   * What the server says of a file now, without sending it (revalidating a cached conversion): a HEAD
   * request; { status, validators } (validatorsOf). Network errors throw.
   */
  async head(file, { signal } = {}) {
    const response = await (this.fetch ?? globalThis.fetch)(this.location(file), { method: 'HEAD', cache: 'no-store', signal });
    response.body?.cancel().catch(() => {});
    const length = response.headers.get('content-length');
    const encoded = (response.headers.get('content-encoding') ?? 'identity').toLowerCase() !== 'identity';
    const size = !encoded && length !== null && /^\d+$/.test(length) ? Number(length) : null;
    return { status: response.status, validators: validatorsOf(response.headers, size) };
  }
  /**
   * Streams a file into `sink`, resuming dropped connections. The browser's HTTP cache is bypassed
   * (cache: 'no-store'): verified files are kept in the Cache API instead, so storage holds one copy.
   */
  async fetchInto(file, sink, { optional = false, expectedSize = null, onProgress, signal, init, validators } = {}) {
    return downloadResumable(this.location(file), sink, {
      validators,
      file,
      optional,
      expectedSize,
      onProgress,
      signal,
      fetch: this.fetch,
      retry: this.retry,
      init: init ?? { cache: 'no-store' },
    });
  }
}

/**
 * Resolves a user-supplied source to a reader.
 * @param {string | URL} source directory path or file: URL (Node), http(s) base URL (everywhere)
 * @param {{ fetch?: typeof fetch, retry?: object }} [http] options of HTTP sources (tests inject these)
 */
export async function openSource(source, http = {}) {
  const raw = sourceString(source);
  if (/^https?:\/\//i.test(raw)) return new HttpSource(withSlash(raw), http);
  if (/^file:/i.test(raw)) {
    if (!isNode) throw new Error(`${raw}: file: URLs can only be read in Node`);
    const { fileURLToPath } = await nodeModule('url');
    return new FileSystemSource(fileURLToPath(raw));
  }
  if (isNode) return new FileSystemSource(raw);
  return new HttpSource(withSlash(new URL(raw, globalThis.location?.href).href), http);
}
