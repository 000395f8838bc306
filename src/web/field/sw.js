/* The field app's service worker: it caches the app shell so /field/ opens without signal.
 * It never touches the queue (that lives in IndexedDB, which this worker does not clean)
 * and never caches the API: records go to the server only through the page's sync.
 * A new version installs beside the old one and waits: the page asks the officer, and
 * applies it only while no sync runs (see app.js, "update"). */
'use strict';
const VERSION = '__JEMPUT_FIELD_VERSION__';
const CACHE = 'field-shell-' + VERSION;
const SHELL = ['./', 'app.js', 'app.css', 'manifest.webmanifest', 'icon.svg', 'icon-192.png', 'icon-512.png'];

self.addEventListener('install', (event) => {
  // `no-cache`: revalidate with the server, never take a stale copy from the HTTP cache.
  event.waitUntil(
    caches.open(CACHE).then((c) => c.addAll(SHELL.map((u) => new Request(u, { cache: 'no-cache' }))))
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(
        keys.filter((k) => k.startsWith('field-shell-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener('message', (event) => {
  if (event.data === 'skip-waiting') self.skipWaiting();
  if (event.data === 'version' && event.source) event.source.postMessage({ version: VERSION });
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== self.location.origin) return;
  if (!url.pathname.startsWith('/field/')) return; // the API and everything else: network only
  // The shell from this version's cache (one copy of the page, whatever its query).
  const key = req.mode === 'navigate' ? './' : req;
  event.respondWith(
    caches.open(CACHE)
      .then((c) => c.match(key, { ignoreSearch: req.mode === 'navigate' }))
      .then((hit) => hit || fetch(req))
  );
});
