/** The pages' one stylesheet: readable, high contrast, visible focus, no external fonts. */
export const PAGE_STYLE = `
:root { color-scheme: light dark; --fg: #1b1f24; --bg: #ffffff; --muted: #57606a; --line: #d0d7de; --accent: #0a58ca;
  --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --code-bg: #f6f8fa; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9198a1; --line: #30363d; --accent: #4493f8; --ok: #3fb950; --bad: #f85149;
    --warn: #d29922; --code-bg: #161b22; }
}
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
main { max-width: 52rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
h1 { font-size: 1.5rem; margin: 0 0 1rem; }
h2 { font-size: 1.15rem; margin: 1.5rem 0 .5rem; }
a { color: var(--accent); }
.muted { color: var(--muted); }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 1rem; top: 1rem; background: var(--bg); padding: .25rem .5rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .35rem 1rem; margin: 0; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
pre.command { background: var(--code-bg); border: 1px solid var(--line); border-radius: 6px; padding: .75rem; overflow-x: auto;
  white-space: pre-wrap; word-break: break-word; font: 14px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.status { display: inline-block; font-weight: 700; padding: .1rem .6rem; border-radius: 999px; border: 2px solid currentColor; }
.status-pending { color: var(--warn); }
.status-approved, .status-consumed { color: var(--ok); }
.status-denied, .status-expired, .status-withdrawn { color: var(--bad); }
.risk-critical, .risk-high { color: var(--bad); font-weight: 700; }
.risk-medium { color: var(--warn); font-weight: 700; }
form, fieldset { margin: 0; }
fieldset { border: 1px solid var(--line); border-radius: 6px; padding: .75rem 1rem 1rem; margin-top: 1rem; }
legend { font-weight: 600; padding: 0 .25rem; }
label { display: block; font-weight: 600; margin: .5rem 0 .25rem; }
input[type=text], input[type=password], textarea { width: 100%; font: inherit; padding: .45rem .55rem; color: var(--fg);
  background: var(--bg); border: 1px solid var(--muted); border-radius: 6px; }
input.code { width: 10ch; letter-spacing: .15em; font-family: ui-monospace, monospace; }
textarea { min-height: 4.5rem; }
.hint { font-size: .9rem; color: var(--muted); margin: .2rem 0 0; }
.buttons { display: flex; flex-wrap: wrap; gap: .5rem; margin-top: .75rem; }
button { font: inherit; font-weight: 600; padding: .45rem 1rem; border-radius: 6px; border: 1px solid var(--line); cursor: pointer;
  background: var(--code-bg); color: var(--fg); }
button.approve { background: var(--ok); border-color: var(--ok); color: #fff; }
button.deny { background: var(--bad); border-color: var(--bad); color: #fff; }
button:disabled { opacity: .6; cursor: progress; }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
/* Headings and message boxes take focus only programmatically (to be announced); no ring there. */
[tabindex="-1"]:focus { outline: none; }
.alert { border: 2px solid var(--bad); border-radius: 6px; padding: .6rem .8rem; margin: 1rem 0; }
.notice { border: 2px solid var(--ok); border-radius: 6px; padding: .6rem .8rem; margin: 1rem 0; }
.alert:empty, .notice:empty { display: none; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
td code { overflow-wrap: anywhere; }
.whoami { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; margin-bottom: 1rem; }
[hidden] { display: none !important; }
main.terminal-main { max-width: none; }
.terminal { height: calc(100vh - 12rem); min-height: 16rem; background: #000; padding: .25rem; }
`;
