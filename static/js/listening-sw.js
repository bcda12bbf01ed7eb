// Stylus service worker (loaded by /sw.js, which sets self.STYLUS_SW and imports the vendored Workbox first).
// Audio: kept shows ("Keep offline", cache stylus-kept) and played tracks (stylus-played, least recently played
// out first past OFFLINE_CACHE_MB) are served from the cache, Range requests included, so playback works with
// no network. Static files: stale-while-revalidate. Pages always come from the network.
/* global workbox, importScripts */
"use strict";
var CONFIG = self.STYLUS_SW || { workbox: "/static/vendor/workbox-7.4.1/", offlineCacheMb: 2048, iaOrigin: "" };
workbox.setConfig({ modulePathPrefix: CONFIG.workbox, debug: false });

var KEPT = "stylus-kept";
var PLAYED = "stylus-played";
var META = "stylus-meta";
var LRU_KEY = "/__stylus/played-index.json";
var LIMIT_BYTES = CONFIG.offlineCacheMb * 1024 * 1024;

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

function isAudio(request, url) {
  if (request.destination === "audio") return true;
  if (url.origin === self.location.origin && url.pathname.indexOf("/archive/files/") === 0) return true;
  return CONFIG.iaOrigin && url.origin === CONFIG.iaOrigin && url.pathname.indexOf("/download/") === 0;
}

// The LRU index of played tracks: {url: {bytes, used}}, stored as a JSON response in its own cache.
function readIndex() {
  return caches.open(META).then(function (c) { return c.match(LRU_KEY); })
    .then(function (r) { return r ? r.json() : {}; }).catch(function () { return {}; });
}
function writeIndex(index) {
  return caches.open(META).then(function (c) {
    return c.put(LRU_KEY, new Response(JSON.stringify(index), { headers: { "Content-Type": "application/json" } }));
  });
}
var chain = Promise.resolve(); // index updates one at a time
function withIndex(change) {
  chain = chain.then(function () { return readIndex().then(change).then(writeIndex); }).catch(function () {});
  return chain;
}

function touch(url) {
  return withIndex(function (index) { if (index[url]) index[url].used = Date.now(); return index; });
}

function evict(index) {
  var urls = Object.keys(index);
  var total = urls.reduce(function (sum, u) { return sum + (index[u].bytes || 0); }, 0);
  if (total <= LIMIT_BYTES) return Promise.resolve(index);
  urls.sort(function (a, b) { return index[a].used - index[b].used; }); // least recently played first
  return caches.open(PLAYED).then(function (cache) {
    var gone = [];
    while (total > LIMIT_BYTES && urls.length) {
      var u = urls.shift();
      total -= index[u].bytes || 0;
      gone.push(cache.delete(u));
      delete index[u];
    }
    return Promise.all(gone).then(function () { return index; });
  });
}

function keepPlayed(url) {
  return caches.open(KEPT).then(function (kept) { return kept.match(url); }).then(function (already) {
    if (already) return null;
    return fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok || response.status !== 200) return null;
      return response.clone().blob().then(function (blob) {
        if (blob.size > LIMIT_BYTES) return null;
        return caches.open(PLAYED).then(function (cache) { return cache.put(url, response); }).then(function () {
          return withIndex(function (index) {
            index[url] = { bytes: blob.size, used: Date.now() };
            return evict(index);
          });
        });
      });
    });
  }).catch(function () { /* offline or refused: it will simply not be kept */ });
}

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "played" && data.url) event.waitUntil(keepPlayed(data.url));
});

var rangePlugin = new workbox.rangeRequests.RangeRequestsPlugin();

// Audio: the kept copy, else the played copy (its LRU time refreshed), else the network.
workbox.routing.registerRoute(
  function (ctx) { return isAudio(ctx.request, ctx.url); },
  function (ctx) {
    var request = ctx.request;
    var key = request.url;
    return caches.match(key, { cacheName: KEPT }).then(function (hit) {
      if (hit) return hit;
      return caches.match(key, { cacheName: PLAYED }).then(function (played) {
        if (played) touch(key);
        return played;
      });
    }).then(function (cached) {
      if (!cached) return fetch(request);
      if (!request.headers.has("range")) return cached;
      return rangePlugin.cachedResponseWillBeUsed({ request: request, cachedResponse: cached });
    });
  }
);

workbox.routing.registerRoute(
  function (ctx) { return ctx.url.origin === self.location.origin && ctx.url.pathname.indexOf("/static/") === 0; },
  new workbox.strategies.StaleWhileRevalidate({ cacheName: "stylus-static" })
);
