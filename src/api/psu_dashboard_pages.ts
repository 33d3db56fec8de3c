import type { DashboardPage, PsuConsentSummary } from '../psu/consent_dashboard';
import { esc, groupIban, hidden, layout, signInForm, type PageChrome } from './oauth_pages';

export const DASHBOARD_PATH = '/psu/consents';
export const DASHBOARD_SIGN_IN_PATH = '/psu/consents/sign-in';
export const DASHBOARD_WITHDRAW_PATH = '/psu/consents/withdraw';
export const DASHBOARD_SIGN_OUT_PATH = '/psu/consents/sign-out';

const STATUS_TEXT: Record<string, string> = {
  valid: 'Active',
  revokedByPsu: 'Withdrawn by you',
  expired: 'Expired',
  terminatedByTpp: 'Ended by the provider',
};

function accessList(c: PsuConsentSummary): string {
  if (c.listOnly || c.accounts.length === 0)
    return '<p>The list of your accounts (names and IBANs only).</p>';
  const rows = c.accounts
    .map((a) => {
      const kinds = [
        'details',
        ...(a.balances ? ['balances'] : []),
        ...(a.transactions ? ['transactions'] : []),
      ];
      return `<li><code>${esc(groupIban(a.iban))}</code>: ${esc(kinds.join(', '))}</li>`;
    })
    .join('\n');
  return `<ul class="plain">\n${rows}\n</ul>`;
}

function consentCard(c: PsuConsentSummary, csrfToken: string): string {
  const active = c.status === 'valid';
  const withdraw = active
    ? `<form method="post" action="${DASHBOARD_WITHDRAW_PATH}">
${hidden(csrfToken)}
<input type="hidden" name="consent_id" value="${esc(c.consentId)}">
<div class="actions"><button type="submit" class="secondary" aria-describedby="tpp-${esc(c.consentId)}">Withdraw consent</button></div>
</form>`
    : '';
  return `<section class="card consent" aria-labelledby="tpp-${esc(c.consentId)}">
<h2 id="tpp-${esc(c.consentId)}">${esc(c.tppName)}</h2>
<dl class="facts">
<dt>Licence number</dt><dd><code>${esc(c.tppOrganizationIdentifier)}</code> (${esc(c.tppNcaName)})</dd>
<dt>Status</dt><dd>${esc(STATUS_TEXT[c.status] ?? c.status)}</dd>
<dt>Given on</dt><dd><time datetime="${esc(c.givenOn)}">${esc(c.givenOn)}</time></dd>
<dt>Valid until</dt><dd><time datetime="${esc(c.validUntil)}">${esc(c.validUntil)}</time></dd>
<dt>How often</dt><dd>${c.recurringIndicator ? 'Recurring' : 'One-off'}, up to ${esc(c.frequencyPerDay)} times a day without you</dd>
<dt>Last used</dt><dd>${c.lastUsedDay === undefined ? 'Not yet' : `<time datetime="${esc(c.lastUsedDay)}">${esc(c.lastUsedDay)}</time>`}</dd>
</dl>
<h3>Access</h3>
${accessList(c)}
${withdraw}
</section>`;
}

export function dashboardPage(chrome: PageChrome, page: DashboardPage): string {
  if (page.kind === 'signIn') {
    return layout(
      chrome,
      'Your consents',
      `<h1>Your consents at ${esc(chrome.bankName)}</h1>
<p class="lead">Sign in to see every provider you allowed to access your accounts, and withdraw any of them.</p>
${signInForm(chrome, {
  action: DASHBOARD_SIGN_IN_PATH,
  csrfToken: page.csrfToken,
  ...(page.error !== undefined ? { error: page.error } : {}),
  ...(page.retryAfterMinutes !== undefined ? { retryAfterMinutes: page.retryAfterMinutes } : {}),
})}`,
    );
  }
  const withdrawn = page.consents.find((c) => c.consentId === page.withdrawn);
  const notice =
    withdrawn === undefined
      ? ''
      : `<p class="notice" role="status">${esc(withdrawn.tppName)} can no longer access your accounts.</p>\n`;
  const cards =
    page.consents.length === 0
      ? '<p>You have not given any provider access to your accounts.</p>'
      : page.consents.map((c) => consentCard(c, page.csrfToken)).join('\n');
  return layout(
    chrome,
    'Your consents',
    `<h1>Your consents</h1>
<p class="lead">Signed in as <strong>${esc(page.psuName)}</strong>. These providers may access your accounts; withdraw any consent and its access ends at once.</p>
${notice}${cards}
<form method="post" action="${DASHBOARD_SIGN_OUT_PATH}">${hidden(page.csrfToken)}<div class="actions"><button type="submit" class="secondary">Sign out</button></div></form>`,
  );
}
