import type { AisHandler } from '../ais/ais_handler';
import { readPayment, type PisHandlerDeps } from './pis_handler';

/** GET /v1/{payment-service}/{payment-product}/{paymentId}/status. */
export function getPaymentInitiationStatus(deps: PisHandlerDeps): AisHandler {
  return async (context, _req, res) => {
    const payment = await readPayment(deps, context, res);
    return { status: 200, body: { transactionStatus: payment.status } };
  };
}
