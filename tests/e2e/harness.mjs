// Browser-side helpers for tests/js/loader-browser.test.mjs. Everything is driven from page.evaluate().
import * as kfembed from '/js/index.js';

const CACHE = 'kfembed-v1';

/** Runs `fn` while recording long tasks (PerformanceObserver 'longtask') and the largest gap between timer ticks. */
async function watchMainThread(fn) {
  const longTasks = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) longTasks.push(Math.round(e.duration));
  });
  observer.observe({ type: 'longtask', buffered: false });
  let last = performance.now();
  let maxGap = 0;
  let ticks = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
    ticks++;
  }, 10);
  const started = performance.now();
  let result;
  try {
    result = await fn();
  } finally {
    await new Promise((r) => setTimeout(r, 50)); // let the observer deliver
    clearInterval(timer);
    observer.disconnect();
  }
  return { result, longTasks, maxGapMs: Math.round(maxGap), ticks, elapsedMs: Math.round(performance.now() - started) };
}

window.kfembed = kfembed;
window.e2e = {
  watchMainThread,
  async cacheKeys() {
    if (!(await caches.has(CACHE))) return [];
    const cache = await caches.open(CACHE);
    return (await cache.keys()).map((r) => r.url);
  },
  async cachedEntry(url) {
    const cache = await caches.open(CACHE);
    const r = await cache.match(url);
    if (!r) return null;
    const bytes = new Uint8Array(await r.arrayBuffer());
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
    return {
      size: bytes.length,
      sha256: [...digest].map((b) => b.toString(16).padStart(2, '0')).join(''),
      header: r.headers.get('x-kfembed-sha256'),
    };
  },
  /** Flips one byte of a cached file in place, keeping its headers (a corrupted cache entry). */
  async corruptCached(url, at) {
    const cache = await caches.open(CACHE);
    const r = await cache.match(url);
    const bytes = new Uint8Array(await r.arrayBuffer());
    bytes[at ?? bytes.length >> 1] ^= 0xff;
    await cache.put(url, new Response(bytes, { headers: r.headers }));
  },
  async clearCache() {
    await caches.delete(CACHE);
  },
};
window.e2eReady = true;
