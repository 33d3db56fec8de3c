import type { DashboardPage, PsuConsentSummary } from '../psu/consent_dashboard';
import { esc, groupIban, hidden, layout, signInForm, text, type PageChrome } from './oauth_pages';
import type { PageText } from './page_text';

export const DASHBOARD_PATH = '/psu/consents';
export const DASHBOARD_SIGN_IN_PATH = '/psu/consents/sign-in';
export const DASHBOARD_WITHDRAW_PATH = '/psu/consents/withdraw';
export const DASHBOARD_SIGN_OUT_PATH = '/psu/consents/sign-out';

function accessList(t: PageText, c: PsuConsentSummary): string {
  if (c.listOnly || c.accounts.length === 0) return `<p>${esc(t.listOnly)}</p>`;
  const rows = c.accounts
    .map((a) => {
      const kinds = [
        t.accessKinds.details,
        ...(a.balances ? [t.accessKinds.balances] : []),
        ...(a.transactions ? [t.accessKinds.transactions] : []),
      ];
      return `<li><code>${esc(groupIban(a.iban))}</code>: ${esc(kinds.join(', '))}</li>`;
    })
    .join('\n');
  return `<ul class="plain">\n${rows}\n</ul>`;
}

function consentCard(t: PageText, c: PsuConsentSummary, csrfToken: string): string {
  const active = c.status === 'valid';
  const withdraw = active
    ? `<form method="post" action="${DASHBOARD_WITHDRAW_PATH}">
${hidden(csrfToken)}
<input type="hidden" name="consent_id" value="${esc(c.consentId)}">
<div class="actions"><button type="submit" class="secondary" aria-describedby="tpp-${esc(c.consentId)}">${esc(t.withdraw)}</button></div>
</form>`
    : '';
  const lastUsed =
    c.lastUsedDay === undefined
      ? esc(t.notYet)
      : `<time datetime="${esc(c.lastUsedDay)}">${esc(c.lastUsedDay)}</time>`;
  return `<section class="card consent" aria-labelledby="tpp-${esc(c.consentId)}">
<h2 id="tpp-${esc(c.consentId)}">${esc(c.tppName)}</h2>
<dl class="facts">
<dt>${esc(t.licenceNumber)}</dt><dd><code>${esc(c.tppOrganizationIdentifier)}</code> (${esc(c.tppNcaName)})</dd>
<dt>${esc(t.status)}</dt><dd>${esc(t.statusText[c.status] ?? c.status)}</dd>
<dt>${esc(t.givenOn)}</dt><dd><time datetime="${esc(c.givenOn)}">${esc(c.givenOn)}</time></dd>
<dt>${esc(t.validUntil)}</dt><dd><time datetime="${esc(c.validUntil)}">${esc(c.validUntil)}</time></dd>
<dt>${esc(t.howOften)}</dt><dd>${esc(t.howOftenText(c.recurringIndicator, c.frequencyPerDay))}</dd>
<dt>${esc(t.lastUsed)}</dt><dd>${lastUsed}</dd>
</dl>
<h3>${esc(t.accessHeading)}</h3>
${accessList(t, c)}
${withdraw}
</section>`;
}

export function dashboardPage(chrome: PageChrome, page: DashboardPage): string {
  const t = text(chrome);
  if (page.kind === 'signIn') {
    return layout(
      chrome,
      t.dashboardTitle,
      `<h1>${esc(t.dashboardSignInHeading(chrome.bankName))}</h1>
<p class="lead">${esc(t.dashboardSignInLead)}</p>
${signInForm(chrome, {
  action: DASHBOARD_SIGN_IN_PATH,
  csrfToken: page.csrfToken,
  ...(page.error !== undefined ? { error: page.error } : {}),
  ...(page.retryAfterMinutes !== undefined ? { retryAfterMinutes: page.retryAfterMinutes } : {}),
})}`,
    );
  }
  // Only a consent that is withdrawn is announced as such, whatever the address names.
  const withdrawn = page.consents.find((c) => c.consentId === page.withdrawn && c.status === 'revokedByPsu');
  const notice =
    withdrawn === undefined
      ? ''
      : `<p class="notice" role="status">${esc(t.withdrawn(withdrawn.tppName))}</p>\n`;
  const cards =
    page.consents.length === 0
      ? `<p>${esc(t.noConsents)}</p>`
      : page.consents.map((c) => consentCard(t, c, page.csrfToken)).join('\n');
  return layout(
    chrome,
    t.dashboardTitle,
    `<h1>${esc(t.dashboardHeading)}</h1>
<p class="lead">${t.dashboardLead(esc(page.psuName))}</p>
${notice}${cards}
<form method="post" action="${DASHBOARD_SIGN_OUT_PATH}">${hidden(page.csrfToken)}<div class="actions"><button type="submit" class="secondary">${esc(t.signOut)}</button></div></form>`,
  );
}
