// Peak memory and time of an int8 load in Node, each case in a fresh process:
//   float    the Hugging Face float layout over http, quantized while it streams (first load, no cache)
//   whole    the same from a server that ignores Range: the float file is loaded whole, then quantized (the
//            loader's fallback, and what every first load did before streaming)
//   package  the converted package over http
//   cache    the converted package from a (file-backed) CacheStorage, filled first by a float load with it
// Reports the WASM heap (memory never shrinks, so its size is the peak) and the process's peak RSS
// (VmHWM), and the load time to the first vector. The files are served by a streaming static server with
// Range support in its own process, so its memory is not counted.
//
//   node bench/encoder/memory.mjs [--model DIR] [--package DIR] [--cases float,package,cache]
// (defaults: /tmp/kf-full from make_model.py full, and its kfembed-convert package beside it)
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};

/** A static server with Range support that streams files (never reads one whole). */
function serve(mounts) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const mount = Object.keys(mounts).find((m) => url.pathname.startsWith(m));
    const file = mount && path.join(mounts[mount], decodeURIComponent(url.pathname.slice(mount.length)));
    let stat;
    try {
      stat = file && fs.statSync(file);
    } catch {
      stat = null;
    }
    if (!stat?.isFile()) {
      res.writeHead(404).end();
      return;
    }
    const headers = { 'accept-ranges': 'bytes', etag: `"${stat.size}-${stat.mtimeMs}"`, 'content-type': 'application/octet-stream' };
    const m = url.pathname.startsWith('/whole/') ? null : /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    let start = 0;
    let end = stat.size - 1;
    if (m) {
      start = Number(m[1]);
      end = m[2] ? Math.min(Number(m[2]), stat.size - 1) : end;
      headers['content-range'] = `bytes ${start}-${end}/${stat.size}`;
    }
    headers['content-length'] = String(end - start + 1);
    res.writeHead(m ? 206 : 200, headers);
    fs.createReadStream(file, { start, end }).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** CacheStorage stand-in on disk: bodies stream to and from files (a Cache API keeps them out of the heap too). */
function fileCacheStorage(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const fileOf = (url) => path.join(dir, Buffer.from(String(url)).toString('base64url'));
  const cache = {
    async match(url) {
      const f = fileOf(url);
      if (!fs.existsSync(`${f}.json`)) return undefined;
      const headers = JSON.parse(fs.readFileSync(`${f}.json`, 'utf8'));
      return new Response(Readable.toWeb(fs.createReadStream(f, { highWaterMark: 1 << 20 })), { status: 200, headers });
    },
    async put(url, response) {
      const f = fileOf(url);
      const out = fs.createWriteStream(f);
      for await (const chunk of response.body) if (!out.write(chunk)) await new Promise((r) => out.once('drain', r));
      await new Promise((r) => out.end(r));
      fs.writeFileSync(`${f}.json`, JSON.stringify(Object.fromEntries(response.headers)));
    },
    async delete(url) {
      const f = fileOf(url);
      const had = fs.existsSync(`${f}.json`);
      fs.rmSync(f, { force: true });
      fs.rmSync(`${f}.json`, { force: true });
      return had;
    },
    async keys() {
      return [];
    },
  };
  return { open: async () => cache, delete: async () => true };
}

function peakRssMb() {
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)[1]) / 1024;
}

async function child(kind, url, cacheDir) {
  const { load } = await import(path.join(ROOT, 'js/index.js'));
  const t0 = performance.now();
  const cache = kind === 'cache' || kind === 'fill' ? fileCacheStorage(cacheDir) : false;
  const model = await load(url, { dtype: 'int8', cache });
  await model.encode('한 남자가 피자를 먹는다.');
  const ms = performance.now() - t0;
  const result = { kind, loadMs: Math.round(ms), wasmMb: +(model.wasmMemoryBytes / 2 ** 20).toFixed(1), peakRssMb: +peakRssMb().toFixed(1) };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

async function main() {
  if (args[0] === '--child') return child(args[1], args[2], args[3]);
  const model = opt('model', '/tmp/kf-full');
  let pkg = opt('package', `${model}-pkg`);
  if (!fs.existsSync(path.join(pkg, 'manifest.json'))) {
    execFileSync(path.join(ROOT, 'build/native/src/tools/kfembed-convert'), [model, pkg], { stdio: 'inherit' });
  }
  const cases = opt('cases', 'float,whole,package,cache').split(',');
  const server = await serve({ '/float/': model, '/whole/': model, '/pkg/': pkg });
  const base = `http://127.0.0.1:${server.address().port}`;
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kfembed-memcache-'));
  const run = (kind, url) =>
    new Promise((resolve, reject) => {
      const p = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', kind, url, cacheDir], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      p.stdout.on('data', (d) => (out += d));
      p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`${kind}: exit ${code}`))));
    });
  try {
    for (const kind of cases) {
      const url = { package: `${base}/pkg/`, whole: `${base}/whole/` }[kind] ?? `${base}/float/`;
      if (kind === 'cache') await run('fill', url);
      console.log(JSON.stringify(await run(kind, url)));
    }
  } finally {
    server.close();
    fs.rmSync(cacheDir, { recursive: true, force: true });
  }
}

await main();
