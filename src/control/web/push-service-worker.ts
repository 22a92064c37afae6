/**
 * The service worker behind "Notify me on this device", served as
 * /push-sw.js (a worker cannot be an inline script). It shows what a push
 * says and opens the request's page when clicked; it never decides anything
 * (deciding needs the signed-in page) and handles no fetches. The page it
 * opens is derived from the request id, on this worker's own origin, so a
 * payload cannot send anyone elsewhere.
 */
export const PUSH_SERVICE_WORKER = String.raw`'use strict';
var ID = /^[A-Za-z0-9_-]{1,128}$/;

self.addEventListener('install', function () { self.skipWaiting(); });
self.addEventListener('activate', function (event) { event.waitUntil(self.clients.claim()); });

self.addEventListener('push', function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = {}; }
  if (!data || typeof data !== 'object') data = {};
  var id = typeof data.id === 'string' && ID.test(data.id) ? data.id : null;
  var path = id ? '/approvals/' + id : '/approvals';
  var title = typeof data.title === 'string' && data.title ? data.title.slice(0, 120) : 'Airlock: a request needs you';
  var body = typeof data.body === 'string' ? data.body.slice(0, 300) : '';
  event.waitUntil(self.registration.showNotification(title, {
    body: body,
    tag: id || 'airlock',
    renotify: true,
    requireInteraction: true,
    data: { url: new URL(path, self.location.origin).href },
    actions: [{ action: 'open', title: 'Open' }]
  }));
});

self.addEventListener('notificationclick', function (event) {
  event.notification.close();
  var target = event.notification.data && typeof event.notification.data.url === 'string' ? new URL(event.notification.data.url) : null;
  var url = target && target.origin === self.location.origin ? target.href : new URL('/approvals', self.location.origin).href;
  event.waitUntil(self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then(function (windows) {
    for (var i = 0; i < windows.length; i++) {
      if (windows[i].url === url && 'focus' in windows[i]) return windows[i].focus();
    }
    return self.clients.openWindow(url);
  }));
});
`;
