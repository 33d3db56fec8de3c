import { randomUUID } from 'node:crypto';
import type { BankCallContext, BankConnector } from '../bank/bank_connector';
import { StatusInvalid } from '../errors/gateway_error';
import type { PsuAccount } from '../oauth/consent_port';
import type {
  PaymentAuthorisationPort,
  PaymentDecisionOutcome,
  PaymentForAuthorisation,
} from '../oauth/payment_port';
import type { PaymentAuthorisation } from '../payment/authorisation';
import type { Payment } from '../payment/payment';
import type { PaymentRepository } from '../payment/payment_repository';

/** Lets the OAuth pages show and decide payments without knowing how payments are stored or executed. */
export class PaymentAuthorisationAdapter implements PaymentAuthorisationPort {
  constructor(
    private readonly deps: {
      payments: PaymentRepository;
      authorisation: PaymentAuthorisation;
      bank: Pick<BankConnector, 'accountsOfPsu'>;
    },
  ) {}

  async findForAuthorisation(paymentId: string): Promise<PaymentForAuthorisation | undefined> {
    const payment = await this.deps.payments.findById(paymentId);
    return payment === undefined ? undefined : forAuthorisation(payment);
  }

  async debtorAccountsOf(psuId: string, payment: PaymentForAuthorisation): Promise<PsuAccount[]> {
    const accounts = await this.deps.bank.accountsOfPsu(psuId, {
      requestId: randomUUID(),
      tppOrganizationIdentifier: payment.tppOrganizationIdentifier,
      paymentId: payment.paymentId,
    });
    // A payment is debited in its own currency; other accounts are not offered.
    return accounts
      .filter((a) => a.currency === payment.instructedAmount.currency)
      .map((a) => ({ iban: a.iban, currency: a.currency, name: a.name }));
  }

  async approve(paymentId: string, psuId: string, debtorIban: string): Promise<PaymentDecisionOutcome> {
    const payment = await this.deps.payments.findById(paymentId);
    if (payment === undefined) return 'notAwaiting';
    const context: BankCallContext = {
      requestId: randomUUID(),
      tppOrganizationIdentifier: payment.owner.organizationIdentifier,
      paymentId,
    };
    try {
      // A bank that cannot execute now leaves the payment ACTC: the PSU's authorisation stands, and the
      // execution step sends the order again later (PaymentResend, the TPP's reads).
      await this.deps.authorisation.approve({ paymentId, psuId, debtorIban }, context);
      return 'decided';
    } catch (error) {
      if (error instanceof StatusInvalid) return 'notAwaiting';
      throw error;
    }
  }

  async reject(paymentId: string, psuId: string | undefined): Promise<PaymentDecisionOutcome> {
    try {
      await this.deps.authorisation.reject(paymentId, psuId);
      return 'decided';
    } catch (error) {
      if (error instanceof StatusInvalid) return 'notAwaiting';
      throw error;
    }
  }
}

function forAuthorisation(payment: Payment): PaymentForAuthorisation {
  const { body, owner } = payment;
  return {
    paymentId: payment.id,
    awaitingAuthorisation: payment.status === 'RCVD',
    tppOrganizationIdentifier: owner.organizationIdentifier,
    tppName: owner.name,
    tppNcaName: owner.ncaName,
    tppNcaId: owner.ncaId,
    tppCertificateThumbprint: owner.certificateThumbprint,
    tppRedirectUri: payment.tppRedirectUri,
    instructedAmount: body.instructedAmount,
    creditorName: body.creditorName,
    creditorIban: body.creditorAccount.iban,
    remittanceInformationUnstructured: body.remittanceInformationUnstructured,
    requestedExecutionDate: body.requestedExecutionDate,
    standingOrder:
      payment.service === 'periodic-payments' && body.startDate !== undefined && body.frequency !== undefined
        ? { startDate: body.startDate, endDate: body.endDate, frequency: body.frequency }
        : undefined,
    debtorIban: body.debtorAccount?.iban,
  };
}
