import type { PaymentApprovalView } from '../oauth/payment_approval_view';
import type { PsuAccount } from '../oauth/consent_port';
import { AUTHORIZE_PATH, esc, hidden, layout, tppSummary, type PageChrome } from './oauth_pages';

/**
 * "Payment to approve": the page the PSU decides a payment on (scope `PIS:<paymentId>`). It shows what
 * RTS Art. 5 requires the payer to see, amount and payee, and echoes the dynamic link with the decision.
 */

function accountText(account: PsuAccount): string {
  return `${esc(account.name)} <span class="muted">(${esc(account.currency)})</span> <code>${esc(account.iban)}</code>`;
}

function debtorChoice(view: PaymentApprovalView): string {
  const debtor = view.debtor;
  if (debtor.kind === 'given') {
    return `<dt>From</dt><dd id="debtor-account">${accountText(debtor.account)}</dd>`;
  }
  if (debtor.kind === 'notYours') return '';
  const missing = view.error === 'noAccountSelected';
  const error = missing
    ? '<p id="accounts-error" class="error" role="alert">Choose the account to pay from, or deny the payment.</p>\n'
    : '';
  const radios = debtor.accounts
    .map(
      (a, i) =>
        `<div class="check"><input type="radio" id="account-${i}" name="accounts" value="${esc(a.iban)}"><label for="account-${i}">${accountText(a)}</label></div>`,
    )
    .join('\n');
  return `</dl>
${error}<fieldset${missing ? ' aria-describedby="accounts-error"' : ''}>
<legend>Pay from</legend>
${radios === '' ? '<p>You have no account this payment can be made from.</p>' : radios}
</fieldset>
<dl class="facts">`;
}

function schedule(view: PaymentApprovalView): string {
  const order = view.standingOrder;
  if (order !== undefined) {
    const end =
      order.endDate === undefined
        ? 'until cancelled'
        : `until <time datetime="${esc(order.endDate)}">${esc(order.endDate)}</time>`;
    return `<dt>Standing order</dt><dd id="schedule">${esc(order.frequency)} from <time datetime="${esc(order.startDate)}">${esc(order.startDate)}</time>, ${end}</dd>`;
  }
  return view.executionDate === undefined
    ? '<dt>Execution</dt><dd id="schedule">Immediately</dd>'
    : `<dt>Execution date</dt><dd id="schedule"><time datetime="${esc(view.executionDate)}">${esc(view.executionDate)}</time></dd>`;
}

export function paymentPage(chrome: PageChrome, view: PaymentApprovalView): string {
  if (view.debtor.kind === 'notYours') {
    return layout(
      chrome,
      'Payment cannot be approved',
      `<h1>This payment cannot be approved</h1>
<p class="error" role="alert" id="not-yours">${esc(view.tpp.name)} asks to pay from an account that does not belong to you: <code>${esc(view.debtor.iban)}</code>.</p>
${tppSummary(view.tpp, 'Who is asking')}
<form method="post" action="${AUTHORIZE_PATH}">
${hidden(view.csrfToken)}
<div class="actions"><button type="submit" name="decision" value="deny" class="primary" aria-describedby="not-yours">Deny and return</button></div>
</form>`,
    );
  }
  const remittance =
    view.remittanceInformation === undefined
      ? ''
      : `<dt>Reference</dt><dd id="remittance">${esc(view.remittanceInformation)}</dd>`;
  return layout(
    chrome,
    'Approve payment',
    `<h1>Pay <span id="amount">${esc(view.amount.amount)} ${esc(view.amount.currency)}</span> to <span id="creditor-name">${esc(view.creditorName)}</span>?</h1>
<p class="lead">Signed in as <strong>${esc(view.psuName)}</strong>.</p>
${tppSummary(view.tpp, 'Who is asking')}
<form method="post" action="${AUTHORIZE_PATH}">
${hidden(view.csrfToken)}
<input type="hidden" name="dynamic_link" value="${esc(view.dynamicLink)}">
<section aria-labelledby="what" class="card">
<h2 id="what">The payment</h2>
<dl class="facts">
<dt>Amount</dt><dd>${esc(view.amount.amount)} ${esc(view.amount.currency)}</dd>
<dt>To</dt><dd>${esc(view.creditorName)}<br><code id="creditor-iban">${esc(view.creditorIban)}</code></dd>
${remittance}
${schedule(view)}
${debtorChoice(view)}
</dl>
</section>
<p>Approving authorises exactly this amount to this payee.</p>
<div class="actions">
<button type="submit" name="decision" value="approve" class="primary">Approve payment</button>
<button type="submit" name="decision" value="deny" class="secondary">Deny</button>
</div>
</form>`,
  );
}
