// Digger release page: landed price history per media grade (vendored uPlot), with the fair-price bands.
(function () {
  "use strict";
  function draw() {
    var data = document.getElementById("digger-price-series");
    var el = document.getElementById("digger-price-chart");
    if (!data || !el || !window.uPlot || el.dataset.drawn) return;
    var series = JSON.parse(data.textContent);
    var grades = Object.keys(series);
    if (!grades.length) return;
    var times = {};
    grades.forEach(function (g) { series[g].forEach(function (p) { times[p.t] = true; }); });
    var xs = Object.keys(times).map(Number).sort(function (a, b) { return a - b; });
    var colours = ["#e8b04b", "#4b9be8", "#6cc070", "#d0604d", "#a07ad0", "#888"];
    var columns = [xs];
    grades.forEach(function (g) {
      var byT = {};
      series[g].forEach(function (p) { byT[p.t] = p.p; });
      columns.push(xs.map(function (t) { return t in byT ? byT[t] : null; }));
    });
    new window.uPlot({
      width: Math.max(300, el.clientWidth || 600), height: 240, title: "Landed price by media grade",
      series: [{}].concat(grades.map(function (g, i) {
        return { label: g, stroke: colours[i % colours.length], spanGaps: true, points: { size: 6 } };
      }))
    }, columns, el);
    el.dataset.drawn = "1";
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw); else draw();
})();
