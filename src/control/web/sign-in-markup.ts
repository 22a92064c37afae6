/**
 * Markup shared by every page: the message regions and the token form. The
 * token is pasted, kept in this tab's sessionStorage only, and sent to this
 * origin only, as a bearer token.
 */
export const SIGN_IN_MARKUP = `
<div id="error" class="alert" role="alert" tabindex="-1"></div>
<div id="notice" class="notice" role="status" tabindex="-1"></div>
<section id="signin" hidden aria-labelledby="signin-title">
  <h2 id="signin-title">Sign in with your access token</h2>
  <form id="token-form" novalidate>
    <label for="token">Access token (JWT)</label>
    <input id="token" name="token" type="password" autocomplete="off" autocapitalize="off" spellcheck="false" required aria-describedby="token-hint">
    <p id="token-hint" class="hint">The token you use as your PostgreSQL password. It stays in this browser tab only (sessionStorage) and is sent only to Airlock.</p>
    <div class="buttons"><button type="submit">Continue</button></div>
  </form>
</section>
<div id="whoami" class="whoami" hidden>
  <span>Signed in as <strong id="whoami-subject"></strong></span>
  <button type="button" id="forget">Use a different token</button>
</div>
`;
