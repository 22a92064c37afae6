/**
 * Browser code of "Notify me on this device" (plain ES2020, part of every
 * page's script, after CLIENT_COMMON). It shows only to a signed-in person,
 * only when Airlock has push enabled and the browser can do it. The service
 * worker URL goes through a Trusted Types policy that allows exactly one
 * value: the pages' CSP refuses any other string for a script URL.
 */
export const PUSH_CLIENT = String.raw`
var PUSH_WORKER = '/push-sw.js';
var pushKey = null;
var pushPolicy = null;

function pushWorkerUrl() {
  if (!window.trustedTypes || !window.trustedTypes.createPolicy) return PUSH_WORKER;
  pushPolicy = pushPolicy || window.trustedTypes.createPolicy('airlock-push-worker', {
    createScriptURL: function (url) { if (url !== PUSH_WORKER) throw new TypeError('not the push worker'); return url; }
  });
  return pushPolicy.createScriptURL(PUSH_WORKER);
}

function base64urlBytes(text) {
  var b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  return Uint8Array.from(atob(b64 + '===='.slice(b64.length % 4 || 4)), function (c) { return c.charCodeAt(0); });
}

/** Whether a subscription was made with Airlock's current VAPID key (a rotated key makes old ones useless). */
function madeWithCurrentKey(subscription) {
  var used = subscription.options && subscription.options.applicationServerKey;
  if (!used) return true;
  var a = new Uint8Array(used), b = base64urlBytes(pushKey);
  if (a.length !== b.length) return false;
  for (var i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function pushSupported() {
  return 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window && window.isSecureContext;
}

function showPushState(on) {
  byId('push-enable').hidden = on;
  byId('push-disable').hidden = !on;
  setText(byId('push-state'), on ? 'Notifications are on for this device.' : '');
}

function pushFailed(err) {
  showError('Could not turn on notifications: ' + (err && err.message ? err.message : String(err)));
}

/** Stores this device's subscription for the signed-in person (again on each visit: it keeps it fresh). */
function sendSubscription(subscription, announce) {
  return api('POST', '/v1/push/subscriptions', subscription.toJSON()).then(function (result) {
    if (!result.ok) {
      if (isTokenProblem(result)) return askForToken('Airlock did not accept that token: ' + problemText(result));
      return pushFailed(new Error(problemText(result)));
    }
    showPushState(true);
    if (announce) showNotice('Notifications are on: this device hears of requests you may decide. Deciding still needs this page, signed in.');
  });
}

function currentSubscription() {
  return navigator.serviceWorker.getRegistration('/').then(function (registration) {
    return registration ? registration.pushManager.getSubscription() : null;
  });
}

function setupPush() {
  var box = byId('push');
  if (!box || !pushSupported()) return;
  api('GET', '/v1/push/key').then(function (result) {
    if (!result.ok || result.body.enabled !== true || typeof result.body.public_key !== 'string' || !currentToken()) return;
    pushKey = result.body.public_key;
    box.hidden = false;
    return currentSubscription().then(function (subscription) {
      if (subscription && Notification.permission === 'granted' && madeWithCurrentKey(subscription)) return sendSubscription(subscription, false);
      showPushState(false);
      if (subscription && !madeWithCurrentKey(subscription)) return subscription.unsubscribe();
    });
  }).catch(function () { /* no push on this device */ });
}

function enablePush() {
  clearMessages();
  Notification.requestPermission().then(function (permission) {
    if (permission !== 'granted') throw new Error('this browser blocks notifications from Airlock (site settings)');
    return navigator.serviceWorker.register(pushWorkerUrl(), { scope: '/' });
  }).then(function () {
    return navigator.serviceWorker.ready;
  }).then(function (registration) {
    return registration.pushManager.getSubscription().then(function (existing) {
      if (existing && madeWithCurrentKey(existing)) return existing;
      var fresh = function () { return registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: base64urlBytes(pushKey) }); };
      return existing ? existing.unsubscribe().then(fresh) : fresh();
    });
  }).then(function (subscription) {
    return sendSubscription(subscription, true);
  }).catch(pushFailed);
}

function disablePush() {
  clearMessages();
  currentSubscription().then(function (subscription) {
    if (!subscription) return showPushState(false);
    return api('DELETE', '/v1/push/subscriptions', { endpoint: subscription.endpoint }).then(function (result) {
      if (!result.ok && result.status !== 404) return showError('Could not turn off notifications: ' + problemText(result));
      return subscription.unsubscribe().then(function () {
        showPushState(false);
        showNotice('Notifications are off for this device.');
      });
    });
  }).catch(function (err) { showError('Could not turn off notifications: ' + (err && err.message ? err.message : String(err))); });
}

if (byId('push')) {
  byId('push-enable').addEventListener('click', enablePush);
  byId('push-disable').addEventListener('click', disablePush);
  document.addEventListener('airlock:signed-in', setupPush);
  document.addEventListener('airlock:signed-out', function () { byId('push').hidden = true; });
}
`;
