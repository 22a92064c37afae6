import { CLIENT_COMMON } from './client-common.js';
import { compilePage, type PageRenderer } from './html-page.js';
import { signInMarkup, type SignInOptions } from './sign-in-markup.js';

// GET /terminal/TARGET: a shell on a shell target in the browser, over the
// same WebSocket terminal as `airlock shell` (/v1/shell/TARGET), drawn by
// xterm.js. Airlock edits each line at bash's prompt, so what the page sends
// is keystrokes; holds, denials and the step-up prompt arrive as terminal text.

/** Where the page loads xterm.js from (served by web-routes from the installed package). */
export const TERMINAL_ASSETS = {
  scripts: ['/assets/xterm/xterm.js', '/assets/xterm/addon-fit.js'],
  styles: ['/assets/xterm/xterm.css'],
} as const;

const body = (options: SignInOptions): string => `
<main id="content" class="terminal-main">
<h1 id="title" tabindex="-1">Shell on <span id="target"></span></h1>
${signInMarkup(options)}
<p id="status" class="muted" role="status"></p>
<div id="terminal" class="terminal" hidden></div>
</main>
`;

const STYLE_SHIM = String.raw`
// xterm.js adds <style> elements for its themes; the page's CSP admits only
// styles with this response's nonce, so each <style> created here gets it.
var PAGE_NONCE = document.currentScript ? document.currentScript.nonce : '';
var createElement = Document.prototype.createElement;
Document.prototype.createElement = function (tag, options) {
  var node = createElement.call(this, tag, options);
  if (String(tag).toLowerCase() === 'style' && PAGE_NONCE) node.setAttribute('nonce', PAGE_NONCE);
  return node;
};
`;

const SCRIPT = String.raw`
var target = decodeURIComponent(location.pathname.split('/')[2] || '');
setText(byId('target'), target);
document.title = 'Shell on ' + target + ' · Airlock';
var encoder = new TextEncoder();
var term = null;
var socket = null;
var fit = null;

function status(text) { setText(byId('status'), text); }

function send(message) {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(typeof message === 'string' ? message : message);
}

function open(token) {
  if (!term) {
    term = new Terminal({ cursorBlink: true, convertEol: false, scrollback: 5000, fontSize: 14 });
    fit = new FitAddon.FitAddon();
    term.loadAddon(fit);
    byId('terminal').hidden = false;
    term.open(byId('terminal'));
    term.onData(function (data) { send(encoder.encode(data)); });
    term.onResize(function (size) { send(JSON.stringify({ type: 'resize', cols: size.cols, rows: size.rows })); });
    window.addEventListener('resize', function () { fit.fit(); });
  }
  fit.fit();
  var scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  // Browsers cannot set headers on a WebSocket: the token travels as a sub-protocol, which Airlock never echoes.
  socket = new WebSocket(scheme + '//' + location.host + '/v1/shell/' + encodeURIComponent(target), ['airlock.terminal.v1', 'airlock.bearer.' + token]);
  socket.binaryType = 'arraybuffer';
  status('Connecting…');
  socket.addEventListener('open', function () {
    status('Connected. Each command line is checked by Airlock when you press Enter.');
    send(JSON.stringify({ type: 'start', mode: 'shell', cols: term.cols, rows: term.rows, term: 'xterm-256color' }));
    term.focus();
  });
  socket.addEventListener('message', function (event) {
    if (typeof event.data !== 'string') { term.write(new Uint8Array(event.data)); return; }
    var message;
    try { message = JSON.parse(event.data); } catch (e) { return; }
    if (message.type === 'notice' && typeof message.text === 'string') term.write('\r\n' + message.text.replace(/\n/g, '\r\n') + '\r\n');
    if (message.type === 'exit') status(message.signal ? 'The shell ended (signal ' + message.signal + ').' : 'The shell exited with status ' + message.code + '.');
  });
  socket.addEventListener('close', function (event) {
    var reason = event.reason ? ': ' + event.reason : '';
    if (event.code === 1000) return;
    // 1008: the token was refused, revoked or expired; 1006: the upgrade itself was refused (no or bad token, unknown target).
    if (event.code === 1008 || event.code === 1006) {
      status('');
      askForToken('The terminal closed (' + event.code + reason + '). Sign in again to open a new one.');
      return;
    }
    status('The terminal closed (' + event.code + reason + ').');
  });
}

document.addEventListener('airlock:signed-out', function () {
  if (socket) socket.close(1000);
  socket = null;
});
setupSignIn(function () { open(currentToken()); });
`;

/** The page for one set of sign-in options (compiled once, at route registration). */
export function terminalPage(options: SignInOptions): PageRenderer {
  return compilePage({ title: 'Shell · Airlock', body: body(options), script: STYLE_SHIM + CLIENT_COMMON + SCRIPT, assets: TERMINAL_ASSETS });
}
