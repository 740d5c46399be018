// A static file server on 127.0.0.1 (random port) for the loader tests, with Range support, a request log,
// and injectable faults. Used by the Jest suites (Node fetch and headless Chromium).
//
//   const server = await startServer({ '/model/': dir, '/js/': jsDir });
//   server.fault('/model/model.safetensors', { type: 'reset', after: 100_000 });   // once (times: 1)
//   server.requests  // [{ method, path, range, status }]
//   await server.close();
//
// Faults (each applies to the next `times` requests of that path, default 1; with `fullOnly: true` only to
// requests without a Range header, e.g. the streaming GET after a loader's Range reads of a header):
//   { type: 'reset', after }          send headers + `after` bytes of the body, then destroy the socket
//   { type: 'ignore-range' }          answer 200 with the whole file even when Range was asked
//   { type: 'status', status }        answer with that status and a short text body
//   { type: 'corrupt', at? }          flip one byte of the body (default: the middle)
//   { type: 'no-length' }             chunked transfer, no Content-Length
//   { type: 'drip', chunk, everyMs }  send `chunk` bytes every `everyMs` ms
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { MANIFEST_FILE, serializeManifest } from '../../js/manifest.js';
import { copyFiles } from './helpers.mjs';

const TYPES = {
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.html': 'text/html; charset=utf-8',
};

function resolveFile(mounts, urlPath) {
  for (const [prefix, dir] of Object.entries(mounts)) {
    if (!urlPath.startsWith(prefix)) continue;
    const rel = decodeURIComponent(urlPath.slice(prefix.length));
    const file = path.resolve(dir, rel);
    if (!file.startsWith(path.resolve(dir) + path.sep)) return null;
    return file;
  }
  return null;
}

function parseRange(header, size) {
  const m = /^bytes=(\d+)-(\d*)$/.exec(header ?? '');
  if (!m) return null;
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  return start <= end ? { start, end } : { start, end: -1 };
}

export async function startServer(mounts, { extraHeaders = {} } = {}) {
  const faults = [];
  const requests = [];
  const sockets = new Set();
  const timers = new Set();

  const takeFault = (urlPath, req) => {
    const i = faults.findIndex((f) => f.path === urlPath && !(f.fullOnly && req.headers.range));
    if (i < 0) return null;
    const fault = faults[i];
    if (--fault.times <= 0) faults.splice(i, 1);
    return fault;
  };

  const server = http.createServer((req, res) => {
    const urlPath = new URL(req.url, 'http://x').pathname;
    const entry = { method: req.method, path: urlPath, range: req.headers.range ?? null, status: 0 };
    requests.push(entry);
    const send = (status, headers, body) => {
      entry.status = status;
      res.writeHead(status, { 'cache-control': 'no-store', ...extraHeaders, ...headers });
      res.end(body);
    };
    if (req.method === 'OPTIONS') {
      // CORS preflight (pages on another origin: extraHeaders carry Access-Control-Allow-Origin).
      return send(204, { 'access-control-allow-headers': 'range', 'access-control-allow-methods': 'GET, HEAD' }, '');
    }
    const file = resolveFile(mounts, urlPath);
    const fault = takeFault(urlPath, req);
    if (fault?.type === 'status') return send(fault.status, { 'content-type': 'text/plain' }, `injected ${fault.status}`);
    let stat;
    try {
      stat = file && fs.statSync(file);
    } catch {
      stat = null;
    }
    if (!stat || !stat.isFile()) return send(404, { 'content-type': 'text/plain' }, 'not found');

    let body = fs.readFileSync(file);
    if (fault?.type === 'corrupt') {
      body = Buffer.from(body);
      const at = fault.at ?? body.length >> 1;
      body[at] ^= 0xff;
    }
    const size = body.length;
    const headers = {
      'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'accept-ranges': 'bytes',
      etag: `"${size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`,
    };
    let status = 200;
    let start = 0;
    let end = size - 1;
    const range = fault?.type === 'ignore-range' ? null : parseRange(req.headers.range, size);
    if (range) {
      if (range.end < 0) return send(416, { 'content-range': `bytes */${size}` }, '');
      status = 206;
      ({ start, end } = range);
      headers['content-range'] = `bytes ${start}-${end}/${size}`;
    }
    const slice = body.subarray(start, end + 1);
    if (fault?.type !== 'no-length') headers['content-length'] = String(slice.length);
    entry.status = status;
    res.writeHead(status, { 'cache-control': 'no-store', ...extraHeaders, ...headers });
    if (req.method === 'HEAD') return res.end();

    if (fault?.type === 'reset') {
      res.write(slice.subarray(0, fault.after), () => {
        // Let the bytes leave before the connection drops mid-body.
        const t = setTimeout(() => {
          timers.delete(t);
          req.socket.destroy();
        }, 20);
        timers.add(t);
      });
      return;
    }
    if (fault?.type === 'drip') {
      let at = 0;
      const tick = () => {
        if (res.destroyed) return;
        res.write(slice.subarray(at, at + fault.chunk));
        at += fault.chunk;
        if (at >= slice.length) return res.end();
        const t = setTimeout(() => {
          timers.delete(t);
          tick();
        }, fault.everyMs);
        timers.add(t);
      };
      return tick();
    }
    res.end(slice);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();

  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    url: (p) => `http://127.0.0.1:${port}${p}`,
    requests,
    /** Requests whose path matches `test` (string prefix / RegExp). */
    requestsFor(test) {
      return requests.filter((r) => (typeof test === 'string' ? r.path.startsWith(test) : test.test(r.path)));
    },
    fault(p, fault) {
      faults.push({ times: 1, ...fault, path: p });
    },
    clearFaults() {
      faults.length = 0;
    },
    reset() {
      requests.length = 0;
      faults.length = 0;
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Builds a converted-layout directory: copies of `files` from `fromDir` plus a manifest.json of them. */
export function writeManifestDir(dir, fromDir, files, { dtype = 'fp32', source = 'tests/fixtures/tiny-kf-deberta', sha256 } = {}) {
  copyFiles(fromDir, dir, files);
  const entries = files.map((f) => {
    const bytes = fs.readFileSync(path.join(dir, f));
    return { path: f, size: bytes.length, sha256: sha256(bytes) };
  });
  const text = serializeManifest({ source, dtype, files: entries });
  fs.writeFileSync(path.join(dir, MANIFEST_FILE), text);
  return JSON.parse(text);
}
