// Where model and tokenizer files come from: a filesystem directory (Node), a file: URL (Node) or an http(s)
// base URL (everywhere). Every error names the file's full location and the reason.
const isNode = typeof process === 'object' && typeof process.versions?.node === 'string';
const nodeModule = (name) => import(/* webpackIgnore: true */ /* @vite-ignore */ 'node:' + name);

const CHUNK = 1 << 20;

function withSlash(s) {
  return s.endsWith('/') ? s : `${s}/`;
}

function abortError(signal) {
  return signal.reason instanceof Error ? signal.reason : new DOMException('The operation was aborted', 'AbortError');
}
function throwIfAborted(signal) {
  if (signal?.aborted) throw abortError(signal);
}

/**
 * A file sink that streams bytes into memory owned elsewhere (WASM): `open(size)` is called once with the
 * total size, then `write(offset, bytes)` for each chunk in order.
 * @typedef {{ open(size: number): void, write(offset: number, bytes: Uint8Array): void }} Sink
 */

class FileSystemSource {
  constructor(dir) {
    this.dir = dir;
  }
  describe() {
    return this.dir;
  }
  async location(file) {
    const path = await nodeModule('path');
    return path.join(this.dir, file);
  }
  async readText(file, { optional = false } = {}) {
    const fs = await nodeModule('fs/promises');
    const where = await this.location(file);
    try {
      return await fs.readFile(where, 'utf8');
    } catch (e) {
      if (optional && e.code === 'ENOENT') return null;
      throw new Error(`${where}: ${e.code === 'ENOENT' ? 'file not found' : e.message}`);
    }
  }
  async exists(file) {
    const fs = await nodeModule('fs/promises');
    try {
      return (await fs.stat(await this.location(file))).isFile();
    } catch {
      return false;
    }
  }
  async readInto(file, sink, { onProgress, signal } = {}) {
    const fs = await nodeModule('fs/promises');
    const where = await this.location(file);
    let handle;
    try {
      handle = await fs.open(where, 'r');
    } catch (e) {
      throw new Error(`${where}: ${e.code === 'ENOENT' ? 'file not found' : e.message}`);
    }
    try {
      const { size } = await handle.stat();
      sink.open(size);
      const buffer = new Uint8Array(Math.min(CHUNK * 8, Math.max(size, 1)));
      let loaded = 0;
      while (loaded < size) {
        throwIfAborted(signal);
        const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, size - loaded), loaded);
        if (bytesRead === 0) throw new Error(`${where}: file shrank while reading (${loaded} of ${size} bytes)`);
        sink.write(loaded, buffer.subarray(0, bytesRead));
        loaded += bytesRead;
        onProgress?.({ file, loaded, total: size, phase: 'read' });
      }
      return size;
    } finally {
      await handle.close();
    }
  }
}

class HttpSource {
  constructor(base) {
    this.base = base;
  }
  describe() {
    return this.base;
  }
  location(file) {
    return new URL(file, this.base).href;
  }
  async fetch(file, signal) {
    const url = this.location(file);
    let response;
    try {
      response = await fetch(url, { signal });
    } catch (e) {
      if (signal?.aborted) throw abortError(signal);
      throw new Error(`${url}: request failed (${e.message})`);
    }
    return { url, response };
  }
  async readText(file, { optional = false, signal } = {}) {
    const { url, response } = await this.fetch(file, signal);
    if (optional && response.status === 404) return null;
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status} ${response.statusText}`.trim());
    return response.text();
  }
  async exists(file, { signal } = {}) {
    const { response } = await this.fetch(file, signal);
    await response.body?.cancel();
    return response.ok;
  }
  async readInto(file, sink, { onProgress, signal } = {}) {
    const { url, response } = await this.fetch(file, signal);
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status} ${response.statusText}`.trim());
    const header = response.headers.get('content-length');
    const total = header !== null && /^\d+$/.test(header) ? Number(header) : null;
    const reader = response.body.getReader();
    let loaded = 0;
    const pending = total === null ? [] : null;
    if (total !== null) sink.open(total);
    try {
      for (;;) {
        throwIfAborted(signal);
        const { done, value } = await reader.read();
        if (done) break;
        if (total !== null) {
          if (loaded + value.length > total) throw new Error(`${url}: body longer than Content-Length ${total}`);
          sink.write(loaded, value);
        } else {
          pending.push(value);
        }
        loaded += value.length;
        onProgress?.({ file, loaded, total: total ?? 0, phase: 'download' });
      }
    } catch (e) {
      await reader.cancel().catch(() => {});
      if (signal?.aborted) throw abortError(signal);
      throw e.message?.startsWith(url) ? e : new Error(`${url}: download failed (${e.message})`);
    }
    if (total !== null && loaded !== total) {
      throw new Error(`${url}: connection closed after ${loaded} of ${total} bytes`);
    }
    if (pending) {
      sink.open(loaded);
      let offset = 0;
      for (const chunk of pending) {
        sink.write(offset, chunk);
        offset += chunk.length;
      }
    }
    return loaded;
  }
}

/**
 * Resolves a user-supplied source to a reader.
 * @param {string | URL} source directory path or file: URL (Node), http(s) base URL (everywhere)
 */
export async function openSource(source) {
  const raw = source instanceof URL ? source.href : source;
  if (typeof raw !== 'string' || raw.length === 0) {
    throw new TypeError('source: expected a directory path or URL string');
  }
  if (/^https?:\/\//i.test(raw)) return new HttpSource(withSlash(raw));
  if (/^file:/i.test(raw)) {
    if (!isNode) throw new Error(`${raw}: file: URLs can only be read in Node`);
    const { fileURLToPath } = await nodeModule('url');
    return new FileSystemSource(fileURLToPath(raw));
  }
  if (isNode) return new FileSystemSource(raw);
  return new HttpSource(withSlash(new URL(raw, globalThis.location?.href).href));
}

export { throwIfAborted };
