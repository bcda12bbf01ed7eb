// Digger alerts page: "Enable browser notifications" subscribes this browser (VAPID) and stores the subscription.
(function () {
  "use strict";
  function key(base64) {
    var padded = (base64 + "===".slice((base64.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(padded), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-push-subscribe]");
    if (!button || !("serviceWorker" in navigator) || !("PushManager" in window)) return;
    var status = document.getElementById("push-status");
    navigator.serviceWorker.register(button.getAttribute("data-sw-url"), { scope: button.getAttribute("data-sw-scope") })
      .then(function (registration) {
        return registration.pushManager.subscribe({ userVisibleOnly: true,
          applicationServerKey: key(button.getAttribute("data-push-subscribe")) });
      })
      .then(function (subscription) {
        return fetch(button.getAttribute("data-post-url"), { method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": button.getAttribute("data-csrf") },
          body: JSON.stringify(subscription.toJSON()) });
      })
      .then(function (response) { if (status) status.textContent = response.ok ? "Notifications on for this browser." : "The server refused this subscription."; })
      .catch(function (error) { if (status) status.textContent = "Could not enable notifications: " + error; });
  });
})();
