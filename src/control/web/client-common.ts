/**
 * Browser code shared by the pages (plain ES2020, no build step). Untrusted
 * values (commands, reasons, subjects) only ever reach the DOM through
 * textContent; the CSP's Trusted Types rule turns any HTML sink into an error.
 */
export const CLIENT_COMMON = String.raw`
var TOKEN_KEY = 'airlock.token';
var TOKEN_CODES = ['AIRLOCK_UNAUTHENTICATED', 'AIRLOCK_TOKEN_INVALID'];

function byId(id) { return document.getElementById(id); }

/** Sets a node's text; never parses HTML. */
function setText(node, value) { node.textContent = value === null || value === undefined ? '' : String(value); }

/** Creates an element with text content and attributes (no HTML parsing). */
function make(tag, text, attrs) {
  var node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (attrs) Object.keys(attrs).forEach(function (name) { node.setAttribute(name, attrs[name]); });
  return node;
}

function readToken() { try { return sessionStorage.getItem(TOKEN_KEY); } catch (e) { return null; } }
function storeToken(token) { try { sessionStorage.setItem(TOKEN_KEY, token); } catch (e) { /* private mode: kept in memory below */ } memoryToken = token; }
function forgetToken() { try { sessionStorage.removeItem(TOKEN_KEY); } catch (e) { /* nothing stored */ } memoryToken = null; }
var memoryToken = readToken();
function currentToken() { return readToken() || memoryToken; }

/** The token's claims, for display only: the server verifies every call. */
function claimsOf(token) {
  try {
    var part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    var bytes = Uint8Array.from(atob(part), function (c) { return c.charCodeAt(0); });
    var claims = JSON.parse(new TextDecoder().decode(bytes));
    return claims && typeof claims === 'object' ? claims : {};
  } catch (e) {
    return {};
  }
}

/** Calls the JSON API with the bearer token. Resolves { ok, status, body }; never rejects. */
function api(method, path, payload) {
  var headers = { accept: 'application/json', authorization: 'Bearer ' + currentToken() };
  var init = { method: method, headers: headers, cache: 'no-store', credentials: 'omit', redirect: 'error', referrerPolicy: 'no-referrer' };
  if (payload !== undefined) { headers['content-type'] = 'application/json'; init.body = JSON.stringify(payload); }
  return fetch(path, init).then(function (response) {
    var type = response.headers.get('content-type') || '';
    var parsed = type.indexOf('json') >= 0 ? response.json().catch(function () { return null; }) : Promise.resolve(null);
    return parsed.then(function (body) { return { ok: response.ok, status: response.status, body: body || {} }; });
  }, function (err) {
    return { ok: false, status: 0, body: { detail: 'Could not reach Airlock (' + (err && err.message ? err.message : 'network error') + ').' } };
  });
}

/** A problem+json answer as one sentence, with its stable code. */
function problemText(result) {
  var body = result.body || {};
  var detail = typeof body.detail === 'string' && body.detail ? body.detail : (typeof body.title === 'string' && body.title ? body.title : 'HTTP ' + result.status);
  return typeof body.code === 'string' ? detail + ' (' + body.code + ')' : detail;
}

/** The token no longer works (expired, invalid, or its person, device or token revoked): sign in again. */
function isTokenProblem(result) {
  var code = (result.body || {}).code;
  return (result.status === 401 && TOKEN_CODES.indexOf(code) >= 0) || (result.status === 403 && code === 'AIRLOCK_REVOKED');
}

function showError(message) {
  var box = byId('error');
  setText(box, message);
  if (message) box.focus();
}

function showNotice(message) {
  var box = byId('notice');
  setText(box, message);
  if (message) box.focus();
}

function clearMessages() { setText(byId('error'), ''); setText(byId('notice'), ''); }

/** "9m 05s", "1h 02m", "12s". */
function formatDuration(seconds) {
  seconds = Math.max(0, Math.round(seconds));
  var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
  var pad = function (n) { return n < 10 ? '0' + n : String(n); };
  if (h > 0) return h + 'h ' + pad(m) + 'm';
  if (m > 0) return m + 'm ' + pad(s) + 's';
  return s + 's';
}

function localTime(iso) {
  var date = new Date(iso);
  return isNaN(date.getTime()) ? String(iso) : date.toLocaleString();
}

/**
 * Shows the token form until a token is known, then calls onSignedIn. The
 * "different token" button and an API answer of "bad token" come back here.
 */
function setupSignIn(onSignedIn) {
  var form = byId('token-form');
  var input = byId('token');
  var idp = byId('idp-sign-in');
  // Back to this very page after signing in with the identity provider.
  if (idp) idp.setAttribute('href', '/auth/login?return=' + encodeURIComponent(location.pathname));
  function signedIn() {
    var claims = claimsOf(currentToken());
    setText(byId('whoami-subject'), typeof claims.sub === 'string' ? claims.sub : '(unknown subject)');
    byId('signin').hidden = true;
    byId('whoami').hidden = false;
    document.dispatchEvent(new CustomEvent('airlock:signed-in'));
    onSignedIn(claims);
  }
  if (form) form.addEventListener('submit', function (event) {
    event.preventDefault();
    var token = input.value.trim().replace(/^bearer\s+/i, '');
    if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token)) {
      showError('That does not look like a JWT (three base64url parts separated by dots).');
      input.focus();
      return;
    }
    input.value = '';
    clearMessages();
    storeToken(token);
    signedIn();
  });
  byId('forget').addEventListener('click', function () { askForToken(''); });
  if (currentToken()) signedIn(); else askForToken('');
}

/** Forgets the token and asks for one, with an optional reason. */
function askForToken(message) {
  forgetToken();
  byId('whoami').hidden = true;
  byId('signin').hidden = false;
  document.dispatchEvent(new CustomEvent('airlock:signed-out'));
  if (message) showError(message); else (byId('token') || byId('idp-sign-in')).focus();
}
`;
