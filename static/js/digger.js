// Digger: when the live run bar reaches a final state, reload the results table in place.
(function () {
  "use strict";
  var FINAL = ["succeeded", "partial", "failed"];
  document.addEventListener("htmx:wsAfterMessage", function (event) {
    var section = event.target;
    if (!section || section.id !== "run-status") return;
    var bar = section.querySelector("[id^='diggersearch-']");
    if (!bar || FINAL.indexOf(bar.getAttribute("data-status")) === -1) return;
    if (document.getElementById("results") && window.htmx) {
      window.htmx.ajax("GET", section.getAttribute("data-results-url") + window.location.search,
        {target: "#results", swap: "outerHTML"});
    }
  });
})();
