import type { AisHandler } from '../ais/ais_handler';
import { readPayment, type PisHandlerDeps } from './pis_handler';

/** GET /v1/{payment-service}/{payment-product}/{paymentId}: the payment as initiated, with its status. */
export function getPaymentInformation(deps: PisHandlerDeps): AisHandler {
  return async (context, _req, res) => {
    const payment = await readPayment(deps, context, res);
    const debtorAccount =
      payment.body.debtorAccount ??
      (payment.debtorIban !== undefined ? { iban: payment.debtorIban } : undefined);
    return {
      status: 200,
      body: {
        ...payment.body,
        ...(debtorAccount !== undefined ? { debtorAccount } : {}),
        transactionStatus: payment.status,
      },
    };
  };
}
