// Where SemanticIndex.save()/load()/deleteSaved() keep index files: IndexedDB database "kfembed", object store
// "indexes", one entry (the toBytes() bytes) per name. Browser only; elsewhere every call rejects with an Error.
import { describeValue } from './validate.js';

const IDB_NAME = 'kfembed';
const IDB_STORE = 'indexes';

function openDatabase() {
  if (typeof indexedDB === 'undefined') {
    return Promise.reject(new Error('SemanticIndex: IndexedDB is not available in this environment'));
  }
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(IDB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(IDB_STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(new Error(`SemanticIndex: cannot open IndexedDB "${IDB_NAME}" (${request.error?.message})`));
    request.onblocked = () => reject(new Error(`SemanticIndex: IndexedDB "${IDB_NAME}" is blocked by another tab`));
  });
}

async function withStore(mode, fn) {
  const db = await openDatabase();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(IDB_STORE, mode);
      const request = fn(tx.objectStore(IDB_STORE));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error ?? new Error('transaction aborted'));
    });
  } finally {
    db.close();
  }
}

/** A saved index's name: a non-empty string (the error names SemanticIndex.`method`). */
export function checkName(name, method) {
  if (typeof name !== 'string' || name.length === 0) {
    throw new TypeError(`SemanticIndex.${method}(name): name must be a non-empty string, got ${describeValue(name)}`);
  }
}

/** Stores `bytes` under `name`, replacing what was there. */
export async function saveIndexBytes(name, bytes) {
  await withStore('readwrite', (store) => store.put(bytes, name));
}

/** The bytes saved under `name`, or null when there are none. */
export async function loadIndexBytes(name) {
  return (await withStore('readonly', (store) => store.get(name))) ?? null;
}

/** Deletes what is saved under `name` (no error when there is nothing). */
export async function deleteIndexBytes(name) {
  await withStore('readwrite', (store) => store.delete(name));
}
