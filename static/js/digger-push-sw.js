// Digger alerts as browser notifications: shows each push (title, body, cover) and opens the listing on click.
self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = { title: "Stylus Digger", body: event.data.text() }; }
  event.waitUntil(self.registration.showNotification(data.title || "Stylus Digger", {
    body: data.body || "", icon: data.icon || undefined, data: { url: data.url || "/digger/alerts/" }
  }));
});
self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = (event.notification.data && event.notification.data.url) || "/digger/alerts/";
  if (/^https?:\/\//.test(url) || url.charAt(0) === "/") event.waitUntil(self.clients.openWindow(url));
});
