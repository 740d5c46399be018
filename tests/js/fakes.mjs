// Test doubles for the loader: a WASM-like heap (growth detaches old views, as WebAssembly.Memory does), a
// SHA-256 over that heap (Node's crypto, for cross-checking only), and an in-memory Cache API.
import crypto from 'node:crypto';

export const sha256 = (bytes) => crypto.createHash('sha256').update(bytes).digest('hex');

/** The `memory` a FileLoader needs, over a growable fake heap. */
export function fakeMemory({ initial = 1 << 16 } = {}) {
  let buffer = new ArrayBuffer(initial);
  let top = 16;
  const files = new Map();
  let grows = 0;
  const heap = () => new Uint8Array(buffer);
  const grow = (need) => {
    let size = buffer.byteLength;
    while (size < need) size *= 2;
    const next = new ArrayBuffer(size);
    new Uint8Array(next).set(new Uint8Array(buffer));
    structuredClone(buffer, { transfer: [buffer] }); // detach: stale views now read as empty
    buffer = next;
    grows++;
  };
  return {
    heap,
    allocate(name, size) {
      const address = (top + 15) & ~15;
      if (address + size > buffer.byteLength) grow(address + size);
      heap().fill(0, address, address + size);
      top = address + size;
      files.set(name, { address, size });
      return address;
    },
    createHasher() {
      let h = crypto.createHash('sha256');
      return {
        reset() {
          h = crypto.createHash('sha256');
        },
        update(address, length) {
          h.update(heap().subarray(address, address + length));
        },
        hexdigest() {
          return h.copy().digest('hex');
        },
        delete() {},
      };
    },
    /** The bytes currently stored for `name`. */
    file(name) {
      const f = files.get(name);
      return f ? heap().slice(f.address, f.address + f.size) : null;
    },
    files,
    get grows() {
      return grows;
    },
  };
}

/**
 * An in-memory CacheStorage holding one Cache. `failPut(url)` → an Error to throw from put() after reading
 * part of the body (or null). Entries can be corrupted in place with `corrupt(url)`.
 */
export function fakeCacheStorage({ failPut = () => null } = {}) {
  const entries = new Map(); // url → { bytes, headers }
  const log = [];
  const cache = {
    async match(url) {
      log.push(['match', url]);
      const e = entries.get(url);
      return e ? new Response(e.bytes.slice(), { headers: e.headers }) : undefined;
    },
    async put(url, response) {
      log.push(['put', url]);
      const reader = response.body.getReader();
      const chunks = [];
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        const error = failPut(url);
        if (error) {
          await reader.cancel();
          throw error;
        }
      }
      entries.set(url, { bytes: Buffer.concat(chunks), headers: Object.fromEntries(response.headers) });
    },
    async delete(url) {
      log.push(['delete', url]);
      return entries.delete(url);
    },
  };
  return {
    async open(name) {
      log.push(['open', name]);
      return cache;
    },
    entries,
    log,
    corrupt(url, at) {
      const e = entries.get(url);
      const i = at ?? e.bytes.length >> 1;
      e.bytes[i] ^= 0xff;
    },
  };
}
