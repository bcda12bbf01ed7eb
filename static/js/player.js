// The site-wide player: a persistent bar (#stylus-player, hx-preserve) that keeps playing while boosted navigation swaps
// the page. Gapless playback by Gapless5 (vendored; current + next track loaded, the next decoded ahead). Plays
// anything marked <button data-play-recording="IDENTIFIER" data-play-file="FILE" data-play-t="SECONDS">.
// The queue lives on the server for users (/api/v1/listening/queue) and in localStorage for guests.
// No inline scripts (CSP script-src 'self').
(function () {
  "use strict";
  var COUNT_AFTER = 240; // a play counts at half the track or 4 minutes, whichever comes first
  var LONG_TRACK = 15 * 60; // seconds
  var QUEUE_KEY = "stylus-queue";
  var KEPT_KEY = "stylus-kept";
  var KEPT_CACHE = "stylus-kept";
  var PLAYED_CACHE = "stylus-played";

  var bar = null;
  var engine = null;
  var queue = { items: [], index: 0, position: 0 };
  var loaded = {};           // url -> true once the engine has it (HTML5 or decoded)
  var played = 0;            // seconds actually heard of the current track (seeks do not count)
  var lastPos = null;
  var counted = false;
  var saveTimer = null;
  var pendingSeek = null;    // seconds to seek to once the current track can seek
  var seekTarget = null;     // a seek asked for and not yet seen in the position
  var seekAskedAt = 0;

  function loggedIn() { return document.body && document.body.dataset.user === "1"; }
  function csrf() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; } catch (e) { return ""; }
  }
  function api(method, url, body) {
    var opts = { method: method, credentials: "same-origin", headers: { "X-CSRFToken": csrf() } };
    if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    return fetch(url, opts);
  }
  function current() { return queue.items[queue.index] || null; }
  function el(sel) { return bar ? bar.querySelector(sel) : null; }

  // "12:34", "1:02:03" or seconds -> seconds
  function parseTime(value) {
    if (value === null || value === undefined || value === "") return null;
    var parts = String(value).split(":").map(Number);
    if (parts.some(isNaN)) return null;
    return parts.reduce(function (acc, n) { return acc * 60 + n; }, 0);
  }
  function fmt(seconds) {
    seconds = Math.max(0, Math.floor(seconds || 0));
    var h = Math.floor(seconds / 3600), m = Math.floor(seconds / 60) % 60, s = seconds % 60;
    var mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? h + ":" : "") + mm + ":" + String(s).padStart(2, "0");
  }

  // -- engine ----------------------------------------------------------------------------------------------
  function makeEngine() {
    var g = new window.Gapless5({ loadLimit: 2, useWebAudio: true, useHTML5Audio: true, logLevel: 4 });
    // A track longer than LONG_TRACK streams through HTML5 audio only: decoding a 20-minute file whole into
    // WebAudio takes hundreds of MB and is what cuts long live jams short on phones. Gapless5 reads useWebAudio
    // when each track starts loading, right after onloadstart, so it can be chosen per track.
    g.onloadstart = function (path) {
      var t = queue.items.filter(function (x) { return x.url === path; })[0];
      g.useWebAudio = !(t && t.duration && t.duration > LONG_TRACK);
    };
    g.onload = function (path) { loaded[path] = true; render(); };
    g.onunload = function (path) { delete loaded[path]; };
    g.ontimeupdate = function (ms, index) { onTime(ms / 1000, index); };
    g.onplay = function () { if (pendingSeek !== null) applySeek(); render(); };
    g.onpause = render;
    g.onstop = render;
    g.onnext = function () { trackChanged(); };
    g.onprev = function () { trackChanged(); };
    g.onfinishedtrack = function () { if (!counted) maybeCount(true); };
    g.onfinishedall = function () { render(); };
    g.onerror = function (path, error) { notice("Could not play this track (" + (error || "error") + ")."); render(); };
    return g;
  }

  function load(items, index, positionSeconds, autoplay) {
    queue = { items: items, index: Math.min(Math.max(index || 0, 0), Math.max(items.length - 1, 0)), position: positionSeconds || 0 };
    loaded = {};
    if (!engine) engine = makeEngine();
    engine.removeAllTracks();
    items.forEach(function (t) { engine.addTrack(t.url); });
    engine.gotoTrack(queue.index);
    resetCounters();
    seekTarget = null;
    pendingSeek = positionSeconds > 0 ? positionSeconds : null;
    // Position the track before it starts, so a ?t= link does not play its first second; onplay and the time
    // updates confirm the seek (applySeek, onTime) where the engine dropped it.
    if (pendingSeek !== null) engine.setPosition(pendingSeek * 1000);
    if (items.length) enableBoost();
    if (autoplay) { engine.play(); announce(); }
    saveQueue();
    render();
  }

  function applySeek() {
    if (!engine || pendingSeek === null) return;
    var target = pendingSeek;
    pendingSeek = null;
    seekTarget = target;
    seekAskedAt = Date.now();
    engine.setPosition(target * 1000);
    lastPos = target;
  }

  function resetCounters() { played = 0; lastPos = null; counted = false; }

  function trackChanged() {
    seekTarget = null;
    queue.index = engine.getIndex();
    queue.position = 0;
    resetCounters();
    announce();
    saveQueue();
    render();
  }

  function onTime(seconds, index) {
    if (index !== undefined && index !== queue.index && index >= 0) { queue.index = index; resetCounters(); announce(); }
    if (seekTarget !== null) {
      // A seek asked for before the track could seek (a ?t= link, a restored queue) may be dropped by the
      // engine: ask again until the position is there.
      if (Math.abs(seconds - seekTarget) < 2) seekTarget = null;
      else if (engine && Date.now() - seekAskedAt > 250) { seekAskedAt = Date.now(); engine.setPosition(seekTarget * 1000); lastPos = seekTarget; return; }
    }
    if (lastPos !== null) {
      var delta = seconds - lastPos;
      if (delta > 0 && delta < 2) played += delta; // a jump is a seek, not listening
    }
    lastPos = seconds;
    queue.position = seconds;
    maybeCount(false);
    updatePosition(seconds);
  }

  function maybeCount(ended) {
    var t = current();
    if (!t || counted) return;
    var duration = t.duration || (engine && engine.currentLength ? engine.currentLength() / 1000 : 0);
    var threshold = duration ? Math.min(duration / 2, COUNT_AFTER) : COUNT_AFTER;
    if (played < threshold && !(ended && duration && played >= duration / 2)) return;
    counted = true;
    keepPlayed(t.url);
    if (!loggedIn()) return;
    var startedAt = new Date(Date.now() - Math.round(played) * 1000).toISOString();
    api("POST", "/api/v1/listens", {
      listened_at: startedAt, track_title: t.title || t.file, artist_name: t.artist || "Unknown artist",
      release_name: t.album || "", recording_identifier: t.identifier || "", filename: t.file || "",
      duration_seconds: duration ? Math.round(duration) : null, seconds_played: Math.round(played), source: "web"
    }).catch(function () { counted = false; }); // offline: try again on the next tick
  }

  // -- now playing, Media Session ---------------------------------------------------------------------------
  function announce() {
    var t = current();
    if (!t) return;
    if ("mediaSession" in navigator && window.MediaMetadata) {
      navigator.mediaSession.metadata = new window.MediaMetadata({
        title: t.title || t.file, artist: t.artist || "", album: t.album || "",
        artwork: [{ src: "/static/manifest/stylus-icon.svg", sizes: "512x512", type: "image/svg+xml" }]
      });
    }
    if (loggedIn()) {
      api("POST", "/api/v1/listening/now-playing", {
        track_title: t.title || t.file, artist_name: t.artist || "Unknown artist", release_name: t.album || "",
        recording_identifier: t.identifier || "", filename: t.file || "",
        duration_seconds: t.duration ? Math.round(t.duration) : null
      }).catch(function () {});
    }
  }

  function wireMediaSession() {
    if (!("mediaSession" in navigator)) return;
    var ms = navigator.mediaSession;
    var handlers = {
      play: function () { if (engine) engine.play(); },
      pause: function () { if (engine) engine.pause(); },
      nexttrack: function () { if (engine) engine.next(); },
      previoustrack: function () { if (engine) engine.prevtrack(); },
      seekto: function (d) { if (engine && d.seekTime !== undefined) engine.setPosition(d.seekTime * 1000); },
      seekbackward: function (d) { if (engine) engine.setPosition(Math.max(0, engine.getPosition() - (d.seekOffset || 10) * 1000)); },
      seekforward: function (d) { if (engine) engine.setPosition(engine.getPosition() + (d.seekOffset || 10) * 1000); }
    };
    Object.keys(handlers).forEach(function (action) {
      try { ms.setActionHandler(action, handlers[action]); } catch (e) { /* action not supported here */ }
    });
  }

  // -- queue persistence ------------------------------------------------------------------------------------
  function saveQueue() {
    clearTimeout(saveTimer);
    saveTimer = setTimeout(function () {
      var doc = { items: queue.items, index: queue.index, position: Math.floor(queue.position || 0) };
      if (loggedIn()) api("PUT", "/api/v1/listening/queue", doc).catch(function () {});
      else try { localStorage.setItem(QUEUE_KEY, JSON.stringify(doc)); } catch (e) { /* storage full or off */ }
    }, 300);
  }

  function restoreQueue() {
    var apply = function (doc) {
      if (doc && doc.items && doc.items.length) load(doc.items, doc.index || 0, doc.position || 0, false);
    };
    if (loggedIn()) {
      api("GET", "/api/v1/listening/queue").then(function (r) { return r.ok ? r.json() : null; }).then(apply).catch(function () {});
    } else {
      try { apply(JSON.parse(localStorage.getItem(QUEUE_KEY) || "null")); } catch (e) { /* nothing stored */ }
    }
  }

  // -- starting a recording -----------------------------------------------------------------------------------
  function canPlayFlac() {
    var a = document.createElement("audio");
    return !!(a.canPlayType && a.canPlayType("audio/flac").replace("no", ""));
  }

  function playRecording(identifier, file, t) {
    notice("Loading…");
    return fetch("/api/v1/listening/tracks/" + encodeURIComponent(identifier) + "?flac=" + (canPlayFlac() ? "true" : "false"),
      { credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (data) { return { ok: r.ok, data: data }; }); })
      .then(function (res) {
        if (!res.ok || !res.data.tracks || !res.data.tracks.length) {
          notice(res.data && res.data.detail ? String(res.data.detail) : "Nothing playable in this recording.");
          return;
        }
        var items = res.data.tracks;
        var index = 0;
        // The file asked for may be in another format than the one streamed (d1t02.mp3 when FLAC plays):
        // the same name without its extension is the same track.
        var stem = function (name) { return String(name || "").replace(/\.[^./]+$/, ""); };
        if (file) items.forEach(function (x, i) { if (x.file === file || stem(x.file) === stem(file)) index = i; });
        notice("");
        load(items, index, t || 0, true);
      })
      .catch(function () { notice("Could not reach Stylus to start this recording."); });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-play-recording]");
    if (!button) return;
    event.preventDefault();
    playRecording(button.dataset.playRecording, button.dataset.playFile || "", parseTime(button.dataset.playT));
  });

  // ?t=12:34 (with ?play=IDENTIFIER&file=FILE, or on a page with play buttons) starts there.
  function deepLink() {
    var params = new URLSearchParams(window.location.search);
    var t = parseTime(params.get("t"));
    if (t === null) return;
    var identifier = params.get("play");
    var file = params.get("file") || "";
    if (!identifier) {
      var button = document.querySelector(file ? '[data-play-recording][data-play-file="' + CSS.escape(file) + '"]' : "[data-play-recording]");
      if (!button) return;
      button.dataset.playT = String(t);
      identifier = button.dataset.playRecording;
      file = button.dataset.playFile || file;
    }
    playRecording(identifier, file, t).then(function () {
      // Browsers may refuse to start sound without a gesture: the bar then shows a paused player at t.
      if (engine && !engine.isPlaying()) render();
    });
  }

  function shareMoment() {
    var t = current();
    if (!t) return;
    var url = window.location.origin + "/listening/play/" + encodeURIComponent(t.identifier) + "/?file=" +
      encodeURIComponent(t.file) + "&t=" + fmt(queue.position);
    var done = function () { notice("Link copied: " + url); };
    if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(url).then(done, function () { notice(url); });
    else notice(url);
    if (bar) bar.dataset.shared = url;
  }

  // -- offline --------------------------------------------------------------------------------------------------
  function keptIndex() { try { return JSON.parse(localStorage.getItem(KEPT_KEY) || "{}"); } catch (e) { return {}; } }
  function setKeptIndex(index) { try { localStorage.setItem(KEPT_KEY, JSON.stringify(index)); } catch (e) { /* full */ } }

  function keepOffline(identifier, items) {
    if (!("caches" in window)) { notice("This browser cannot keep shows offline."); return Promise.resolve(false); }
    var urls = items.map(function (x) { return x.url; });
    notice("Keeping " + urls.length + " tracks offline…");
    return caches.open(KEPT_CACHE).then(function (cache) {
      return Promise.all(urls.map(function (u) { return cache.add(new Request(u, { credentials: "same-origin" })); }));
    }).then(function () {
      var index = keptIndex();
      index[identifier] = { title: (items[0] && items[0].album) || identifier, urls: urls, at: new Date().toISOString() };
      setKeptIndex(index);
      notice("Kept offline: " + index[identifier].title);
      return true;
    }).catch(function (e) { notice("Could not keep this show offline (" + e + ")."); return false; });
  }

  function removeKept(identifier) {
    var index = keptIndex();
    var entry = index[identifier];
    delete index[identifier];
    setKeptIndex(index);
    if (!entry || !("caches" in window)) return Promise.resolve();
    return caches.open(KEPT_CACHE).then(function (cache) {
      return Promise.all(entry.urls.map(function (u) { return cache.delete(u); }));
    });
  }

  function keepPlayed(url) {
    // The service worker fetches and stores it (LRU up to OFFLINE_CACHE_MB); nothing happens without one.
    if (navigator.serviceWorker && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage({ type: "played", url: new URL(url, window.location.href).href });
    }
  }

  function renderStorage(root) {
    var list = root.querySelector("[data-kept-list]");
    var index = keptIndex();
    list.innerHTML = "";
    var ids = Object.keys(index);
    if (!ids.length) list.innerHTML = '<li class="muted">No shows kept offline. Use “Keep offline” in the player.</li>';
    ids.forEach(function (id) {
      var li = document.createElement("li");
      li.dataset.keptIdentifier = id;
      var name = document.createElement("span");
      name.textContent = index[id].title + " (" + index[id].urls.length + " tracks)";
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "btn btn--small";
      remove.textContent = "Remove";
      remove.addEventListener("click", function () { removeKept(id).then(function () { renderStorage(root); }); });
      li.appendChild(name); li.appendChild(document.createTextNode(" ")); li.appendChild(remove);
      list.appendChild(li);
    });
    var summary = root.querySelector("[data-played-summary]");
    if (summary && "caches" in window) {
      caches.open(PLAYED_CACHE).then(function (c) { return c.keys(); }).then(function (keys) {
        summary.textContent = keys.length + " played track" + (keys.length === 1 ? "" : "s") + " kept.";
      });
    }
    var clear = root.querySelector("[data-clear-played]");
    if (clear && !clear.dataset.wired) {
      clear.dataset.wired = "1";
      clear.addEventListener("click", function () { caches.delete(PLAYED_CACHE).then(function () { renderStorage(root); }); });
    }
  }

  // -- the bar ----------------------------------------------------------------------------------------------------
  function notice(text) { var n = el("[data-player-notice]"); if (n) n.textContent = text; }

  function updatePosition(seconds) {
    var t = current();
    var duration = (t && t.duration) || (engine && engine.currentLength ? engine.currentLength() / 1000 : 0);
    var seek = el("[data-player-seek]");
    if (seek && !seek.matches(":active")) { seek.max = String(Math.max(1, Math.round(duration))); seek.value = String(Math.round(seconds)); }
    var time = el("[data-player-time]");
    if (time) time.textContent = fmt(seconds) + (duration ? " / " + fmt(duration) : "");
    if ("mediaSession" in navigator) navigator.mediaSession.playbackState = engine && engine.isPlaying() ? "playing" : "paused";
    if ("mediaSession" in navigator && navigator.mediaSession.setPositionState && duration) {
      try { navigator.mediaSession.setPositionState({ duration: duration, position: Math.min(seconds, duration), playbackRate: 1 }); } catch (e) { /* ignore */ }
    }
  }

  function render() {
    if (!bar) return;
    var t = current();
    bar.hidden = !t;
    if (!t) return;
    el("[data-player-title]").textContent = t.title || t.file;
    el("[data-player-artist]").textContent = [t.artist, t.album].filter(Boolean).join(" · ");
    var playing = !!(engine && engine.isPlaying());
    var toggle = el("[data-player-toggle]");
    toggle.textContent = playing ? "❚❚" : "▶";
    toggle.setAttribute("aria-label", playing ? "Pause" : "Play");
    bar.dataset.playing = playing ? "1" : "0";
    bar.dataset.index = String(queue.index);
    if ("mediaSession" in navigator) navigator.mediaSession.playbackState = playing ? "playing" : "paused";
  }

  function wireBar() {
    bar = document.getElementById("stylus-player");
    if (!bar || bar.dataset.wired) return;
    bar.dataset.wired = "1";
    el("[data-player-toggle]").addEventListener("click", function () {
      if (!engine) return;
      if (engine.isPlaying()) engine.pause(); else { engine.play(); announce(); }
      render();
    });
    el("[data-player-next]").addEventListener("click", function () { if (engine) engine.next(); });
    el("[data-player-prev]").addEventListener("click", function () { if (engine) engine.prevtrack(); });
    el("[data-player-seek]").addEventListener("change", function (e) {
      if (engine) { engine.setPosition(Number(e.target.value) * 1000); lastPos = Number(e.target.value); }
    });
    el("[data-player-share]").addEventListener("click", shareMoment);
    el("[data-player-keep]").addEventListener("click", function () {
      var t = current();
      if (t) keepOffline(t.identifier, queue.items.filter(function (x) { return x.identifier === t.identifier; }));
    });
  }

  function wirePage(root) {
    var storage = (root || document).querySelector("[data-offline-storage]");
    if (storage) renderStorage(storage);
  }

  // Boosted navigation (hx-boost) keeps the page, and so the music, while links swap the content. It is switched
  // on once something is in the player: a visitor who never presses play browses with ordinary page loads.
  // Links to files, the API and admin, and every POST form (a login rotates the CSRF token kept on <body>, which a
  // boosted swap would leave stale; some answer with files) stay ordinary.
  var NOT_PAGES = /^\/(api|apis|admin|media|static|staff\/metrics|archive\/files|accounts\/logout|sw\.js)(\/|$)/;
  function unboostable(elt) {
    if (elt.tagName === "FORM") return (elt.getAttribute("method") || "get").toLowerCase() !== "get";
    if (elt.tagName !== "A" || !elt.getAttribute("href")) return false;
    var url = new URL(elt.getAttribute("href"), window.location.href);
    return url.origin !== window.location.origin || NOT_PAGES.test(url.pathname) || elt.hasAttribute("download");
  }
  document.addEventListener("htmx:beforeProcessNode", function (event) {
    var elt = event.target;
    if (elt && elt.tagName && !elt.hasAttribute("hx-boost") && unboostable(elt)) elt.setAttribute("hx-boost", "false");
  });
  function enableBoost() {
    var body = document.body;
    if (!window.htmx || body.getAttribute("hx-boost") === "true") return;
    body.setAttribute("hx-boost", "true");
    // htmx re-initialises an element only when its attributes change: mark the links and forms already on the page.
    body.querySelectorAll("a[href], form").forEach(function (elt) { elt.setAttribute("data-stylus-boost", "1"); });
    window.htmx.process(body);
  }
  document.addEventListener("htmx:beforeSwap", function (event) {
    var d = event.detail;
    if (!d.boosted || !d.xhr) return;
    var type = d.xhr.getResponseHeader("Content-Type") || "";
    if (type.indexOf("text/html") === -1) { d.shouldSwap = false; window.location.href = d.xhr.responseURL; }
    else if (d.xhr.status >= 400) { d.shouldSwap = true; d.isError = false; } // show the 404/500 page as a page
  });
  document.addEventListener("htmx:afterSettle", function (event) { if (event.detail && event.detail.boosted) wirePage(document); });
  document.addEventListener("htmx:historyRestore", function () { wireBar(); wirePage(document); });

  function boot() {
    wireBar();
    wireMediaSession();
    wirePage(document);
    if ("serviceWorker" in navigator && window.isSecureContext) navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {});
    var params = new URLSearchParams(window.location.search);
    if (params.get("t") !== null) deepLink(); else restoreQueue();
  }

  window.StylusPlayer = {
    play: playRecording,
    keepOffline: function () { var t = current(); return t ? keepOffline(t.identifier, queue.items) : Promise.resolve(false); },
    removeKept: removeKept,
    state: function () {
      var t = current();
      return {
        index: queue.index, track: t, playing: !!(engine && engine.isPlaying()),
        position: engine ? engine.getPosition() / 1000 : 0, played: played, counted: counted,
        loaded: Object.keys(loaded), tracks: queue.items.map(function (x) { return x.url; })
      };
    }
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot); else boot();
})();
