// Stylus front-end glue. No inline scripts anywhere (CSP script-src 'self').
(function () {
  "use strict";
  function wireToasts(root) {
    root.querySelectorAll(".toast").forEach(function (toast) {
      if (toast.dataset.wired) return;
      toast.dataset.wired = "1";
      var close = toast.querySelector(".toast__close");
      if (close) close.addEventListener("click", function () { toast.remove(); });
      var ms = parseInt(toast.dataset.autodismiss || "0", 10);
      if (ms > 0) setTimeout(function () { toast.classList.add("toast--leaving"); setTimeout(function () { toast.remove(); }, 400); }, ms);
    });
  }
  // Confirm destructive actions: <button data-confirm="Really delete?">
  document.addEventListener("click", function (event) {
    var el = event.target.closest("[data-confirm]");
    if (el && !window.confirm(el.dataset.confirm)) { event.preventDefault(); event.stopPropagation(); }
  }, true);
  document.addEventListener("DOMContentLoaded", function () { wireToasts(document); });
  document.addEventListener("htmx:afterSettle", function (e) { wireToasts(document); });
  // A server error on an htmx request shows a toast instead of failing silently.
  document.addEventListener("htmx:responseError", function (e) {
    var box = document.getElementById("toasts");
    if (!box) return;
    var div = document.createElement("div");
    div.className = "toast toast--error";
    div.setAttribute("data-autodismiss", "6000");
    var status = e.detail.xhr ? e.detail.xhr.status : "";
    div.innerHTML = '<span></span><button type="button" class="toast__close" aria-label="Dismiss">×</button>';
    div.querySelector("span").textContent = status === 429 ? "Slow down: too many requests, try again shortly." : "Something went wrong (" + status + "). Please try again.";
    box.appendChild(div);
    wireToasts(box);
  });
  window.Stylus = { wireToasts: wireToasts };
})();
