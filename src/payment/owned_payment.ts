import { ResourceUnknown } from '../errors/gateway_error';
import type { TppIdentity } from '../pki/identity/tpp_identity';
import type { Payment, PaymentService } from './payment';
import type { PaymentRepository } from './payment_repository';

const UNKNOWN_TEXT = 'The payment is unknown';

/**
 * The payment addressed in the path, if it belongs to the caller and matches the path's service and
 * product. Another TPP's payment gets exactly the answer an unknown id gets (403 RESOURCE_UNKNOWN, the
 * Berlin Group status for a resource addressed in the path), so payment ids cannot be probed.
 */
export async function ownedPayment(
  repository: PaymentRepository,
  tpp: TppIdentity,
  where: { paymentId: string; service: PaymentService; product: string },
): Promise<Payment> {
  const payment = await repository.findById(where.paymentId);
  if (
    payment === undefined ||
    payment.owner.organizationIdentifier !== tpp.organizationIdentifier ||
    payment.service !== where.service ||
    payment.product !== where.product
  ) {
    throw new ResourceUnknown({ text: UNKNOWN_TEXT, path: 'paymentId' }, 403);
  }
  return payment;
}
