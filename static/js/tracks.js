// Tracks: small progressive enhancements. No inline scripts (CSP).
(function () {
  "use strict";
  // "Select all" in the song list header ticks every row's bulk checkbox.
  document.addEventListener("change", function (event) {
    var all = event.target.closest(".js-select-all");
    if (!all) return;
    document.querySelectorAll('input[name="ids"][form="bulk-form"]').forEach(function (box) { box.checked = all.checked; });
  });
})();
