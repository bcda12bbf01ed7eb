// Digger: when a live run bar reaches a final state, reload the results table in place.
(function () {
  "use strict";
  var FINAL = ["succeeded", "partial", "failed"];
  document.addEventListener("htmx:oobAfterSwap", function (event) {
    var bar = event.detail && event.detail.target;
    if (!bar || !bar.id || bar.id.indexOf("diggersearch-") !== 0) return;
    if (FINAL.indexOf(bar.getAttribute("data-status")) === -1) return;
    var section = document.getElementById("run-status");
    var results = document.getElementById("results");
    if (section) {
      var button = section.querySelector("button[type=submit]");
      if (button) button.disabled = false;
    }
    if (results && section && window.htmx) {
      window.htmx.ajax("GET", section.getAttribute("data-results-url") + window.location.search, {target: "#results", swap: "outerHTML"});
    }
  });
})();
