// Listening stats charts (vendored uPlot): plays over time, top artists, plays by hour and weekday.
// Reads the stats the page rendered with json_script; re-draws after the range tabs swap the section.
(function () {
  "use strict";
  function bars(el, labels, values, title) {
    if (!window.uPlot || !el) return;
    el.innerHTML = "";
    var xs = labels.map(function (_l, i) { return i; });
    var width = Math.max(260, el.clientWidth || 320);
    new window.uPlot({
      width: width, height: 200, title: title || "", legend: { show: false },
      scales: { x: { time: false, range: [-0.5, Math.max(0.5, labels.length - 0.5)] } },
      axes: [
        { values: function (_u, ticks) { return ticks.map(function (t) { return labels[t] !== undefined && t === Math.round(t) ? labels[t] : ""; }); } },
        {}
      ],
      series: [{}, { label: "Plays", fill: "rgba(232,176,75,0.6)", stroke: "#e8b04b", paths: window.uPlot.paths.bars({ size: [0.7, 60] }), points: { show: false } }]
    }, [xs, values], el);
    el.dataset.drawn = "1";
  }

  function draw(root) {
    var data = root.querySelector("#listening-stats-data");
    if (!data) return;
    var stats = JSON.parse(data.textContent);
    var chart = function (name) { return root.querySelector('[data-chart="' + name + '"]'); };
    bars(chart("over_time"), stats.over_time.map(function (r) { return r.period; }), stats.over_time.map(function (r) { return r.plays; }));
    bars(chart("top_artists"), stats.top_artists.map(function (r) { return r.name.slice(0, 12); }), stats.top_artists.map(function (r) { return r.plays; }));
    bars(chart("by_hour"), stats.by_hour.map(function (_n, h) { return String(h); }), stats.by_hour);
    bars(chart("by_weekday"), stats.by_weekday.map(function (r) { return r.day; }), stats.by_weekday.map(function (r) { return r.plays; }));
  }

  function boot() { draw(document); }
  document.addEventListener("htmx:afterSettle", function () { draw(document); });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot); else boot();
})();
