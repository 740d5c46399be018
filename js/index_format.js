// The binary format of a SemanticIndex (toBytes()/fromBytes()), version 1, little-endian:
//   offset 0   8 bytes  magic "KFEMBIDX"
//          8   u32      version (1)
//         12   u32      flags: bit 0 = int8 rows; other bits must be 0
//         16   u32      dim (0 only for an empty index whose dimension was never fixed)
//         20   u32      count (number of vectors)
//         24   u32      metaLength: bytes of UTF-8 JSON {"ids":[…],"texts":[…|null],"nextId":n}
//         28   u32      CRC-32 (IEEE) of every byte after the header
//         32   meta JSON, zero-padded to a multiple of 4 bytes
//              f32 rows: count·dim float32                      (flags bit 0 clear)
//              int8 rows: count·dim int8, zero-padded to 4 bytes, then count float32 scales   (bit 0 set)
//   The file ends exactly there.

const MAGIC = 'KFEMBIDX';
const VERSION = 1;
const HEADER_BYTES = 32;
const FLAG_INT8 = 1;

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
const pad4 = (n) => (n + 3) & ~3;

let crcTable = null;
/** CRC-32 (IEEE 802.3, the zlib/PNG one) of `bytes`. */
export function crc32(bytes) {
  if (!crcTable) {
    crcTable = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c;
    }
  }
  let crc = -1;
  for (let i = 0; i < bytes.length; i++) crc = crcTable[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

/** Bytes of the stored rows of `count` vectors (the layout after the meta block). */
export function rowBytes(count, dim, int8) {
  return int8 ? pad4(count * dim) + count * 4 : count * dim * 4;
}

/** Where the float32 scales start inside int8 rows of `count` vectors. */
export function scalesOffset(count, dim) {
  return pad4(count * dim);
}

/** Keeps the rows of a stored-row block (file layout) whose index is not in `doomed` (a Set). */
export function compactRows(bytes, count, dim, int8, doomed) {
  const kept = count - doomed.size;
  const out = new Uint8Array(rowBytes(kept, dim, int8));
  const stride = int8 ? dim : dim * 4;
  const scalesIn = scalesOffset(count, dim);
  const scalesOut = scalesOffset(kept, dim);
  let w = 0;
  for (let r = 0; r < count; r++) {
    if (doomed.has(r)) continue;
    out.set(bytes.subarray(r * stride, (r + 1) * stride), w * stride);
    if (int8) out.set(bytes.subarray(scalesIn + r * 4, scalesIn + r * 4 + 4), scalesOut + w * 4);
    w++;
  }
  return out;
}

/**
 * An index file. `texts[i]` undefined: document i has no text (all undefined: "texts" is null).
 * `writeRows(target)` fills the rowBytes(ids.length, dim, int8) bytes of the row block.
 */
export function encodeIndex({ int8, dim, ids, texts, nextId }, writeRows) {
  const count = ids.length;
  const meta = utf8.encode(JSON.stringify({
    ids,
    texts: texts.every((t) => t === undefined) ? null : texts.map((t) => t ?? null),
    nextId,
  }));
  const rowsAt = HEADER_BYTES + pad4(meta.length);
  const out = new Uint8Array(rowsAt + rowBytes(count, dim, int8));
  const view = new DataView(out.buffer);
  for (let i = 0; i < MAGIC.length; i++) out[i] = MAGIC.charCodeAt(i);
  view.setUint32(8, VERSION, true);
  view.setUint32(12, int8 ? FLAG_INT8 : 0, true);
  view.setUint32(16, dim, true);
  view.setUint32(20, count, true);
  view.setUint32(24, meta.length, true);
  out.set(meta, HEADER_BYTES);
  if (count > 0) writeRows(out.subarray(rowsAt));
  view.setUint32(28, crc32(out.subarray(HEADER_BYTES)), true);
  return out;
}

/**
 * Reads and checks an index file (a Uint8Array); errors name `where` and the reason.
 * @returns {{ int8: boolean, dim: number, ids: unknown[], texts: (string | undefined)[], nextId: number,
 *             rows: Uint8Array | null }} rows: a copy of the row block (null when empty)
 */
export function decodeIndex(bytes, where) {
  if (bytes.length < HEADER_BYTES) throw new Error(`${where}: ${bytes.length} bytes is too short for a kfembed index header (32)`);
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC.charCodeAt(i)) throw new Error(`${where}: not a kfembed index (bad magic)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== VERSION) throw new Error(`${where}: unsupported format version ${version} (this kfembed reads ${VERSION})`);
  const flags = view.getUint32(12, true);
  if (flags & ~FLAG_INT8) throw new Error(`${where}: unknown flags 0x${flags.toString(16)}`);
  const int8 = (flags & FLAG_INT8) !== 0;
  const dim = view.getUint32(16, true);
  const count = view.getUint32(20, true);
  const metaLength = view.getUint32(24, true);
  if (count > 0 && dim === 0) throw new Error(`${where}: ${count} vectors of dimension 0`);
  if (dim > 1 << 16) throw new Error(`${where}: dimension ${dim} is more than the 65536 an index takes`);
  const rowsAt = HEADER_BYTES + pad4(metaLength);
  const expected = rowsAt + rowBytes(count, dim, int8);
  if (bytes.length !== expected) {
    throw new Error(`${where}: truncated or corrupt: ${bytes.length} bytes, header describes ${expected}`);
  }
  const crc = crc32(bytes.subarray(HEADER_BYTES));
  if (crc !== view.getUint32(28, true)) throw new Error(`${where}: checksum mismatch (corrupt data)`);
  let meta;
  try {
    meta = JSON.parse(utf8Decoder.decode(bytes.subarray(HEADER_BYTES, HEADER_BYTES + metaLength)));
  } catch (e) {
    throw new Error(`${where}: metadata is not valid JSON (${e.message})`);
  }
  const { ids, texts, nextId } = meta ?? {};
  if (!Array.isArray(ids) || ids.length !== count) throw new Error(`${where}: metadata must list ${count} ids`);
  if (texts !== null && (!Array.isArray(texts) || texts.length !== count)) {
    throw new Error(`${where}: metadata must list ${count} texts or null`);
  }
  if (!Number.isSafeInteger(nextId) || nextId < 0) {
    throw new Error(`${where}: metadata nextId must be an integer from 0 to 2^53 - 1, got ${JSON.stringify(nextId)}`);
  }
  ids.forEach((id, r) => {
    if (typeof id !== 'string' && !(typeof id === 'number' && Number.isFinite(id))) {
      throw new Error(`${where}: ids[${r}] must be a string or a finite number, got ${JSON.stringify(id)}`);
    }
  });
  const textOf = (r) => {
    const text = texts ? texts[r] : null;
    if (text !== null && typeof text !== 'string') throw new Error(`${where}: texts[${r}] is not a string or null`);
    return text ?? undefined;
  };
  const rows = count > 0 ? bytes.slice(rowsAt, expected) : null;
  if (rows) checkRows(rows, count, dim, int8, where);
  return { int8, dim, ids, texts: ids.map((_, r) => textOf(r)), nextId, rows };
}

// A stored row is all zeros (a zero vector was added) or unit length, so search scores stay in [-1, 1]; the
// same rule as src/index/vector_index.cpp check_stored_*_row, which checks the rows again as they enter WASM.
const UNIT_NORM_TOLERANCE = 1e-3;

/** Checks the row block of a decoded index (a copy starting at offset 0); errors name `where` and rows[r]. */
export function checkRows(rows, count, dim, int8, where) {
  const fail = (r, reason) => {
    throw new Error(`${where}: rows[${r}] ${reason} (corrupt index)`);
  };
  if (!int8) {
    const values = new Float32Array(rows.buffer, rows.byteOffset, count * dim);
    for (let r = 0; r < count; r++) {
      let sum = 0;
      for (let j = r * dim; j < (r + 1) * dim; j++) {
        if (!Number.isFinite(values[j])) fail(r, `holds ${values[j]}`);
        sum += values[j] * values[j];
      }
      if (sum !== 0 && Math.abs(Math.sqrt(sum) - 1) > UNIT_NORM_TOLERANCE) fail(r, `has norm ${Math.sqrt(sum)}, neither 0 nor 1`);
    }
    return;
  }
  const codes = new Int8Array(rows.buffer, rows.byteOffset, count * dim);
  const scales = new Float32Array(rows.buffer, rows.byteOffset + scalesOffset(count, dim), count);
  for (let r = 0; r < count; r++) {
    const scale = scales[r];
    if (!Number.isFinite(scale) || scale < 0) fail(r, `has scale ${scale}, not a finite number ≥ 0`);
    let maxAbs = 0;
    let sum = 0;
    for (let j = r * dim; j < (r + 1) * dim; j++) {
      const c = codes[j];
      if (c === -128) fail(r, 'holds -128, outside the int8 range ±127');
      maxAbs = Math.max(maxAbs, Math.abs(c));
      sum += c * c;
    }
    if (scale === 0) {
      if (maxAbs !== 0) fail(r, 'has scale 0 with nonzero values');
      continue;
    }
    if (maxAbs !== 127) fail(r, `has largest value ${maxAbs}, not 127`);
    const norm = scale * Math.sqrt(sum);
    // An int8 row of scale s is off its unit source by at most s/2 per value.
    if (Math.abs(norm - 1) > 0.5 * scale * Math.sqrt(dim) + UNIT_NORM_TOLERANCE) fail(r, `has norm ${norm}, not 1`);
  }
}
