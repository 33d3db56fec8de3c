/**
 * What the OAuth authorisation step needs from the payment store to let the PSU authorise a payment
 * (scope `PIS:<paymentId>`). Implemented in src/adapters/payment_authorisation_adapter.ts.
 */
import type { PsuAccount } from './consent_port';

/** A payment as the PSU's browser may see it: the TPP as recorded at initiation, and what is paid. */
export interface PaymentForAuthorisation {
  paymentId: string;
  /** True while the payment awaits the PSU's decision (RCVD). */
  awaitingAuthorisation: boolean;
  tppOrganizationIdentifier: string;
  tppName: string;
  tppNcaName: string;
  tppNcaId: string;
  /** `x5t#S256` of the certificate that initiated the payment, for the stop list. */
  tppCertificateThumbprint: string;
  /** The `TPP-Redirect-URI` sent at initiation; without one the PSU cannot be sent back. */
  tppRedirectUri: string | undefined;
  instructedAmount: { currency: string; amount: string };
  creditorName: string;
  creditorIban: string;
  remittanceInformationUnstructured: string | undefined;
  /** YYYY-MM-DD, or undefined for "as soon as possible". */
  requestedExecutionDate: string | undefined;
  /** A standing order's schedule (periodic payments). */
  standingOrder: { startDate: string; endDate: string | undefined; frequency: string } | undefined;
  /** The debtor account the TPP named, if any; else the PSU chooses one. */
  debtorIban: string | undefined;
}

export type PaymentDecisionOutcome = 'decided' | 'notAwaiting';

export interface PaymentAuthorisationPort {
  findForAuthorisation(paymentId: string): Promise<PaymentForAuthorisation | undefined>;
  /** The PSU's accounts a payment may be debited from, asked of the bank on behalf of the payment. */
  debtorAccountsOf(psuId: string, payment: PaymentForAuthorisation): Promise<PsuAccount[]>;
  /** RCVD → ACTC, then executed by the bank (ACSC, ACSP or RJCT). */
  approve(paymentId: string, psuId: string, debtorIban: string): Promise<PaymentDecisionOutcome>;
  /** RCVD → RJCT; without a PSU when the gateway refuses it (the TPP is blocked). */
  reject(paymentId: string, psuId: string | undefined): Promise<PaymentDecisionOutcome>;
}
