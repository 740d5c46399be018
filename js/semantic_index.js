// SemanticIndex: client-side semantic search over sentence vectors (docs/js-api.md). Vectors live normalised in
// their own WASM instance (f32, or int8 with one scale per vector: 4× smaller) and are searched by brute force
// with the SIMD128 kernels of src/index; ids and texts live here. toBytes()/fromBytes() use the binary format
// of index_format.js; save()/load() keep those bytes in IndexedDB (index_store.js, fetched on their first call).
import { compactRows, decodeIndex, encodeIndex, scalesOffset } from './index_format.js';
import { threadsAvailable } from './env.js';
import { check, guarded, instantiateRuntime, releaseRuntime, ownerFailure } from './runtime.js';
import { describeValue as describe, optionsObject } from './validate.js';

/** Vectors per transfer into WASM memory (bounds the staging buffer: 4096 · 768 · 4 B = 12 MiB). */
const CHUNK = 4096;
/** Longest vector an index takes (src/index/vector_index.cpp). */
const MAX_DIM = 1 << 16;
/** Staging areas above this size are freed after use. */
const STAGING_KEEP = 16 << 20;

function checkId(id, where) {
  if (typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id))) return id;
  throw new TypeError(`${where}: ids must be strings or finite numbers, got ${describe(id)}`);
}

function isVector(v) {
  return (ArrayBuffer.isView(v) && !(v instanceof DataView)) || Array.isArray(v);
}

export class SemanticIndex {
  #model;
  #int8;
  #threads;
  #dim = 0;
  /** { runtime, handle } once the WASM instance exists. */
  #store = null;
  #storePromise = null;
  /** Rows from fromBytes() not yet copied into WASM (file layout), so fromBytes() can stay synchronous. */
  #pending = null;
  #ids = [];
  #texts = [];
  #rowOf = new Map();
  #nextId = 0;
  #queue = Promise.resolve();
  #disposed = false;

  /**
   * @param {{ model?: { dim: number, encode: Function }, int8?: boolean, threads?: number }} [options]
   *   model: needed only to add or search text; int8: store 8-bit vectors (4× smaller, scores within 0.01);
   *   threads: of each search over many rows (default: the model's, else 1; 1 where threads are unavailable).
   */
  constructor(options) {
    const { model = null, int8 = false, threads } = optionsObject(options, 'new SemanticIndex(options)');
    if (model !== null && (typeof model !== 'object' || typeof model.encode !== 'function')) {
      throw new TypeError(`new SemanticIndex(options): options.model must be a loaded model, got ${describe(model)}`);
    }
    if (typeof int8 !== 'boolean') {
      throw new TypeError(`new SemanticIndex(options): options.int8 must be a boolean, got ${describe(int8)}`);
    }
    if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1 && threads <= 16)) {
      throw new RangeError(`new SemanticIndex(options): options.threads must be an integer from 1 to 16, got ${describe(threads)}`);
    }
    this.#model = model;
    this.#int8 = int8;
    this.#threads = threads ?? (Number.isInteger(model?.threads) ? model.threads : 1);
    if (model && Number.isInteger(model.dim) && model.dim > 0) this.#dim = model.dim;
  }

  /** Number of documents. */
  get size() {
    return this.#ids.length;
  }
  /** Vector length (0 until the first vector or model fixes it). */
  get dim() {
    return this.#dim;
  }
  /** Whether vectors are stored as int8. */
  get int8() {
    return this.#int8;
  }
  /** Whether a document with this id is in the index. */
  has(id) {
    return this.#rowOf.has(id);
  }

  #live(method) {
    if (this.#disposed) throw new Error(`SemanticIndex.${method}(): the index was disposed`);
  }

  #enqueue(op) {
    const run = this.#queue.then(() => this.#guard(op));
    this.#queue = run.catch(() => {});
    return run;
  }

  /** op(); a trap or uncaught exception inside the runtime disposes the index (runtime.js ownerFailure). */
  async #guard(op) {
    try {
      return await op();
    } catch (e) {
      throw ownerFailure(this, e, 'SemanticIndex');
    }
  }

  async #ready() {
    if (this.#store) return this.#store;
    this.#storePromise ??= (async () => {
      let handle = null;
      let runtime = null;
      try {
        const threads = threadsAvailable() ? this.#threads : 1;
        runtime = await instantiateRuntime({ threads });
        if (typeof runtime.VectorIndex !== 'function') {
          throw new Error('SemanticIndex: this kfembed runtime was built without the search index (wasm/index_bindings.cpp)');
        }
        handle = check(runtime.VectorIndex.create(this.#dim, this.#int8), 'SemanticIndex');
        handle.setThreads(threads);
        if (this.#pending && this.#ids.length > 0) {
          const bytes = this.#pending;
          check(handle.reserve(this.#ids.length), 'SemanticIndex');
          const at = check(handle.stagingBuffer(bytes.length), 'SemanticIndex');
          runtime.HEAPU8.set(bytes, at);
          check(handle.addStoredStaged(this.#ids.length), 'SemanticIndex.fromBytes');
          handle.releaseStaging();
        }
        this.#pending = null;
        if (this.#disposed) throw new Error('SemanticIndex: the index was disposed');
        this.#store = { runtime, handle };
        return this.#store;
      } catch (e) {
        handle?.delete();
        releaseRuntime(runtime);
        this.#storePromise = null; // a later call may try again (e.g. after a network error)
        throw e;
      }
    })();
    return this.#storePromise;
  }

  #checkDim(length, where) {
    if (this.#dim === 0) {
      if (!(length > 0)) throw new RangeError(`${where}: vectors must not be empty`);
      if (length > MAX_DIM) throw new RangeError(`${where}: has length ${length}, more than the ${MAX_DIM} an index takes`);
      this.#dim = length;
    } else if (length !== this.#dim) {
      throw new RangeError(`${where}: has length ${length}, expected ${this.#dim}`);
    }
  }

  #resolveIds(count, ids) {
    const out = new Array(count);
    const seen = new Set();
    for (let i = 0; i < count; i++) {
      let id;
      id = ids ? checkId(ids[i], `add(items, ids): ids[${i}]`) : this.#takeNextId(seen);
      if (this.#rowOf.has(id)) throw new Error(`add(items, ids): duplicate id ${JSON.stringify(id)} (already in the index)`);
      if (seen.has(id)) throw new Error(`add(items, ids): duplicate id ${JSON.stringify(id)} (twice in ids)`);
      seen.add(id);
      out[i] = id;
    }
    return out;
  }

  /**
   * The next automatic id not in use. Ends: nextId is a safe integer (fromBytes checks it) that grows by
   * exactly 1 per step, the ids in use are finite, and past 2^53 - 1 (where ++ stops counting) it throws.
   */
  #takeNextId(seen) {
    for (;;) {
      if (this.#nextId > Number.MAX_SAFE_INTEGER) {
        throw new RangeError('add(items, ids): automatic ids are used up (the next would exceed 2^53 - 1); pass ids');
      }
      const id = this.#nextId++;
      if (!this.#rowOf.has(id) && !seen.has(id)) return id;
    }
  }

  /**
   * Adds documents: texts (embedded with the model) or vectors (Float32Array or number arrays of length dim).
   * @param {string[] | ArrayLike<number>[]} items
   * @param {(string | number)[]} [ids] default: insertion numbers 0, 1, 2, …
   * @returns {Promise<(string | number)[]>} the ids of the added documents
   */
  async add(items, ids) {
    this.#live('add');
    if (typeof items === 'string' || (isVector(items) && !Array.isArray(items))) items = [items];
    if (!Array.isArray(items)) {
      throw new TypeError(`add(items, ids): items must be an array of strings or of vectors, got ${describe(items)}`);
    }
    if (ids !== undefined && !Array.isArray(ids)) ids = [ids];
    if (ids !== undefined && ids.length !== items.length) {
      throw new RangeError(`add(items, ids): ids has ${ids.length} entries for ${items.length} items`);
    }
    const texts = items.length > 0 && typeof items[0] === 'string';
    items.forEach((item, i) => {
      if (texts ? typeof item !== 'string' : !isVector(item)) {
        throw new TypeError(`add(items, ids): items[${i}] is ${describe(item)}; items must be all strings or all vectors`);
      }
    });
    if (texts && !this.#model) throw new Error('add(items, ids): adding texts needs a model (new SemanticIndex({ model }))');
    ids?.forEach((id, i) => checkId(id, `add(items, ids): ids[${i}]`));
    return this.#enqueue(async () => {
      this.#live('add');
      const nextId = this.#nextId;
      const assigned = this.#resolveIds(items.length, ids);
      try {
        if (items.length === 0) return [];
        const vectors = texts ? await this.#model.encode(items) : items;
        vectors.forEach((v, i) => this.#checkDim(v.length, `add(items, ids): items[${i}]`));
        if (!texts) {
          vectors.forEach((v, i) => {
            for (let j = 0; j < v.length; j++) {
              if (!Number.isFinite(v[j])) throw new RangeError(`add(items, ids): items[${i}][${j}] is ${v[j]}, not a finite number`);
            }
          });
        }
        this.#live('add');
        const { runtime, handle } = await this.#ready();
        this.#live('add');
        const start = this.#ids.length;
        const dim = this.#dim;
        check(handle.reserve(start + vectors.length), 'add');
        try {
          for (let first = 0; first < vectors.length; first += CHUNK) {
            const n = Math.min(CHUNK, vectors.length - first);
            const at = check(handle.stagingBuffer(n * dim * 4), 'add') >>> 2;
            const heap = runtime.HEAPF32; // after the allocation: memory growth replaces the views
            for (let i = 0; i < n; i++) heap.set(vectors[first + i], at + i * dim);
            check(handle.addStaged(n), 'add');
          }
          if (vectors.length * dim * 4 > STAGING_KEEP) handle.releaseStaging();
        } catch (e) {
          const added = handle.size() - start;
          if (added > 0) this.#removeRows(Array.from({ length: added }, (_, i) => start + i), { metadata: false });
          throw e;
        }
        for (let i = 0; i < items.length; i++) {
          this.#rowOf.set(assigned[i], start + i);
          this.#ids.push(assigned[i]);
          this.#texts.push(texts ? items[i] : undefined);
        }
        return assigned;
      } catch (e) {
        this.#nextId = nextId;
        throw e;
      }
    });
  }

  /**
   * The k documents most similar to `query` (a text, embedded with the model, or a vector), best first.
   * @param {string | ArrayLike<number>} query
   * @param {number} [k=10]
   * @returns {Promise<{ id: string | number, score: number, text: string | undefined }[]>}
   */
  async search(query, k = 10) {
    this.#live('search');
    // Any integer ≥ 0 (2^32 + 3 included: the runtime takes it as a double); more than size returns everything.
    if (!Number.isInteger(k) || k < 0) throw new RangeError(`search(query, k): k must be an integer ≥ 0, got ${k}`);
    const text = typeof query === 'string';
    if (!text && !isVector(query)) {
      throw new TypeError(`search(query, k): query must be a string or a vector, got ${describe(query)}`);
    }
    if (text && !this.#model) throw new Error('search(query, k): a text query needs a model (new SemanticIndex({ model }))');
    if (!text && this.#dim && query.length !== this.#dim) {
      throw new RangeError(`search(query, k): query has length ${query.length}, expected ${this.#dim}`);
    }
    return this.#enqueue(async () => {
      this.#live('search');
      const vector = text ? await this.#model.encode(query) : query;
      if (this.#dim && vector.length !== this.#dim) {
        throw new RangeError(`search(query, k): query has length ${vector.length}, expected ${this.#dim}`);
      }
      if (this.#ids.length === 0 || k === 0) return [];
      const { runtime, handle } = await this.#ready();
      this.#live('search');
      const at = check(handle.stagingBuffer(this.#dim * 4), 'search') >>> 2;
      runtime.HEAPF32.set(vector, at);
      const count = check(handle.searchStaged(Math.min(k, this.#ids.length)), 'search');
      const hits = handle.hitsPointer() >>> 2;
      const rows = runtime.HEAPU32;
      const scores = runtime.HEAPF32;
      const out = new Array(count);
      for (let i = 0; i < count; i++) {
        const row = rows[hits + 2 * i];
        out[i] = { id: this.#ids[row], score: scores[hits + 2 * i + 1], text: this.#texts[row] };
      }
      return out;
    });
  }

  /**
   * Removes documents by id; unknown ids are ignored.
   * @param {(string | number)[] | string | number} ids
   * @returns {number} how many documents were removed
   */
  remove(ids) {
    this.#live('remove');
    const list = Array.isArray(ids) ? ids : [ids];
    const rows = new Set();
    list.forEach((id, i) => {
      checkId(id, `remove(ids): ids[${i}]`);
      const row = this.#rowOf.get(id);
      if (row !== undefined) rows.add(row);
    });
    if (rows.size === 0) return 0;
    guarded(this, 'SemanticIndex.remove', () => this.#removeRows([...rows]));
    return rows.size;
  }

  /** Removes rows from the vectors and, unless they were never listed there (a failed add), the metadata. */
  #removeRows(rows, { metadata = true } = {}) {
    const doomed = new Set(rows);
    const count = this.#ids.length;
    if (this.#store) {
      const { runtime, handle } = this.#store;
      const at = check(handle.stagingBuffer(rows.length * 4), 'remove') >>> 2;
      runtime.HEAPU32.set(rows, at);
      check(handle.removeStaged(rows.length), 'remove');
    } else if (this.#pending) {
      this.#pending = compactRows(this.#pending, count, this.#dim, this.#int8, doomed);
    }
    if (metadata) {
      const ids = [];
      const texts = [];
      for (let r = 0; r < this.#ids.length; r++) {
        if (doomed.has(r)) continue;
        ids.push(this.#ids[r]);
        texts.push(this.#texts[r]);
      }
      this.#ids = ids;
      this.#texts = texts;
      this.#rowOf = new Map(ids.map((id, r) => [id, r]));
    }
  }

  /** The index in kfembed's binary format (js/index_format.js). */
  toBytes() {
    this.#live('toBytes');
    const count = this.#ids.length;
    const dim = this.#dim;
    const int8 = this.#int8;
    return encodeIndex({ int8, dim, ids: this.#ids, texts: this.#texts, nextId: this.#nextId }, (rows) => {
      if (this.#store) {
        const { runtime, handle } = this.#store;
        const heap = runtime.HEAPU8;
        const at = handle.rowsPointer();
        rows.set(heap.subarray(at, at + (int8 ? count * dim : count * dim * 4)));
        if (int8) {
          const scales = handle.scalesPointer();
          rows.set(heap.subarray(scales, scales + count * 4), scalesOffset(count, dim));
        }
      } else if (this.#pending) {
        rows.set(this.#pending);
      }
    });
  }

  /**
   * An index from toBytes() output. Synchronous; the vectors move into WASM on the first add() or search().
   * @param {Uint8Array | ArrayBuffer} bytes
   * @param {{ model?: object }} [options]
   */
  static fromBytes(bytes, options) {
    const where = 'SemanticIndex.fromBytes(bytes)';
    const { model = null } = optionsObject(options, 'SemanticIndex.fromBytes(bytes, options)');
    if (bytes instanceof ArrayBuffer) bytes = new Uint8Array(bytes);
    else if (ArrayBuffer.isView(bytes)) bytes = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    else throw new TypeError(`${where}: expected a Uint8Array or ArrayBuffer, got ${describe(bytes)}`);
    const { int8, dim, ids, texts, nextId, rows } = decodeIndex(bytes, where);
    if (model && dim && model.dim !== dim) {
      throw new Error(`${where}: the index holds ${dim}-dimensional vectors but the model produces ${model.dim}`);
    }
    const index = new SemanticIndex({ model, int8 });
    index.#dim = dim || index.#dim;
    index.#nextId = nextId;
    ids.forEach((raw, r) => {
      const id = checkId(raw, `${where}: ids[${r}]`);
      if (index.#rowOf.has(id)) throw new Error(`${where}: duplicate id ${JSON.stringify(id)}`);
      index.#rowOf.set(id, r);
      index.#ids.push(id);
    });
    index.#texts = texts;
    index.#pending = rows;
    return index;
  }

  /** Stores toBytes() in IndexedDB under `name` (browser), after every pending add() has finished. */
  async save(name) {
    const { checkName, saveIndexBytes } = await import('./index_store.js');
    checkName(name, 'save');
    this.#live('save');
    await saveIndexBytes(name, await this.#enqueue(() => this.toBytes()));
  }

  /** The index saved under `name` in IndexedDB, or null when there is none. */
  static async load(name, options) {
    const { model = null } = optionsObject(options, 'SemanticIndex.load(name, options)');
    const { checkName, loadIndexBytes } = await import('./index_store.js');
    checkName(name, 'load');
    const bytes = await loadIndexBytes(name);
    return bytes === null ? null : SemanticIndex.fromBytes(bytes, { model });
  }

  /** Deletes the index saved under `name` from IndexedDB (no error when there is none). */
  static async deleteSaved(name) {
    const { checkName, deleteIndexBytes } = await import('./index_store.js');
    checkName(name, 'deleteSaved');
    await deleteIndexBytes(name);
  }

  /** Frees the WASM instance; later calls throw. */
  dispose() {
    this.#disposed = true;
    this.#store?.handle.delete(); // joins its threads
    releaseRuntime(this.#store?.runtime);
    this.#store = null;
    this.#pending = null;
  }
}
