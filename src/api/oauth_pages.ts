import type { ConsentView, NamedAccountView, SignInView, TppView } from './oauth_view_models';
import type { PsuAccount } from '../oauth/consent_port';
import { PAGE_TEXT, translatedError, type Lang, type PageText } from './page_text';
import { formattedAmount, type PaymentAuthorisationView } from './authorisation_view';

/**
 * The PSU-facing pages of the authorisation step. Server-rendered, no script, one same-origin stylesheet,
 * so the CSP can forbid everything else. Every dynamic value passes through `esc`; every text comes from
 * page_text.ts in the page's language.
 */

export const OAUTH_STYLESHEET_PATH = '/oauth2/authorize/style.css';
export const AUTHORIZE_PATH = '/oauth2/authorize';

export interface PageChrome {
  bankName: string;
  lang: Lang;
  /** Where the language switch goes; no switch without it. */
  switchHref?: string;
}

export function text(chrome: PageChrome): PageText {
  return PAGE_TEXT[chrome.lang];
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** IBANs in groups of four, as printed on cards and statements; form values stay unspaced. */
export function groupIban(iban: string): string {
  return iban.replace(/\s+/g, '').replace(/(.{4})(?=.)/g, '$1 ');
}

/** Where a decision sends the browser, as the PSU should check it: the host, or the app's scheme. */
function destination(redirectUri: string): string {
  const url = new URL(redirectUri);
  return url.host !== '' ? url.host : url.protocol.replace(/:$/, '');
}

export function esc(value: string | number): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

function languageSwitch(chrome: PageChrome): string {
  if (chrome.switchHref === undefined) return '';
  const t = text(chrome);
  const other = chrome.lang === 'en' ? 'de' : 'en';
  return `<nav class="lang-switch" aria-label="${esc(t.languageNav)}"><a href="${esc(chrome.switchHref)}" lang="${other}" hreflang="${other}">${esc(t.otherLanguage)}</a></nav>`;
}

export function layout(chrome: PageChrome, title: string, main: string): string {
  const t = text(chrome);
  return `<!doctype html>
<html lang="${chrome.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${esc(title)} – ${esc(chrome.bankName)}</title>
<link rel="stylesheet" href="${OAUTH_STYLESHEET_PATH}">
</head>
<body>
<header class="bank-bar"><p class="bank-name">${esc(chrome.bankName)}</p>${languageSwitch(chrome)}</header>
<main id="main">
${main}
</main>
<footer class="page-footer"><p>${esc(t.footer(chrome.bankName))}</p></footer>
</body>
</html>
`;
}

export function tppSummary(chrome: PageChrome, tpp: TppView, heading: string): string {
  const t = text(chrome);
  return `<section aria-labelledby="who" class="card">
<h2 id="who">${esc(heading)}</h2>
<dl class="facts">
<dt>${esc(t.provider)}</dt><dd class="tpp-name">${esc(tpp.name)}</dd>
<dt>${esc(t.licenceNumber)}</dt><dd><code>${esc(tpp.organizationIdentifier)}</code></dd>
<dt>${esc(t.licensedBy)}</dt><dd>${esc(tpp.ncaName)} (${esc(tpp.ncaId)})</dd>
</dl>
</section>`;
}

export function hidden(csrfToken: string): string {
  return `<input type="hidden" name="csrf_token" value="${esc(csrfToken)}">`;
}

export type SignInError = 'credentials' | 'locked' | 'expired';

function signInErrorText(t: PageText, error: SignInError, retryAfterMinutes: number): string {
  return error === 'locked' ? t.signInErrors.locked(retryAfterMinutes) : t.signInErrors[error];
}

/** Amount and payee, shown before the final factor; the code hint points at them. */
export function authorisingCard(chrome: PageChrome, view: PaymentAuthorisationView): string {
  const t = text(chrome);
  return `<section aria-labelledby="authorising" class="card">
<h2 id="authorising">${esc(t.authorisingHeading)}</h2>
<dl class="facts">
<dt>${esc(t.amount)}</dt><dd class="amount">${esc(formattedAmount(chrome.lang, view.amount, view.currency))}</dd>
<dt>${esc(t.payee)}</dt><dd>${esc(view.creditorName)}</dd>
<dt>${esc(t.payeeAccount)}</dt><dd><code>${esc(groupIban(view.creditorIban))}</code></dd>
</dl>
<p id="authorising-hint" class="hint">${esc(t.authorisingHint)}</p>
</section>`;
}

/**
 * The two-factor sign-in form, shared by the authorisation page, the consent dashboard and (with
 * `authorising`) the payment's authorisation: what is authorised is shown first, and the one-time code
 * field refers to it.
 */
export function signInForm(
  chrome: PageChrome,
  params: {
    action: string;
    csrfToken: string;
    error?: SignInError;
    retryAfterMinutes?: number;
    authorising?: PaymentAuthorisationView;
  },
): string {
  const t = text(chrome);
  const authorising =
    params.authorising === undefined ? '' : `${authorisingCard(chrome, params.authorising)}\n`;
  const otpHints = params.authorising === undefined ? 'otp-hint' : 'otp-hint authorising-hint';
  const failed = params.error !== undefined;
  const describedBy = failed ? ' aria-describedby="sign-in-error" aria-invalid="true"' : '';
  const error =
    params.error === undefined
      ? ''
      : `<p id="sign-in-error" class="error" role="alert">${esc(signInErrorText(t, params.error, params.retryAfterMinutes ?? 15))}</p>\n`;
  return `${authorising}${error}<form method="post" action="${esc(params.action)}" class="card" novalidate>
${hidden(params.csrfToken)}
<div class="field">
<label for="username">${esc(t.username)}</label>
<input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required autofocus${describedBy}>
</div>
<div class="field">
<label for="password">${esc(t.password)}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required${describedBy}>
</div>
<div class="field">
<label for="otp">${esc(t.oneTimeCode)}</label>
<p id="otp-hint" class="hint">${esc(t.oneTimeCodeHint(chrome.bankName))}</p>
<input id="otp" name="otp" type="text" inputmode="numeric" pattern="[0-9]*" maxlength="8" autocomplete="one-time-code" required aria-describedby="${otpHints}${failed ? ' sign-in-error' : ''}"${failed ? ' aria-invalid="true"' : ''}>
</div>
<div class="actions"><button type="submit" class="primary">${esc(t.signIn)}</button></div>
</form>`;
}

export function signInPage(chrome: PageChrome, view: SignInView): string {
  const t = text(chrome);
  if (!view.passwordSignIn) {
    return layout(
      chrome,
      t.signInTitle,
      `<h1>${esc(t.signInHeading(chrome.bankName))}</h1>
<p class="lead">${view.authorising !== undefined ? t.payment.signInLeadShort(esc(view.tpp.name)) : t.signInLeadShort(esc(view.tpp.name))}</p>
${tppSummary(chrome, view.tpp, t.requestedBy)}
<p id="sign-in-unavailable" class="error" role="alert">${esc(t.signInUnavailable(chrome.bankName))}</p>`,
    );
  }
  return layout(
    chrome,
    t.signInTitle,
    `<h1>${esc(t.signInHeading(chrome.bankName))}</h1>
<p class="lead">${view.authorising !== undefined ? t.payment.signInLead(esc(view.tpp.name)) : t.signInLead(esc(view.tpp.name))}</p>
${tppSummary(chrome, view.tpp, t.requestedBy)}
${signInForm(chrome, {
  action: AUTHORIZE_PATH,
  csrfToken: view.csrfToken,
  ...(view.error !== undefined ? { error: view.error } : {}),
  ...(view.retryAfterMinutes !== undefined ? { retryAfterMinutes: view.retryAfterMinutes } : {}),
  ...(view.authorising !== undefined ? { authorising: view.authorising } : {}),
})}`,
  );
}

function yesNo(t: PageText, value: boolean): string {
  return value ? esc(t.yes) : `<span class="muted">${esc(t.no)}</span>`;
}

function accountLabel(account: PsuAccount | undefined, iban: string): string {
  return account === undefined
    ? `<code>${esc(groupIban(iban))}</code>`
    : `${esc(account.name)} <span class="muted">(${esc(account.currency)})</span><br><code>${esc(groupIban(iban))}</code>`;
}

function namedTable(t: PageText, accounts: NamedAccountView[]): string {
  const rows = accounts
    .map(
      (a) =>
        `<tr><th scope="row">${accountLabel(a.account, a.iban)}</th><td>${yesNo(t, a.details)}</td><td>${yesNo(t, a.balances)}</td><td>${yesNo(t, a.transactions)}</td></tr>`,
    )
    .join('\n');
  return `<table class="accounts">
<caption>${esc(t.accountsCaption)}</caption>
<thead><tr><th scope="col">${esc(t.account)}</th><th scope="col">${esc(t.details)}</th><th scope="col">${esc(t.balances)}</th><th scope="col">${esc(t.transactions)}</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`;
}

function chooser(
  t: PageText,
  view: ConsentView,
  access: Extract<ConsentView['access'], { kind: 'choose' }>,
): string {
  const missing = view.error === 'noAccountSelected';
  const error = missing
    ? `<p id="accounts-error" class="error" role="alert">${esc(t.chooseAtLeastOne)}</p>\n`
    : '';
  const boxes = access.accounts
    .map((a, i) => {
      const checked = access.selected.includes(a.iban) ? ' checked' : '';
      return `<div class="check"><input type="checkbox" id="account-${i}" name="accounts" value="${esc(a.iban)}"${checked}><label for="account-${i}">${esc(a.name)} <span class="muted">(${esc(a.currency)})</span> <code>${esc(groupIban(a.iban))}</code></label></div>`;
    })
    .join('\n');
  const describedBy = missing ? ' aria-describedby="accounts-error"' : '';
  return `<p>${esc(t.chooseText[access.scope])}</p>
${error}<fieldset${describedBy}>
<legend>${esc(t.accountsToShare)}</legend>
${boxes === '' ? `<p>${esc(t.noShareableAccounts)}</p>` : boxes}
</fieldset>`;
}

export function consentPage(chrome: PageChrome, view: ConsentView): string {
  const t = text(chrome);
  const access = view.access;
  if (access.kind === 'notYours') return notYoursPage(chrome, view, access.ibans);
  const what = access.kind === 'named' ? namedTable(t, access.accounts) : chooser(t, view, access);
  return layout(
    chrome,
    t.reviewTitle,
    `<h1>${esc(t.reviewHeading(view.tpp.name))}</h1>
<p class="lead">${t.signedInAs(esc(view.psuName))}</p>
${tppSummary(chrome, view.tpp, t.whoIsAsking)}
<form method="post" action="${AUTHORIZE_PATH}">
${hidden(view.csrfToken)}
<section aria-labelledby="what" class="card">
<h2 id="what">${esc(t.whatItAsksFor)}</h2>
${what}
<dl class="facts">
<dt>${esc(t.validUntil)}</dt><dd><time datetime="${esc(view.validUntil)}">${esc(view.validUntil)}</time></dd>
<dt>${esc(t.access)}</dt><dd>${esc(t.accessFrequency(view.recurringIndicator, view.frequencyPerDay))}</dd>
</dl>
</section>
<p>${esc(t.withdrawAnyTime)}</p>
<p class="destination" id="destination">${t.destination(esc(destination(view.redirectUri)))}</p>
<div class="actions">
<button type="submit" name="decision" value="approve" class="primary" aria-describedby="destination">${esc(t.allow)}</button>
<button type="submit" name="decision" value="deny" class="secondary" aria-describedby="destination">${esc(t.deny)}</button>
</div>
</form>`,
  );
}

function notYoursPage(chrome: PageChrome, view: ConsentView, ibans: string[]): string {
  const t = text(chrome);
  const list = ibans.map((iban) => `<li><code>${esc(groupIban(iban))}</code></li>`).join('\n');
  return layout(
    chrome,
    t.notYoursTitle,
    `<h1>${esc(t.notYoursTitle)}</h1>
<p class="error" role="alert" id="not-yours">${esc(t.notYoursAlert(view.tpp.name))}</p>
<ul>
${list}
</ul>
<p>${esc(t.notYoursAdvice(view.tpp.name))}</p>
${tppSummary(chrome, view.tpp, t.whoIsAsking)}
<form method="post" action="${AUTHORIZE_PATH}">
${hidden(view.csrfToken)}
<div class="actions"><button type="submit" name="decision" value="deny" class="primary" aria-describedby="not-yours">${esc(t.denyAndReturn)}</button></div>
</form>`,
  );
}

/** `text` is English from src/oauth (translated by page_text.ts) or already in the page's language. */
export function errorPage(chrome: PageChrome, message: string): string {
  const t = text(chrome);
  return layout(
    chrome,
    t.errorTitle,
    `<h1>${esc(t.errorHeading)}</h1>
<p class="error" role="alert">${esc(translatedError(chrome.lang, message))}</p>
<p>${esc(t.nothingShared)}</p>`,
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
.notice{border-left:4px solid var(--brand);background:#fff;padding:.5rem .75rem;font-weight:600}
.plain{margin:.25rem 0;padding-left:1.25rem}
h3{font-size:1rem;margin:.75rem 0 .25rem}
.hint{margin:0 0 .25rem;color:var(--muted);font-size:.9rem}
.field{margin:0 0 1rem}
label{display:block;font-weight:600;margin-bottom:.25rem}
input[type=text],input[type=password]{width:100%;min-height:44px;padding:.6rem .7rem;font:inherit;border:1px solid #8c959f;border-radius:6px}
input[aria-invalid=true]{border-color:var(--err)}
:focus-visible{outline:3px solid #0969da;outline-offset:2px}
.actions{display:flex;gap:.75rem;flex-wrap:wrap;margin:1rem 0}
button{font:inherit;font-weight:600;min-height:44px;min-width:44px;padding:.6rem 1.2rem;border-radius:6px;cursor:pointer;border:2px solid var(--brand)}
.primary{background:var(--brand);color:#fff}
.secondary{background:#fff;color:var(--brand)}
.error{color:var(--err);border-left:4px solid var(--err);background:#fff;padding:.5rem .75rem;font-weight:600}
table.accounts{width:100%;border-collapse:collapse;margin:.5rem 0 1rem}
table.accounts caption{text-align:left;color:var(--muted);padding-bottom:.25rem}
table.accounts th,table.accounts td{border-bottom:1px solid var(--line);padding:.5rem .4rem;text-align:left;vertical-align:top}
table.accounts th[scope=row]{font-weight:400}
fieldset{border:1px solid var(--line);border-radius:6px;padding:.5rem 1rem;margin:.5rem 0 1rem}
legend{font-weight:600;padding:0 .25rem}
.check{display:flex;gap:.5rem;align-items:center;margin:.4rem 0;min-height:44px}
.check input{width:24px;height:24px;flex:none}
.check label{padding:.5rem 0}
.check label{display:inline;font-weight:400}
.bank-bar{display:flex;justify-content:space-between;align-items:center;gap:1rem}
.lang-switch a{display:inline-block;min-height:44px;min-width:44px;padding:.6rem .75rem;color:#fff;font-weight:600;text-decoration:underline}
.page-footer{max-width:40rem;margin:2rem auto;padding:0 1rem;color:var(--muted);font-size:.875rem}
`;
