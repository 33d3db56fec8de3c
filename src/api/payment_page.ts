import type { PaymentApprovalView } from '../oauth/payment_approval_view';
import type { PsuAccount } from '../oauth/consent_port';
import { formattedAmount } from './authorisation_view';
import {
  AUTHORIZE_PATH,
  esc,
  groupIban,
  hidden,
  layout,
  text,
  tppSummary,
  type PageChrome,
} from './oauth_pages';
import type { PageText } from './page_text';

/**
 * "Payment to approve": the page the PSU decides a payment on (scope `PIS:<paymentId>`). It shows what
 * RTS Art. 5 requires the payer to see, amount and payee, and echoes the dynamic link with the decision.
 * IBANs read in groups of four; the values the form sends stay as the payment holds them.
 */

function accountText(account: PsuAccount): string {
  return `${esc(account.name)} <span class="muted">(${esc(account.currency)})</span> <code>${esc(groupIban(account.iban))}</code>`;
}

function debtorChoice(t: PageText, view: PaymentApprovalView): string {
  const debtor = view.debtor;
  if (debtor.kind === 'given') {
    return `<dt>${esc(t.payment.from)}</dt><dd id="debtor-account">${accountText(debtor.account)}</dd>`;
  }
  if (debtor.kind === 'notYours') return '';
  const missing = view.error === 'noAccountSelected';
  const error = missing
    ? `<p id="accounts-error" class="error" role="alert">${esc(t.payment.chooseAccount)}</p>\n`
    : '';
  const radios = debtor.accounts
    .map(
      (a, i) =>
        `<div class="check"><input type="radio" id="account-${i}" name="accounts" value="${esc(a.iban)}"><label for="account-${i}">${accountText(a)}</label></div>`,
    )
    .join('\n');
  return `</dl>
${error}<fieldset${missing ? ' aria-describedby="accounts-error"' : ''}>
<legend>${esc(t.payment.payFrom)}</legend>
${radios === '' ? `<p>${esc(t.payment.noAccounts)}</p>` : radios}
</fieldset>
<dl class="facts">`;
}

function time(date: string): string {
  return `<time datetime="${esc(date)}">${esc(date)}</time>`;
}

function schedule(t: PageText, view: PaymentApprovalView): string {
  const order = view.standingOrder;
  if (order !== undefined) {
    const end = order.endDate === undefined ? undefined : time(order.endDate);
    return `<dt>${esc(t.payment.standingOrder)}</dt><dd id="schedule">${t.payment.standingOrderSchedule(esc(order.frequency), time(order.startDate), end)}</dd>`;
  }
  return view.executionDate === undefined
    ? `<dt>${esc(t.payment.execution)}</dt><dd id="schedule">${esc(t.payment.immediately)}</dd>`
    : `<dt>${esc(t.payment.executionDate)}</dt><dd id="schedule">${time(view.executionDate)}</dd>`;
}

export function paymentPage(chrome: PageChrome, view: PaymentApprovalView): string {
  const t = text(chrome);
  if (view.debtor.kind === 'notYours') {
    return layout(
      chrome,
      t.payment.notYoursTitle,
      `<h1>${esc(t.payment.notYoursHeading)}</h1>
<p class="error" role="alert" id="not-yours">${esc(t.payment.notYoursAlert(view.tpp.name))} <code>${esc(groupIban(view.debtor.iban))}</code>.</p>
${tppSummary(chrome, view.tpp, t.whoIsAsking)}
<form method="post" action="${AUTHORIZE_PATH}">
${hidden(view.csrfToken)}
<div class="actions"><button type="submit" name="decision" value="deny" class="primary" aria-describedby="not-yours">${esc(t.denyAndReturn)}</button></div>
</form>`,
    );
  }
  const amount = esc(formattedAmount(chrome.lang, view.amount.amount, view.amount.currency));
  const remittance =
    view.remittanceInformation === undefined
      ? ''
      : `<dt>${esc(t.payment.reference)}</dt><dd id="remittance">${esc(view.remittanceInformation)}</dd>`;
  return layout(
    chrome,
    t.payment.title,
    `<h1>${t.payment.heading(`<span id="amount">${amount}</span>`, `<span id="creditor-name">${esc(view.creditorName)}</span>`)}</h1>
<p class="lead">${t.signedInAs(esc(view.psuName))}</p>
${tppSummary(chrome, view.tpp, t.whoIsAsking)}
<form method="post" action="${AUTHORIZE_PATH}">
${hidden(view.csrfToken)}
<input type="hidden" name="dynamic_link" value="${esc(view.dynamicLink)}">
<section aria-labelledby="what" class="card">
<h2 id="what">${esc(t.payment.whatHeading)}</h2>
<dl class="facts">
<dt>${esc(t.amount)}</dt><dd>${amount}</dd>
<dt>${esc(t.payment.to)}</dt><dd>${esc(view.creditorName)}<br><code id="creditor-iban">${esc(groupIban(view.creditorIban))}</code></dd>
${remittance}
${schedule(t, view)}
${debtorChoice(t, view)}
</dl>
</section>
<p>${esc(t.payment.exactly)}</p>
<div class="actions">
<button type="submit" name="decision" value="approve" class="primary">${esc(t.payment.approve)}</button>
<button type="submit" name="decision" value="deny" class="secondary">${esc(t.deny)}</button>
</div>
</form>`,
  );
}
