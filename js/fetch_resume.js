// One file over HTTP into a sink, surviving dropped connections: a body that breaks off is resumed with
// `Range: bytes=N-` from the last byte received (206 + matching Content-Range expected; a 200 means the server
// ignored Range, so the file restarts from byte 0), 5xx / 408 / 429 / network errors are retried with
// exponential backoff, 404 fails at once. Every error names the URL and the reason.
import { abortReason, progressReporter, sleep, throwIfAborted } from './progress.js';

/** Retry policy: `attempts` consecutive failures without a new byte in between, `maxTries` in all. */
export const DEFAULT_RETRY = Object.freeze({ attempts: 4, baseDelayMs: 250, maxDelayMs: 4000, maxTries: 16 });

/**
 * A sink receives one file: `begin(total)` before the first byte (again after a restart from byte 0; total
 * is null when unknown), `write(offset, bytes)` for each chunk in order, `end(length)` once complete.
 * @typedef {{ begin(total: number | null): void, write(offset: number, bytes: Uint8Array): void,
 *             end(length: number): void }} Sink
 */

class HttpError extends Error {
  constructor(message, retryable) {
    super(message);
    this.retryable = retryable;
  }
}

function parseContentRange(value) {
  const m = /^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/i.exec((value ?? '').trim());
  if (!m) return null;
  return { start: Number(m[1]), end: Number(m[2]), size: m[3] === '*' ? null : Number(m[3]) };
}

function contentLength(headers) {
  const value = headers.get('content-length');
  return value !== null && /^\d+$/.test(value.trim()) ? Number(value) : null;
}

/**
 * Pumps a response body into `sink` from `offset`. Returns the new offset. `limit` (a trusted total) makes a
 * longer body an error; `onChunk(offset)` follows each write.
 */
export async function pumpBody(body, sink, offset, { limit = null, onChunk, signal, where }) {
  const reader = body.getReader();
  try {
    for (;;) {
      throwIfAborted(signal);
      const { done, value } = await reader.read();
      if (done) return offset;
      if (value.length === 0) continue;
      if (limit !== null && offset + value.length > limit) {
        throw new HttpError(`${where}: body longer than the expected ${limit} bytes`, false);
      }
      sink.write(offset, value);
      offset += value.length;
      onChunk?.(offset);
    }
  } catch (e) {
    reader.cancel().catch(() => {});
    if (signal?.aborted) throw abortReason(signal);
    throw e;
  }
}

const RETRYABLE_STATUS = (status) => status >= 500 || status === 408 || status === 429;

/**
 * What identifies a version of a file, from a response's headers: ETag, X-Repo-Commit (Hugging Face),
 * Last-Modified, and its size where given; only the fields the host sent.
 */
export function validatorsOf(headers, size = null) {
  const v = {};
  const etag = headers.get('etag');
  if (etag) v.etag = etag.replace(/^W\//, '');
  const commit = headers.get('x-repo-commit');
  if (commit) v.commit = commit;
  const modified = headers.get('last-modified');
  if (modified) v.lastModified = modified;
  if (size !== null) v.size = size;
  return v;
}

/**
 * Downloads `url` into `sink`, resuming by Range after a dropped connection. `validators` (an object), when
 * given, receives validatorsOf() the full response.
 * @param {string} url
 * @param {Sink} sink
 * @param {{ file?: string, expectedSize?: number | null, optional?: boolean, onProgress?: Function,
 *           signal?: AbortSignal, retry?: typeof DEFAULT_RETRY, fetch?: typeof fetch,
 *           init?: RequestInit, phase?: string, validators?: object }} [options]
 * @returns {Promise<number | null>} the file's length; null when `optional` and the server said 404/410
 */
export async function downloadResumable(url, sink, options = {}) {
  const { file = url, expectedSize = null, optional = false, onProgress, signal, init = {} } = options;
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const progress = progressReporter(onProgress, file, options.phase ?? 'download');

  let received = 0; // bytes of the current representation already written to the sink
  let total = expectedSize; // trusted total (manifest or Content-Range), else null
  let begun = false;
  let etag = null;
  let resumable = true; // false once the body turned out to be content-encoded (lengths are not byte offsets)
  let failures = 0;
  let tries = 0;
  let progressAtLastFailure = -1;

  const restart = (size) => {
    received = 0;
    sink.begin(size);
    begun = true;
  };

  const fail = async (reason) => {
    tries++;
    failures = received > progressAtLastFailure ? 1 : failures + 1;
    progressAtLastFailure = received;
    if (failures > retry.attempts || tries > retry.maxTries) {
      throw new Error(`${url}: ${reason}; gave up after ${tries} attempts`);
    }
    const delay = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (failures - 1));
    progress.event({ phase: 'retry', loaded: received, total: total ?? 0, attempt: tries, delayMs: delay, reason });
    await sleep(delay, signal);
  };

  for (;;) {
    throwIfAborted(signal);
    const resuming = begun && received > 0 && resumable;
    const headers = new Headers(init.headers);
    if (resuming) headers.set('Range', `bytes=${received}-`);
    let response;
    try {
      response = await fetchImpl(url, { ...init, headers, signal });
    } catch (e) {
      if (signal?.aborted) throw abortReason(signal);
      await fail(`request failed (${e.cause?.code ?? e.message})`);
      continue;
    }

    const { status } = response;
    let limit = total;
    if (resuming && status === 206) {
      const range = parseContentRange(response.headers.get('content-range'));
      const tag = response.headers.get('etag');
      const consistent = range && range.start === received &&
        (range.size === null || total === null || range.size === total) && (!etag || !tag || tag === etag);
      if (!consistent) {
        // Not the continuation we asked for (other range, other size, other version): start over.
        response.body?.cancel().catch(() => {});
        restart(total);
        await fail(`resume answered with Content-Range "${response.headers.get('content-range')}"`);
        continue;
      }
      if (range.size !== null) total = limit = range.size;
    } else if (status === 200) {
      // A fresh full body: the first request, or a server that ignored Range (restart from byte 0).
      const encoded = (response.headers.get('content-encoding') ?? 'identity').toLowerCase() !== 'identity';
      const length = encoded ? null : contentLength(response.headers);
      if (expectedSize !== null && length !== null && length !== expectedSize) {
        response.body?.cancel().catch(() => {});
        throw new Error(`${url}: Content-Length ${length} differs from the expected size ${expectedSize}`);
      }
      if (encoded) resumable = false;
      etag = response.headers.get('etag');
      if (options.validators) Object.assign(options.validators, validatorsOf(response.headers, encoded ? null : length));
      // Content-Length alone is advisory (a transparently decoded body may be longer); the sink may grow.
      restart(expectedSize ?? length);
      limit = expectedSize;
      total = expectedSize ?? length;
    } else if (resuming && status === 416) {
      response.body?.cancel().catch(() => {});
      restart(total);
      await fail('server rejected the resume range (HTTP 416)');
      continue;
    } else if (status === 404 || status === 410) {
      response.body?.cancel().catch(() => {});
      if (optional && !begun) return null;
      throw new Error(`${url}: HTTP ${status} ${response.statusText || 'Not Found'}`.trim());
    } else if (RETRYABLE_STATUS(status)) {
      response.body?.cancel().catch(() => {});
      await fail(`HTTP ${status} ${response.statusText}`.trim());
      continue;
    } else {
      response.body?.cancel().catch(() => {});
      throw new Error(`${url}: HTTP ${status} ${response.statusText}`.trim());
    }

    if (!response.body) {
      if (total !== null && total !== received) {
        await fail(`empty body (${received} of ${total} bytes)`);
        continue;
      }
      break;
    }
    try {
      received = await pumpBody(response.body, sink, received, {
        limit,
        signal,
        where: url,
        onChunk: (at) => {
          received = at;
          if (total !== null && at > total) total = null; // advisory Content-Length overrun: size unknown
          progress.update(at, total);
        },
      });
    } catch (e) {
      if (signal?.aborted) throw abortReason(signal);
      if (e instanceof HttpError && !e.retryable) throw new Error(e.message);
      if (!resumable) restart(total);
      await fail(`connection lost after ${received} bytes (${e.cause?.code ?? e.message})`);
      continue;
    }
    if (total !== null && received < total) {
      if (!resumable) restart(total);
      await fail(`connection closed after ${received} of ${total} bytes`);
      continue;
    }
    break;
  }
  sink.end(received);
  progress.done(received);
  return received;
}

/** A server that answered a Range request with the whole file (200): byte ranges cannot be read from it. */
export class RangeNotSupportedError extends Error {}

/**
 * Bytes [begin, end) of `url` by one Range request (retried like a download): { bytes, size } with the file's
 * total size from Content-Range; `bytes` may be shorter when the file ends before `end`. null when `optional`
 * and the server says 404/410. A 200 (Range ignored) throws RangeNotSupportedError.
 */
export async function fetchRange(url, begin, end, options = {}) {
  const { optional = false, signal, init = {} } = options;
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  const fetchImpl = options.fetch ?? globalThis.fetch;
  for (let tries = 1; ; tries++) {
    throwIfAborted(signal);
    const headers = new Headers(init.headers);
    headers.set('Range', `bytes=${begin}-${end - 1}`);
    let reason;
    try {
      const response = await fetchImpl(url, { ...init, headers, signal });
      const { status } = response;
      if (status === 206) {
        const range = parseContentRange(response.headers.get('content-range'));
        if (!range || range.start !== begin || range.size === null) {
          response.body?.cancel().catch(() => {});
          throw new Error(`${url}: Range answered with Content-Range "${response.headers.get('content-range')}"`);
        }
        const bytes = new Uint8Array(await response.arrayBuffer());
        if (bytes.length === Math.min(end, range.size) - begin) return { bytes, size: range.size };
        reason = `range body of ${bytes.length} bytes, expected ${Math.min(end, range.size) - begin}`;
      } else if (status === 200) {
        response.body?.cancel().catch(() => {});
        throw new RangeNotSupportedError(`${url}: the server ignores Range requests (HTTP 200)`);
      } else if ((status === 404 || status === 410) && optional) {
        response.body?.cancel().catch(() => {});
        return null;
      } else if (RETRYABLE_STATUS(status)) {
        response.body?.cancel().catch(() => {});
        reason = `HTTP ${status} ${response.statusText}`.trim();
      } else {
        response.body?.cancel().catch(() => {});
        throw new Error(`${url}: HTTP ${status} ${response.statusText}`.trim());
      }
    } catch (e) {
      if (signal?.aborted) throw abortReason(signal);
      if (e instanceof RangeNotSupportedError || !(e instanceof TypeError || e.cause)) throw e;
      reason = `request failed (${e.cause?.code ?? e.message})`;
    }
    if (tries >= retry.attempts) throw new Error(`${url}: ${reason}; gave up after ${tries} attempts`);
    await sleep(Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (tries - 1)), signal);
  }
}
