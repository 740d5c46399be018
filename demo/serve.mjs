#!/usr/bin/env node
// `npm start`: serves the demo page, the package and a model directory on 127.0.0.1 and prints the URL.
//   node demo/serve.mjs [--port 8080] [--model DIR|URL] [--hub URL|none]      (env: PORT, KFEMBED_MODEL_DIR)
// Layout: /demo/ (the page), /js/ (the npm package, built WASM included), /model/ (DIR, default the tiny test
// model tests/fixtures/tiny-kf-deberta), /sw.js (the demo's service worker, scope /), /demo/config.json
// (which model the page loads). A model directory without manifest.json gets one computed at start (sizes +
// SHA-256), so the loader can cache and verify it.
// Which model the page loads: without --model, the original hub repository (load()'s DEFAULT_SOURCE,
// quantized while it streams; --hub replaces it), falling back to /model/ (the tiny random-weight model,
// with a notice) when that fails, e.g. offline; --model DIR serves and loads DIR, --model URL loads URL.
// Also used by tests/e2e/demo.test.mjs through startDemoServer(), which records every request.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serializeManifest } from '../js/manifest.js';
import { directoryFiles } from '../js/model_layout.js';
import { DEFAULT_SOURCE } from '../js/source.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_MODEL = path.join(ROOT, 'tests/fixtures/tiny-kf-deberta');
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.webmanifest': 'application/manifest+json',
};

function listFiles(dir, prefix, filter = () => true) {
  const out = [];
  if (!fs.existsSync(dir)) return out;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix + entry.name;
    if (entry.isDirectory()) out.push(...listFiles(path.join(dir, entry.name), `${rel}/`, filter));
    else if (filter(rel)) out.push(rel);
  }
  return out;
}

/** manifest.json for a plain Hugging Face directory: the files its layout names (js/model_layout.js). */
function makeManifest(dir) {
  const files = directoryFiles({
    exists: (name) => fs.existsSync(path.join(dir, name)),
    readText: (name) => fs.readFileSync(path.join(dir, name), 'utf8'),
    location: (name) => path.join(dir, name),
  }).map((name) => {
    const bytes = fs.readFileSync(path.join(dir, name));
    return { path: name, size: bytes.length, sha256: crypto.createHash('sha256').update(bytes).digest('hex') };
  });
  return files.length === 0 ? null : serializeManifest({ source: dir, files });
}

/**
 * Starts the demo server. Resolves to { url, port, modelDir, requests, reset(), close() }; `requests` lists
 * { method, path, status } of every request. The page loads `modelUrl` when given, else `hub` when given
 * (falling back to /model/), else /model/.
 */
export async function startDemoServer({ port = 0, modelDir = DEFAULT_MODEL, modelUrl = null, hub = null, host = '127.0.0.1' } = {}) {
  modelDir = path.resolve(modelDir);
  if (!fs.existsSync(path.join(modelDir, 'config.json'))) {
    throw new Error(`${path.join(modelDir, 'config.json')}: file not found (--model must be a model directory)`);
  }
  const manifest = fs.existsSync(path.join(modelDir, 'manifest.json')) ? null : makeManifest(modelDir);
  // What the page loads first, and what it falls back to when that fails (relative URLs: on this server).
  const pageConfig = JSON.stringify(modelUrl ? { model: modelUrl, fallback: null }
    : hub ? { model: hub, fallback: '/model/' } : { model: '/model/', fallback: null });
  const mounts = [
    ['/demo/', path.join(ROOT, 'demo')],
    ['/js/', path.join(ROOT, 'js')],
    ['/model/', modelDir],
  ];
  const requests = [];
  const sockets = new Set();

  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const urlPath = url.pathname;
    const entry = { method: req.method, path: urlPath, status: 0 };
    requests.push(entry);
    const send = (status, headers, body) => {
      entry.status = status;
      res.writeHead(status, { 'cache-control': 'no-cache', ...headers });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, { 'content-type': 'text/plain' }, 'method not allowed');
    if (urlPath === '/' || urlPath === '/demo') return send(302, { location: `/demo/${url.search}` }, '');
    if (urlPath === '/model/manifest.json' && manifest) {
      return send(200, { 'content-type': TYPES['.json'], 'content-length': Buffer.byteLength(manifest) }, manifest);
    }
    if (urlPath === '/demo/config.json') return send(200, { 'content-type': TYPES['.json'] }, pageConfig);
    if (urlPath === '/demo/precache.json') {
      // What the service worker stores on install: the page, its assets and the package (not the model:
      // the loader keeps the weights in its own Cache API store).
      const skip = (rel) => /^(serve\.mjs|tools\/)/.test(rel);
      const files = [
        '/demo/',
        ...listFiles(path.join(ROOT, 'demo'), '/demo/', (rel) => !skip(rel.slice(6))),
        ...listFiles(path.join(ROOT, 'js'), '/js/', (rel) => /\.(m?js|wasm)$/.test(rel)),
      ];
      const body = JSON.stringify(files);
      return send(200, { 'content-type': TYPES['.json'] }, body);
    }
    let file = null;
    if (urlPath === '/sw.js') file = path.join(ROOT, 'demo/sw.js');
    for (const [prefix, dir] of mounts) {
      if (file || !urlPath.startsWith(prefix)) continue;
      let rel;
      try {
        rel = decodeURIComponent(urlPath.slice(prefix.length));
      } catch {
        return send(400, { 'content-type': 'text/plain' }, 'bad path');
      }
      const resolved = path.resolve(dir, rel || 'index.html');
      if (resolved !== path.resolve(dir) && !resolved.startsWith(path.resolve(dir) + path.sep)) break;
      file = resolved;
    }
    let stat = null;
    try {
      stat = file && fs.statSync(file);
      if (stat?.isDirectory()) {
        file = path.join(file, 'index.html');
        stat = fs.statSync(file);
      }
    } catch {
      stat = null;
    }
    if (!stat || !stat.isFile()) return send(404, { 'content-type': 'text/plain; charset=utf-8' }, `not found: ${urlPath}`);
    const headers = {
      'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'accept-ranges': 'bytes',
    };
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (range) {
      const start = Number(range[1]);
      const end = range[2] === '' ? stat.size - 1 : Math.min(Number(range[2]), stat.size - 1);
      if (start > end) return send(416, { 'content-range': `bytes */${stat.size}` }, '');
      entry.status = 206;
      res.writeHead(206, { 'cache-control': 'no-cache', ...headers, 'content-length': end - start + 1,
        'content-range': `bytes ${start}-${end}/${stat.size}` });
      if (req.method === 'HEAD') return res.end();
      return fs.createReadStream(file, { start, end }).pipe(res);
    }
    entry.status = 200;
    res.writeHead(200, { 'cache-control': 'no-cache', ...headers, 'content-length': stat.size });
    if (req.method === 'HEAD') return res.end();
    fs.createReadStream(file).pipe(res);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const actualPort = server.address().port;
  return {
    url: `http://${host}:${actualPort}/demo/`,
    port: actualPort,
    modelDir,
    requests,
    reset() {
      requests.length = 0;
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const arg = (name) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const port = Number(arg('port') ?? process.env.PORT ?? 8080);
  const model = arg('model') ?? process.env.KFEMBED_MODEL_DIR;
  const modelUrl = model && /^https?:\/\//i.test(model) ? model : null;
  const modelDir = (!modelUrl && model) || DEFAULT_MODEL;
  const hubArg = arg('hub');
  const hub = model || hubArg === 'none' ? null : hubArg ?? DEFAULT_SOURCE;
  if (!fs.existsSync(path.join(ROOT, 'js/wasm/kfembed.wasm'))) {
    console.warn('warning: js/wasm/kfembed.wasm is missing; run `npm run build:wasm` first');
  }
  try {
    const server = await startDemoServer({ port, modelDir, modelUrl, hub });
    console.log(`kfembed demo: ${server.url}`);
    if (modelUrl) console.log(`  model: ${modelUrl}`);
    else if (hub) console.log(`  model: ${hub} (quantized while it streams), else ${server.modelDir} (served at /model/)`);
    else console.log(`  model: ${server.modelDir} (served at /model/)`);
    console.log('  Ctrl+C to stop');
  } catch (e) {
    console.error(`kfembed demo: ${e.code === 'EADDRINUSE' ? `port ${port} is in use (try --port 0)` : e.message}`);
    process.exit(1);
  }
}
