// In-page half of bench/encoder/cache_visit.mjs.
import * as kfembed from '/js/index.js';
import { instantiateRuntime } from '/js/runtime.js';

/** load() + the first vector, with the time at which each file finished (progress events). */
window.visit = async (url, options = {}) => {
  const t0 = performance.now();
  const done = {};
  const model = await kfembed.load(url, {
    ...options,
    onProgress: (e) => {
      if (e.loaded === e.total && e.total > 0) done[`${e.phase}:${e.file}`] = Math.round(performance.now() - t0);
    },
  });
  const loaded = performance.now() - t0;
  await model.encode('한 남자가 피자를 먹는다.');
  const total = performance.now() - t0;
  const wasmMb = model.wasmMemoryBytes / 2 ** 20;
  model.dispose();
  return { totalMs: Math.round(total), loadMs: Math.round(loaded), done, wasmMb: +wasmMb.toFixed(1) };
};

/** Throughputs of the steps of a cache read, on `mb` MB: SHA-256 in WASM and WebCrypto, a copy into WASM memory. */
window.micro = async (mb) => {
  const runtime = await instantiateRuntime();
  const files = new runtime.ModelFiles();
  const size = mb << 20;
  const at = files.allocate('x', size);
  const src = new Uint8Array(1 << 20).map((_, i) => i * 31);
  let t = performance.now();
  for (let o = 0; o < size; o += src.length) runtime.HEAPU8.set(src, at + o);
  const copyMs = performance.now() - t;
  const hasher = new runtime.Sha256();
  t = performance.now();
  for (let o = 0; o < size; o += 1 << 20) hasher.update(at + o, 1 << 20);
  hasher.hexdigest();
  const wasmShaMs = performance.now() - t;
  t = performance.now();
  await crypto.subtle.digest('SHA-256', runtime.HEAPU8.subarray(at, at + size));
  const subtleMs = performance.now() - t;
  hasher.delete();
  files.delete();
  return { mb, copyMs: Math.round(copyMs), wasmShaMs: Math.round(wasmShaMs), subtleMs: Math.round(subtleMs) };
};
window.benchReady = true;

/** Reading the cached package alone: its body stream chunk by chunk (what the loader does), and as one arrayBuffer(). */
window.cacheRead = async (url) => {
  const cache = await caches.open('kfembed-v1');
  let t = performance.now();
  const reader = (await cache.match(url)).body.getReader();
  let n = 0;
  let chunks = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.length;
    chunks++;
  }
  const streamMs = performance.now() - t;
  t = performance.now();
  const whole = await (await cache.match(url)).arrayBuffer();
  const arrayBufferMs = performance.now() - t;
  return { bytes: n, chunks, streamMs: Math.round(streamMs), arrayBufferMs: Math.round(arrayBufferMs), same: whole.byteLength === n };
};
