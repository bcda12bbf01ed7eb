/* The offline player: a concert as a queue, next/previous, seeking (native controls over HTTP Range). */
(function () {
  "use strict";

  function init(root) {
    var audio = root.querySelector("[data-audio]");
    var links = Array.prototype.slice.call(root.querySelectorAll("[data-track]"));
    var now = root.querySelector("[data-now-playing]");
    if (!audio || !links.length) return;
    var current = 0;

    function select(index, autoplay) {
      if (index < 0 || index >= links.length) return;
      links[current].classList.remove("is-playing");
      links[current].removeAttribute("aria-current");
      current = index;
      var link = links[current];
      link.classList.add("is-playing");
      link.setAttribute("aria-current", "true");
      audio.src = link.getAttribute("href");
      if (now) now.textContent = link.dataset.title || link.textContent;
      root.dataset.current = String(current);
      if (autoplay) {
        var played = audio.play();
        if (played && played.catch) played.catch(function () {});
      }
    }

    links.forEach(function (link, index) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        select(index, true);
      });
    });
    var next = root.querySelector("[data-next]");
    var prev = root.querySelector("[data-prev]");
    if (next) next.addEventListener("click", function () { select(current + 1, true); });
    if (prev) prev.addEventListener("click", function () {
      if (audio.currentTime > 3) { audio.currentTime = 0; return; }
      select(current - 1, true);
    });
    audio.addEventListener("ended", function () {
      if (current + 1 < links.length) select(current + 1, true);
    });
    root.dataset.current = "0";
    root.dataset.ready = "true";
  }

  function boot() {
    document.querySelectorAll("[data-player]").forEach(init);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})();
