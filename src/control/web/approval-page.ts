import { CLIENT_COMMON } from './client-common.js';
import { PUSH_CLIENT } from './push-client.js';
import { compilePage, type PageRenderer } from './html-page.js';
import { signInMarkup, type SignInOptions } from './sign-in-markup.js';

// GET /approvals/:id. The page reads the id from its own URL and everything
// else from GET /v1/approvals/:id; decisions go to the same JSON API.

const body = (options: SignInOptions): string => `
<main id="content">
<h1 id="title" tabindex="-1">Airlock request</h1>
${signInMarkup(options)}
<p id="loading" class="muted" hidden>Loading the request…</p>
<section id="request" hidden aria-labelledby="title">
  <p><span id="status" class="status"></span> <span id="status-text"></span></p>
  <dl class="facts">
    <dt>Requester</dt><dd id="f-requester"></dd>
    <dt>Target</dt><dd id="f-target"></dd>
    <dt>Risk</dt><dd id="f-risk"></dd>
    <dt>Rules</dt><dd id="f-rules"></dd>
    <dt>Requester's reason</dt><dd id="f-reason"></dd>
    <dt id="f-impact-title" hidden>Measured before commit</dt><dd id="f-impact" hidden></dd>
    <dt>Who may decide</dt><dd id="f-eligible"></dd>
    <dt>Progress</dt><dd id="f-progress"></dd>
    <dt>Expires</dt><dd id="f-expiry"></dd>
    <dt>Request id</dt><dd><code id="f-id"></code></dd>
    <dt>Action hash</dt><dd><code id="f-hash"></code></dd>
  </dl>
  <h2 id="command-title">Command</h2>
  <pre class="command" aria-labelledby="command-title"><code id="f-command"></code></pre>
  <div id="votes-section" hidden>
    <h2>Decisions so far</h2>
    <ul id="votes"></ul>
  </div>
  <section id="decide" hidden aria-labelledby="decide-title">
    <h2 id="decide-title">Your decision</h2>
    <p id="own-request" class="hint" hidden>This is your own request: someone else from the eligible approvers has to decide it.</p>
    <form id="approve-form" novalidate>
      <div class="mfa-field" hidden>
        <label for="approve-code">Your TOTP code</label>
        <input id="approve-code" class="code" type="text" inputmode="numeric" autocomplete="one-time-code" maxlength="10" aria-describedby="approve-code-hint">
        <p id="approve-code-hint" class="hint">This request requires your own second factor with the decision.</p>
      </div>
      <label for="approve-comment">Comment (optional)</label>
      <textarea id="approve-comment" maxlength="500"></textarea>
      <div class="buttons">
        <button type="submit" class="approve" id="approve">Approve</button>
        <button type="button" class="deny" id="deny-open" aria-expanded="false" aria-controls="deny-form">Deny…</button>
      </div>
    </form>
    <form id="deny-form" hidden novalidate>
      <fieldset>
        <legend>Deny this request</legend>
        <label for="deny-reason">Why deny? (required; the requester sees it)</label>
        <textarea id="deny-reason" maxlength="500" required></textarea>
        <div class="mfa-field" hidden>
          <label for="deny-code">Your TOTP code</label>
          <input id="deny-code" class="code" type="text" inputmode="numeric" autocomplete="one-time-code" maxlength="10">
        </div>
        <div class="buttons">
          <button type="submit" class="deny" id="deny">Deny request</button>
          <button type="button" id="deny-cancel">Cancel</button>
        </div>
      </fieldset>
    </form>
  </section>
  <section id="confirm" hidden aria-labelledby="confirm-title">
    <h2 id="confirm-title">Confirm with your second factor</h2>
    <p>Airlock holds your statement until you confirm it is you.</p>
    <form id="confirm-form" novalidate>
      <label for="confirm-code">Your TOTP code</label>
      <input id="confirm-code" class="code" type="text" inputmode="numeric" autocomplete="one-time-code" maxlength="10" required>
      <div class="buttons"><button type="submit" class="approve" id="confirm-button">Confirm</button></div>
    </form>
  </section>
</section>
<p><a href="/approvals">All pending requests</a></p>
</main>
`;

const SCRIPT = String.raw`
var id = decodeURIComponent(location.pathname.replace(/\/+$/, '').split('/').pop() || '');
var apiPath = '/v1/approvals/' + encodeURIComponent(id);
var shown = null;          // the last view rendered: decisions name its action hash
var viewer = {};           // the token's claims (display only)
var deadline = 0;          // performance.now() at which the request expires
var pollTimer = null;
var busy = false;

var STATUS = {
  pending: ['Waiting for a decision', 'Nothing runs until the request is decided.'],
  approved: ['Approved', 'The statement runs once.'],
  consumed: ['Approved', 'The statement was released to run, once.'],
  denied: ['Denied', 'The statement was not run.'],
  expired: ['Timed out', 'Nobody decided in time; the statement was not run.'],
  withdrawn: ['Withdrawn', 'The requester cancelled or disconnected; nothing was run.']
};

function requesterText(r) {
  var text = r.subject + (r.email ? ' <' + r.email + '>' : '');
  return r.groups && r.groups.length ? text + ' (groups: ' + r.groups.join(', ') + ')' : text;
}

/** "0/1 of dba and 1/2 of security" -> "0 of 1 from dba and 1 of 2 from security". */
function progressText(progress) {
  return String(progress).replace(/(\d+)\/(\d+) of /g, '$1 of $2 from ');
}

function voteText(v) {
  var how = [v.mfa ? 'with TOTP' : null, v.channel ? 'via ' + v.channel : null].filter(Boolean).join(', ');
  return v.approver + (v.decision === 'approve' ? ' approved' : ' denied') + (how ? ' (' + how + ')' : '') + ' at ' + localTime(v.at) + (v.reason ? ': ' + v.reason : '');
}

function isRequester(view) { return typeof viewer.sub === 'string' && viewer.sub === view.requester.subject; }

function render(view) {
  shown = view;
  var pending = view.status === 'pending';
  document.title = (view.kind === 'step_up' ? 'Step-up' : 'Approval') + ' request · Airlock';
  setText(byId('title'), (view.kind === 'step_up' ? 'Step-up needed: ' : 'Approval needed: ') + view.action.protocol + ' on ' + view.action.target);
  var status = STATUS[view.status] || [view.status, ''];
  var pill = byId('status');
  pill.className = 'status status-' + view.status;
  setText(pill, view.status === 'consumed' ? 'Approved · executed' : status[0]);
  var resolution = view.resolution && view.resolution.reason ? view.resolution.reason + '. ' : '';
  setText(byId('status-text'), pending ? status[1] : resolution + status[1]);
  setText(byId('f-requester'), requesterText(view.requester));
  setText(byId('f-target'), view.action.target + ' (' + view.action.protocol + '), from ' + view.action.source + ', session ' + view.action.sessionId);
  var risk = byId('f-risk');
  risk.className = 'risk-' + view.action.risk;
  setText(risk, view.action.risk);
  setText(byId('f-rules'), view.action.rules.length ? view.action.rules.join(', ') : '(defaults)');
  setText(byId('f-reason'), view.reason || '(none given)');
  var impact = view.action.facts && view.action.facts.impact;
  byId('f-impact-title').hidden = !impact;
  byId('f-impact').hidden = !impact;
  setText(byId('f-impact'), impact || '');
  setText(byId('f-eligible'), view.eligible + (view.kind === 'approval' && view.mfa_required ? ' (with their TOTP code)' : ''));
  setText(byId('f-progress'), view.progress ? progressText(view.progress) : (pending ? 'waiting for the requester' : '-'));
  setText(byId('f-id'), view.id);
  setText(byId('f-hash'), view.action.hash);
  setText(byId('f-command'), view.action.command);
  var votes = byId('votes');
  votes.replaceChildren.apply(votes, view.votes.map(function (v) { return make('li', voteText(v)); }));
  byId('votes-section').hidden = view.votes.length === 0;
  deadline = performance.now() + view.expires_in_seconds * 1000;
  tick();

  var own = isRequester(view);
  byId('decide').hidden = !(pending && view.kind === 'approval');
  byId('own-request').hidden = !own;
  // The requester is told who decides instead of being offered buttons the API would refuse.
  byId('approve-form').hidden = own;
  if (own) byId('deny-form').hidden = true;
  Array.prototype.forEach.call(document.querySelectorAll('.mfa-field'), function (field) { field.hidden = !view.mfa_required; });
  byId('confirm').hidden = !(pending && view.kind === 'step_up' && own);
  byId('request').hidden = false;
  byId('loading').hidden = true;
  schedulePoll();
}

function tick() {
  if (!shown) return;
  var expiry = byId('f-expiry');
  if (shown.status !== 'pending') { setText(expiry, localTime(shown.expires_at) + ' (closed)'); return; }
  var left = (deadline - performance.now()) / 1000;
  setText(expiry, left > 0 ? 'in ' + formatDuration(left) + ' (' + localTime(shown.expires_at) + ')' : 'now: the request has timed out');
}

function schedulePoll() {
  if (pollTimer) clearTimeout(pollTimer);
  pollTimer = shown && shown.status === 'pending' ? setTimeout(function () { load(false); }, 5000) : null;
}

function load(announce) {
  if (!currentToken()) return;
  if (announce) { byId('loading').hidden = false; }
  return api('GET', apiPath).then(function (result) {
    if (result.ok) {
      render(result.body);
      if (announce) byId('title').focus();
      return;
    }
    byId('loading').hidden = true;
    if (isTokenProblem(result)) return askForToken('Airlock did not accept that token: ' + problemText(result));
    if (announce || result.status !== 0) showError(problemText(result));
    if (result.status === 404) { byId('request').hidden = true; shown = null; }
    schedulePoll();
  });
}

function setBusy(value) {
  busy = value;
  ['approve', 'deny-open', 'deny', 'confirm-button'].forEach(function (name) { byId(name).disabled = value; });
}

/** POSTs a decision; on success re-renders from the answer, otherwise shows the problem. */
function submit(path, payload, done) {
  if (busy || !shown) return;
  clearMessages();
  setBusy(true);
  api('POST', apiPath + path, payload).then(function (result) {
    setBusy(false);
    if (result.ok) {
      render(result.body);
      done(result.body);
      return;
    }
    if (isTokenProblem(result)) return askForToken('Airlock did not accept that token: ' + problemText(result));
    showError('Not recorded: ' + problemText(result));
    // The request may have moved on (decided elsewhere, expired): show what it is now.
    if (result.status === 409) load(false);
  });
}

function codeOf(input) { return input.value.replace(/\s+/g, ''); }

function needCode(input) {
  if (!shown.mfa_required) return false;
  if (/^\d{6,10}$/.test(codeOf(input))) return false;
  showError('Enter the current 6-digit code from your authenticator app.');
  input.focus();
  return true;
}

byId('approve-form').addEventListener('submit', function (event) {
  event.preventDefault();
  var code = byId('approve-code');
  if (needCode(code)) return;
  var payload = { action_hash: shown.action.hash };
  var comment = byId('approve-comment').value.trim();
  if (comment) payload.reason = comment;
  if (shown.mfa_required) payload.mfa_code = codeOf(code);
  submit('/approve', payload, function (view) {
    code.value = '';
    showNotice(view.status === 'pending' ? 'Your approval is recorded; more approvers are needed (' + progressText(view.progress) + ').' : 'You approved this request.');
  });
});

byId('deny-open').addEventListener('click', function () {
  byId('deny-form').hidden = false;
  byId('deny-open').setAttribute('aria-expanded', 'true');
  byId('deny-reason').focus();
});

byId('deny-cancel').addEventListener('click', function () {
  byId('deny-form').hidden = true;
  byId('deny-open').setAttribute('aria-expanded', 'false');
  byId('deny-open').focus();
});

byId('deny-form').addEventListener('submit', function (event) {
  event.preventDefault();
  var reason = byId('deny-reason').value.trim();
  if (!reason) { showError('Say why you deny it: the requester and the audit log see the reason.'); byId('deny-reason').focus(); return; }
  var code = byId('deny-code');
  if (needCode(code)) return;
  var payload = { reason: reason, action_hash: shown.action.hash };
  if (shown.mfa_required) payload.mfa_code = codeOf(code);
  submit('/deny', payload, function () {
    code.value = '';
    byId('deny-form').hidden = true;
    showNotice('You denied this request. The statement will not run.');
  });
});

byId('confirm-form').addEventListener('submit', function (event) {
  event.preventDefault();
  var code = byId('confirm-code');
  if (!/^\d{6,10}$/.test(codeOf(code))) { showError('Enter the current 6-digit code from your authenticator app.'); code.focus(); return; }
  submit('/confirm', { code: codeOf(code) }, function () {
    code.value = '';
    showNotice('Confirmed. Your statement runs now.');
  });
});

document.addEventListener('airlock:signed-out', function () {
  shown = null;
  if (pollTimer) clearTimeout(pollTimer);
  byId('request').hidden = true;
});

setInterval(tick, 1000);

if (!/^[A-Za-z0-9_-]{1,128}$/.test(id)) {
  showError('This address does not name an approval request.');
} else {
  setupSignIn(function (claims) { viewer = claims; load(true); });
}
`;

/** The page for one set of sign-in options (compiled once, at route registration). */
export function approvalPage(options: SignInOptions): PageRenderer {
  return compilePage({ title: 'Approval request · Airlock', body: body(options), script: CLIENT_COMMON + PUSH_CLIENT + SCRIPT });
}
