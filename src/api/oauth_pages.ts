import type { ConsentView, NamedAccountView, SignInView, TppView } from '../oauth/oauth_service';
import type { PsuAccount } from '../oauth/consent_port';

/**
 * The PSU-facing pages of the authorisation step. Server-rendered, no script, one same-origin stylesheet,
 * so the CSP can forbid everything else. Every dynamic value passes through `esc`.
 */

export const OAUTH_STYLESHEET_PATH = '/oauth2/authorize/style.css';
export const AUTHORIZE_PATH = '/oauth2/authorize';

export interface PageChrome {
  bankName: string;
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function esc(value: string | number): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

export function layout(chrome: PageChrome, title: string, main: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${esc(title)} – ${esc(chrome.bankName)}</title>
<link rel="stylesheet" href="${OAUTH_STYLESHEET_PATH}">
</head>
<body>
<header class="bank-bar"><p class="bank-name">${esc(chrome.bankName)}</p></header>
<main id="main">
${main}
</main>
<footer class="page-footer"><p>${esc(chrome.bankName)} asks for your password only on its own pages. Check the address bar.</p></footer>
</body>
</html>
`;
}

export function tppSummary(tpp: TppView, heading: string): string {
  return `<section aria-labelledby="who" class="card">
<h2 id="who">${esc(heading)}</h2>
<dl class="facts">
<dt>Provider</dt><dd class="tpp-name">${esc(tpp.name)}</dd>
<dt>Licence number</dt><dd><code>${esc(tpp.organizationIdentifier)}</code></dd>
<dt>Licensed by</dt><dd>${esc(tpp.ncaName)} (${esc(tpp.ncaId)})</dd>
</dl>
</section>`;
}

export function hidden(csrfToken: string): string {
  return `<input type="hidden" name="csrf_token" value="${esc(csrfToken)}">`;
}

function signInPurpose(view: SignInView): string {
  return view.purpose === 'payment'
    ? 'asks you to approve a payment'
    : 'asks for access to your account information';
}

export function signInPage(chrome: PageChrome, view: SignInView): string {
  if (!view.passwordSignIn) {
    return layout(
      chrome,
      'Sign in',
      `<h1>Sign in to ${esc(chrome.bankName)}</h1>
<p class="lead"><strong>${esc(view.tpp.name)}</strong> ${signInPurpose(view)}.</p>
${tppSummary(view.tpp, 'Requested by')}
<p id="sign-in-unavailable" class="error" role="alert">Signing in here requires ${esc(chrome.bankName)}'s identity provider, which is not set up for this gateway. No password can be entered on this page. Return to the app you came from.</p>`,
    );
  }
  const failed = view.error === 'credentials';
  const describedBy = failed ? ' aria-describedby="sign-in-error" aria-invalid="true"' : '';
  const error = failed
    ? '<p id="sign-in-error" class="error" role="alert">The username or password is not correct. Please try again.</p>\n'
    : '';
  return layout(
    chrome,
    'Sign in',
    `<h1>Sign in to ${esc(chrome.bankName)}</h1>
<p class="lead"><strong>${esc(view.tpp.name)}</strong> ${signInPurpose(view)}. Sign in to see the request and decide.</p>
${tppSummary(view.tpp, 'Requested by')}
${error}<form method="post" action="${AUTHORIZE_PATH}" class="card" novalidate>
${hidden(view.csrfToken)}
<div class="field">
<label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required autofocus${describedBy}>
</div>
<div class="field">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required${describedBy}>
</div>
<div class="actions"><button type="submit" class="primary">Sign in</button></div>
</form>`,
  );
}

function yesNo(value: boolean): string {
  return value ? 'Yes' : '<span class="muted">No</span>';
}

function accountLabel(account: PsuAccount | undefined, iban: string): string {
  return account === undefined
    ? `<code>${esc(iban)}</code>`
    : `${esc(account.name)} <span class="muted">(${esc(account.currency)})</span><br><code>${esc(iban)}</code>`;
}

function namedTable(accounts: NamedAccountView[]): string {
  const rows = accounts
    .map(
      (a) =>
        `<tr><th scope="row">${accountLabel(a.account, a.iban)}</th><td>${yesNo(a.details)}</td><td>${yesNo(a.balances)}</td><td>${yesNo(a.transactions)}</td></tr>`,
    )
    .join('\n');
  return `<table class="accounts">
<caption>Accounts and information requested</caption>
<thead><tr><th scope="col">Account</th><th scope="col">Details</th><th scope="col">Balances</th><th scope="col">Transactions</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`;
}

const CHOOSE_TEXT = {
  availableAccounts: 'The list of your accounts (names and IBANs only).',
  allPsd2: 'Details, balances and transactions of the accounts you choose below.',
  bankOffered: 'Details, balances and transactions of the accounts you choose below.',
} as const;

function chooser(view: ConsentView, access: Extract<ConsentView['access'], { kind: 'choose' }>): string {
  const missing = view.error === 'noAccountSelected';
  const error = missing
    ? '<p id="accounts-error" class="error" role="alert">Choose at least one account, or deny access.</p>\n'
    : '';
  const boxes = access.accounts
    .map((a, i) => {
      const checked = access.selected.includes(a.iban) ? ' checked' : '';
      return `<div class="check"><input type="checkbox" id="account-${i}" name="accounts" value="${esc(a.iban)}"${checked}><label for="account-${i}">${esc(a.name)} <span class="muted">(${esc(a.currency)})</span> <code>${esc(a.iban)}</code></label></div>`;
    })
    .join('\n');
  const describedBy = missing ? ' aria-describedby="accounts-error"' : '';
  return `<p>${esc(CHOOSE_TEXT[access.scope])}</p>
${error}<fieldset${describedBy}>
<legend>Accounts to share</legend>
${boxes === '' ? '<p>You have no accounts that can be shared.</p>' : boxes}
</fieldset>`;
}

export function consentPage(chrome: PageChrome, view: ConsentView): string {
  const access = view.access;
  if (access.kind === 'notYours') return notYoursPage(chrome, view, access.ibans);
  const what = access.kind === 'named' ? namedTable(access.accounts) : chooser(view, access);
  return layout(
    chrome,
    'Review access request',
    `<h1>Allow ${esc(view.tpp.name)} to see your account information?</h1>
<p class="lead">Signed in as <strong>${esc(view.psuName)}</strong>.</p>
${tppSummary(view.tpp, 'Who is asking')}
<form method="post" action="${AUTHORIZE_PATH}">
${hidden(view.csrfToken)}
<section aria-labelledby="what" class="card">
<h2 id="what">What it asks for</h2>
${what}
<dl class="facts">
<dt>Valid until</dt><dd><time datetime="${esc(view.validUntil)}">${esc(view.validUntil)}</time></dd>
<dt>Access</dt><dd>${view.recurringIndicator ? 'Recurring' : 'One-off'}, up to ${esc(view.frequencyPerDay)} times a day while you are not using the app</dd>
</dl>
</section>
<p>You can withdraw this consent at any time.</p>
<div class="actions">
<button type="submit" name="decision" value="approve" class="primary">Allow access</button>
<button type="submit" name="decision" value="deny" class="secondary">Deny</button>
</div>
</form>`,
  );
}

function notYoursPage(chrome: PageChrome, view: ConsentView, ibans: string[]): string {
  const list = ibans.map((iban) => `<li><code>${esc(iban)}</code></li>`).join('\n');
  return layout(
    chrome,
    'Request cannot be approved',
    `<h1>This request cannot be approved</h1>
<p class="error" role="alert" id="not-yours">${esc(view.tpp.name)} asks for accounts that do not belong to you:</p>
<ul>
${list}
</ul>
<p>You can only share your own accounts. Deny the request and ask ${esc(view.tpp.name)} to try again with your accounts.</p>
${tppSummary(view.tpp, 'Who is asking')}
<form method="post" action="${AUTHORIZE_PATH}">
${hidden(view.csrfToken)}
<div class="actions"><button type="submit" name="decision" value="deny" class="primary" aria-describedby="not-yours">Deny and return</button></div>
</form>`,
  );
}

export function errorPage(chrome: PageChrome, text: string): string {
  return layout(
    chrome,
    'Request cannot be completed',
    `<h1>This request cannot be completed</h1>
<p class="error" role="alert">${esc(text)}</p>
<p>Nothing was shared. You can close this window and return to the app you came from.</p>`,
  );
}

/** Served from the router so the CSP can stay at `style-src 'self'` with no inline styles. */
export const OAUTH_STYLESHEET = `:root{color-scheme:light;--ink:#1b1f24;--muted:#57606a;--brand:#0b3d6e;--line:#d0d7de;--bg:#f6f8fa;--err:#b3261e}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
.bank-bar{background:var(--brand);color:#fff;padding:.75rem 1.25rem}
.bank-name{margin:0;font-weight:700;letter-spacing:.02em}
main{max-width:40rem;margin:1.5rem auto;padding:0 1rem}
h1{font-size:1.5rem;line-height:1.25;margin:0 0 .75rem}
h2{font-size:1.1rem;margin:0 0 .5rem}
.lead{margin-top:0}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:1rem 1.25rem;margin:1rem 0}
.label{margin:0 0 .25rem;font-weight:600}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:.5rem 0 0}
.facts dt{color:var(--muted)}
.facts dd{margin:0}
.tpp-name{font-weight:700}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.95em}
.muted{color:var(--muted)}
.field{margin:0 0 1rem}
label{display:block;font-weight:600;margin-bottom:.25rem}
input[type=text],input[type=password]{width:100%;padding:.6rem .7rem;font:inherit;border:1px solid #8c959f;border-radius:6px}
input[aria-invalid=true]{border-color:var(--err)}
:focus-visible{outline:3px solid #0969da;outline-offset:2px}
.actions{display:flex;gap:.75rem;flex-wrap:wrap;margin:1rem 0}
button{font:inherit;font-weight:600;padding:.6rem 1.2rem;border-radius:6px;cursor:pointer;border:2px solid var(--brand)}
.primary{background:var(--brand);color:#fff}
.secondary{background:#fff;color:var(--brand)}
.error{color:var(--err);border-left:4px solid var(--err);background:#fff;padding:.5rem .75rem;font-weight:600}
table.accounts{width:100%;border-collapse:collapse;margin:.5rem 0 1rem}
table.accounts caption{text-align:left;color:var(--muted);padding-bottom:.25rem}
table.accounts th,table.accounts td{border-bottom:1px solid var(--line);padding:.5rem .4rem;text-align:left;vertical-align:top}
table.accounts th[scope=row]{font-weight:400}
fieldset{border:1px solid var(--line);border-radius:6px;padding:.5rem 1rem;margin:.5rem 0 1rem}
legend{font-weight:600;padding:0 .25rem}
.check{display:flex;gap:.5rem;align-items:baseline;margin:.4rem 0}
.check label{display:inline;font-weight:400}
.page-footer{max-width:40rem;margin:2rem auto;padding:0 1rem;color:var(--muted);font-size:.875rem}
`;
