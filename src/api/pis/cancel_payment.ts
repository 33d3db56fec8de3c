import type { AisHandler } from '../ais/ais_handler';
import { bankContext, pathPayment, type PisHandlerDeps } from './pis_handler';

/** DELETE /v1/{payment-service}/{payment-product}/{paymentId}: cancellation where none needs authorising. */
export function cancelPayment(deps: PisHandlerDeps): AisHandler {
  return async (context, _req, res) => {
    const payment = await pathPayment(deps, context, res);
    await deps.cancellation.cancel(payment, bankContext(context, res, payment.id));
    return { status: 204 };
  };
}
