// The demo's service worker (served at /sw.js, scope /): keeps the page, the package (JS + WASM) and the
// corpus for offline use. Network first, so a developer always sees fresh files; the cache answers when the
// network does not. Model files (/model/ and other origins) are left to kfembed's own Cache API store.
const CACHE = 'kfembed-demo-v1';
const scope = new URL(self.registration.scope);

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    try {
      const response = await fetch(new URL('demo/precache.json', scope), { cache: 'no-store' });
      if (response.ok) await cache.addAll(await response.json());
    } catch (e) {
      // Static hosting without precache.json: files are cached as the page fetches them.
    }
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) if (name.startsWith('kfembed-demo-') && name !== CACHE) await caches.delete(name);
    await self.clients.claim();
  })());
});

async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok && response.status === 200) await cache.put(request, response.clone());
    return response;
  } catch (e) {
    const cached = (await cache.match(request)) ?? (await cache.match(request, { ignoreSearch: true }));
    if (cached) return cached;
    throw e;
  }
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== scope.origin) return;
  if (url.pathname.startsWith(`${scope.pathname}model/`) || request.headers.has('range')) return;
  event.respondWith(networkFirst(request));
});
