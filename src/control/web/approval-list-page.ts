import { CLIENT_COMMON } from './client-common.js';
import { PUSH_CLIENT } from './push-client.js';
import { compilePage, type PageRenderer } from './html-page.js';
import { signInMarkup, type SignInOptions } from './sign-in-markup.js';

// GET /approvals: the pending requests the signed-in user may see (the API
// filters: their own, the ones they may decide, all for admins).

const body = (options: SignInOptions): string => `
<main id="content">
<h1 id="title" tabindex="-1">Pending requests</h1>
${signInMarkup(options)}
<section id="list" hidden aria-labelledby="title">
  <p id="empty" hidden>Nothing is waiting for you.</p>
  <table id="table" hidden>
    <caption class="skip">Pending approval and step-up requests</caption>
    <thead><tr><th scope="col">Request</th><th scope="col">Requester</th><th scope="col">Target</th><th scope="col">Risk</th><th scope="col">Command</th><th scope="col">Expires in</th></tr></thead>
    <tbody id="rows"></tbody>
  </table>
  <div class="buttons"><button type="button" id="refresh">Refresh</button></div>
</section>
</main>
`;

const SCRIPT = String.raw`
var COMMAND_CHARS = 160;
var pollTimer = null;

function summary(command) {
  var line = String(command).replace(/\s+/g, ' ').trim();
  return line.length > COMMAND_CHARS ? line.slice(0, COMMAND_CHARS - 1) + '…' : line;
}

function row(view) {
  var tr = make('tr');
  var link = make('a', view.kind === 'step_up' ? 'Step-up ' + view.id.slice(0, 8) : 'Review ' + view.id.slice(0, 8), {
    href: '/approvals/' + encodeURIComponent(view.id),
    'aria-label': (view.kind === 'step_up' ? 'Step-up request ' : 'Approval request ') + view.id + ' by ' + view.requester.subject
  });
  var first = make('td');
  first.appendChild(link);
  tr.appendChild(first);
  tr.appendChild(make('td', view.requester.subject));
  tr.appendChild(make('td', view.action.target + ' (' + view.action.protocol + ')'));
  tr.appendChild(make('td', view.action.risk, { 'class': 'risk-' + view.action.risk }));
  var command = make('td');
  command.appendChild(make('code', summary(view.action.command)));
  tr.appendChild(command);
  tr.appendChild(make('td', formatDuration(view.expires_in_seconds)));
  return tr;
}

function load(announce) {
  if (!currentToken()) return;
  api('GET', '/v1/approvals?status=pending').then(function (result) {
    if (!result.ok) {
      if (isTokenProblem(result)) return askForToken('Airlock did not accept that token: ' + problemText(result));
      showError(problemText(result));
      return;
    }
    setText(byId('error'), '');
    var pending = (result.body.approvals || []).filter(function (v) { return v.status === 'pending'; });
    var rows = byId('rows');
    rows.replaceChildren.apply(rows, pending.map(row));
    byId('table').hidden = pending.length === 0;
    byId('empty').hidden = pending.length !== 0;
    byId('list').hidden = false;
    if (announce) byId('title').focus();
    if (pollTimer) clearTimeout(pollTimer);
    pollTimer = setTimeout(function () { load(false); }, 5000);
  });
}

byId('refresh').addEventListener('click', function () { load(false); });
document.addEventListener('airlock:signed-out', function () {
  if (pollTimer) clearTimeout(pollTimer);
  byId('list').hidden = true;
});
setupSignIn(function () { load(true); });
`;

/** The page for one set of sign-in options (compiled once, at route registration). */
export function approvalListPage(options: SignInOptions): PageRenderer {
  return compilePage({ title: 'Pending requests · Airlock', body: body(options), script: CLIENT_COMMON + PUSH_CLIENT + SCRIPT });
}
