// Song page: each performance's length (minutes) by year, as points (vendored uPlot).
(function () {
  "use strict";
  var el = document.getElementById("song-chart");
  var data = document.getElementById("song-chart-data");
  if (!el || !data || !window.uPlot) return;
  var rows = JSON.parse(data.textContent);
  var xs = rows.map(function (r) { return r[0]; });
  var ys = rows.map(function (r) { return r[1]; });
  new window.uPlot({
    width: Math.max(280, el.clientWidth || 480), height: 220, legend: { show: false },
    scales: { x: { time: false } },
    axes: [{ label: "Year" }, { label: "Minutes" }],
    series: [{}, { label: "Minutes", stroke: "#e8b04b", paths: function () { return null; },
                   points: { show: true, size: 6, fill: "rgba(232,176,75,0.7)" } }]
  }, [xs, ys], el);
})();
