// Digger cart: "Open these listings" opens each planned listing in a new tab (browsers may ask to allow pop-ups).
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-open-listings]");
    if (!button) return;
    button.getAttribute("data-open-listings").split(" ").forEach(function (url) {
      if (/^https?:\/\//.test(url)) window.open(url, "_blank", "noopener");
    });
  });
})();
