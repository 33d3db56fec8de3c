import { createHash } from 'node:crypto';
import type { PsuAccount } from './consent_port';
import type { PaymentForAuthorisation } from './payment_port';

/** The TPP as the PSU's pages show it (same fields as for consents). */
export interface PaymentTppView {
  name: string;
  organizationIdentifier: string;
  ncaName: string;
  ncaId: string;
}

export type DebtorAccountView =
  /** The TPP named the account and it is the PSU's. */
  | { kind: 'given'; iban: string; account: PsuAccount }
  /** The TPP named an account that is not the PSU's: the PSU can only refuse. */
  | { kind: 'notYours'; iban: string }
  /** No account named: the PSU picks one of theirs. */
  | { kind: 'choose'; accounts: PsuAccount[] };

/**
 * "Payment to approve": everything the PSU must see before authorising (RTS Art. 5: the amount and the
 * payee), and the dynamic link the decision must echo.
 */
export interface PaymentApprovalView {
  csrfToken: string;
  tpp: PaymentTppView;
  psuName: string;
  /** Where the decision will send the browser; the page's CSP must allow it as a form target. */
  redirectUri: string;
  amount: { currency: string; amount: string };
  creditorName: string;
  creditorIban: string;
  remittanceInformation: string | undefined;
  /** YYYY-MM-DD, or undefined for "as soon as possible". */
  executionDate: string | undefined;
  standingOrder: PaymentForAuthorisation['standingOrder'];
  debtor: DebtorAccountView;
  /** Echoed by the form; an approval whose link no longer matches the payment is refused. */
  dynamicLink: string;
  error?: 'noAccountSelected';
}

/**
 * Binds a decision to amount and payee (RTS Art. 5(1)(b)): a digest of exactly what the page showed.
 * Any change of amount, currency, creditor account or name gives another value, so an approval posted
 * for what the PSU saw cannot authorise anything else.
 */
export function dynamicLinkOf(payment: PaymentForAuthorisation): string {
  return createHash('sha256')
    .update(
      [
        payment.paymentId,
        payment.instructedAmount.currency,
        payment.instructedAmount.amount,
        payment.creditorIban,
        payment.creditorName,
      ].join('\n'),
    )
    .digest('base64url');
}

export function debtorAccountView(
  payment: PaymentForAuthorisation,
  accounts: PsuAccount[],
): DebtorAccountView {
  if (payment.debtorIban === undefined) return { kind: 'choose', accounts };
  const account = accounts.find((a) => a.iban === payment.debtorIban);
  return account === undefined
    ? { kind: 'notYours', iban: payment.debtorIban }
    : { kind: 'given', iban: payment.debtorIban, account };
}

export function paymentApprovalView(params: {
  csrfToken: string;
  redirectUri: string;
  psuName: string;
  payment: PaymentForAuthorisation;
  accounts: PsuAccount[];
  error?: 'noAccountSelected';
}): PaymentApprovalView {
  const { payment } = params;
  return {
    csrfToken: params.csrfToken,
    tpp: {
      name: payment.tppName,
      organizationIdentifier: payment.tppOrganizationIdentifier,
      ncaName: payment.tppNcaName,
      ncaId: payment.tppNcaId,
    },
    psuName: params.psuName,
    redirectUri: params.redirectUri,
    amount: payment.instructedAmount,
    creditorName: payment.creditorName,
    creditorIban: payment.creditorIban,
    remittanceInformation: payment.remittanceInformationUnstructured,
    executionDate: payment.requestedExecutionDate,
    standingOrder: payment.standingOrder,
    debtor: debtorAccountView(payment, params.accounts),
    dynamicLink: dynamicLinkOf(payment),
    ...(params.error !== undefined ? { error: params.error } : {}),
  };
}
