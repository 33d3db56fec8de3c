import type { PaymentProduct } from '../bank/bank_connector';
import { ProductInvalid, ProductUnknown } from '../errors/gateway_error';
import type { PaymentService } from './payment';

/** Every product Berlin Group 1.3 names (JSON and pain.001 XML variants). */
const DEFINED_PRODUCTS: ReadonlySet<string> = new Set(
  [
    'sepa-credit-transfers',
    'instant-sepa-credit-transfers',
    'target-2-payments',
    'cross-border-credit-transfers',
  ].flatMap((p) => [p, `pain.001-${p}`]),
);

/** What this bank offers, per payment service. Standing orders are not offered as instant payments. */
const OFFERED: Record<PaymentService, readonly PaymentProduct[]> = {
  payments: ['sepa-credit-transfers', 'instant-sepa-credit-transfers'],
  'periodic-payments': ['sepa-credit-transfers'],
};

/**
 * The product in the path: 404 PRODUCT_UNKNOWN for a name Berlin Group does not define, 403 PRODUCT_INVALID
 * for one it defines that this bank does not offer with this service. Checked before the body, whose
 * schema depends on the product.
 */
export function offeredProduct(service: PaymentService, product: string): PaymentProduct {
  const offered = OFFERED[service].find((p) => p === product);
  if (offered !== undefined) return offered;
  if (!DEFINED_PRODUCTS.has(product)) {
    throw new ProductUnknown({ text: 'The payment product is unknown', path: 'payment-product' });
  }
  throw new ProductInvalid({
    text: `The payment product is not offered for ${service}`,
    path: 'payment-product',
  });
}

export function paymentServiceOf(path: string): PaymentService | undefined {
  if (path.startsWith('/v1/payments/')) return 'payments';
  if (path.startsWith('/v1/periodic-payments/')) return 'periodic-payments';
  return undefined;
}
