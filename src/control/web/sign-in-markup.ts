/** Which ways of signing in a page offers. */
export interface SignInOptions {
  /** Sign in with the identity provider (GET /auth/login). */
  readonly signIn: boolean;
  /** The "paste your token" form (demo, or no identity provider configured). */
  readonly tokenForm: boolean;
}

/**
 * Markup shared by every page: the message regions and the ways to sign in.
 * Either way the page ends up with a token kept in this tab's sessionStorage
 * only and sent to this origin only, as a bearer token.
 */
export function signInMarkup(options: SignInOptions): string {
  const idp = options.signIn
    ? `
  <p><a id="idp-sign-in" class="button" href="/auth/login">Sign in with your organisation's account</a></p>`
    : '';
  const form = options.tokenForm
    ? `
  <form id="token-form" novalidate>
    <label for="token">${options.signIn ? 'Or paste an access token (JWT)' : 'Access token (JWT)'}</label>
    <input id="token" name="token" type="password" autocomplete="off" autocapitalize="off" spellcheck="false" required aria-describedby="token-hint">
    <p id="token-hint" class="hint">The token you use as your PostgreSQL password. It stays in this browser tab only (sessionStorage) and is sent only to Airlock.</p>
    <div class="buttons"><button type="submit">Continue</button></div>
  </form>`
    : '';
  return `
<div id="error" class="alert" role="alert" tabindex="-1"></div>
<div id="notice" class="notice" role="status" tabindex="-1"></div>
<section id="signin" hidden aria-labelledby="signin-title">
  <h2 id="signin-title">Sign in</h2>${idp}${form}
</section>
<div id="whoami" class="whoami" hidden>
  <span>Signed in as <strong id="whoami-subject"></strong></span>
  <button type="button" id="forget">${options.signIn ? 'Sign out' : 'Use a different token'}</button>
</div>
<div id="push" class="whoami" hidden>
  <button type="button" id="push-enable">Notify me on this device</button>
  <button type="button" id="push-disable" hidden>Stop notifications on this device</button>
  <span id="push-state" class="hint"></span>
</div>
`;
}
