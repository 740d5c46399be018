// manifest.json of a converted package (written by kfembed-convert, the converted-package cache, the demo
// server), read and written here only (the C++ writer, src/model/model_layout.h, writes the same bytes):
//   {"format":"kfembed","version":1,"source":"<original repo or dir>","dtype":"int8",
//    "files":[{"path":"config.json","size":944,"sha256":"<64 hex>"}, …]}
// Paths are relative, '/'-separated ("1_Pooling/config.json"). A package with a manifest is loaded from
// exactly the files it lists, each checked against its size and SHA-256.
import { CONFIG_FILE, isPlainRelativePath } from './model_layout.js';

export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_FORMAT = 'kfembed';
export const MANIFEST_VERSION = 1;

function checkPath(path, where) {
  if (typeof path !== 'string' || path.length === 0) throw new Error(`${where}: "path" must be a non-empty string`);
  if (!isPlainRelativePath(path)) throw new Error(`${where}: "path" ${JSON.stringify(path)} is not a plain relative path`);
  return path;
}

/**
 * The bytes of a manifest.json, as text: JSON indented by one space, keys in the order format, version, source,
 * dtype, embeddings, files, then a newline (byte for byte what kfembed-convert writes). `dtype` and
 * `embeddings` are left out when not given.
 * @param {{ source: string, dtype?: string, embeddings?: string,
 *           files: { path: string, size: number, sha256: string }[] }} manifest
 */
export function serializeManifest({ source, dtype, embeddings, files }) {
  const manifest = {
    format: MANIFEST_FORMAT,
    version: MANIFEST_VERSION,
    source,
    dtype: dtype ?? undefined,
    embeddings: embeddings ?? undefined,
    files: files.map(({ path, size, sha256 }) => ({ path, size, sha256 })),
  };
  return `${JSON.stringify(manifest, null, 1)}\n`;
}

/**
 * Parses and validates a manifest. Errors name `where` (the manifest's URL or path) and the offending field.
 * @returns {{ format: string, version: number, source: string | null, dtype: string | null,
 *             embeddings: string | null, files: { path: string, size: number, sha256: string }[] }}
 */
export function parseManifest(text, where) {
  let json;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${where}: invalid JSON (${e.message})`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new Error(`${where}: expected a JSON object`);
  if (json.format !== MANIFEST_FORMAT) {
    throw new Error(`${where}: "format" is ${JSON.stringify(json.format)}, expected "${MANIFEST_FORMAT}"`);
  }
  if (json.version !== MANIFEST_VERSION) {
    throw new Error(`${where}: unsupported "version" ${JSON.stringify(json.version)} (this kfembed reads version ${MANIFEST_VERSION})`);
  }
  for (const key of ['dtype', 'embeddings']) {
    if (json[key] !== undefined && typeof json[key] !== 'string') throw new Error(`${where}: "${key}" must be a string`);
  }
  if (!Array.isArray(json.files) || json.files.length === 0) throw new Error(`${where}: "files" must be a non-empty array`);
  const seen = new Set();
  const files = json.files.map((entry, i) => {
    const at = `${where}: files[${i}]`;
    if (entry === null || typeof entry !== 'object') throw new Error(`${at}: expected an object`);
    const path = checkPath(entry.path, at);
    if (path === MANIFEST_FILE) throw new Error(`${at}: the manifest cannot list itself`);
    if (seen.has(path)) throw new Error(`${at}: "${path}" is listed twice`);
    seen.add(path);
    if (!Number.isSafeInteger(entry.size) || entry.size < 0) {
      throw new Error(`${at} (${path}): "size" must be a non-negative integer, got ${JSON.stringify(entry.size)}`);
    }
    if (typeof entry.sha256 !== 'string' || !/^[0-9a-fA-F]{64}$/.test(entry.sha256)) {
      throw new Error(`${at} (${path}): "sha256" must be 64 hex digits, got ${JSON.stringify(entry.sha256)}`);
    }
    return { path, size: entry.size, sha256: entry.sha256.toLowerCase() };
  });
  if (!seen.has(CONFIG_FILE)) throw new Error(`${where}: "files" does not list ${CONFIG_FILE}`);
  return {
    format: json.format,
    version: json.version,
    source: typeof json.source === 'string' ? json.source : null,
    dtype: json.dtype ?? null,
    embeddings: json.embeddings ?? null,
    files,
  };
}
