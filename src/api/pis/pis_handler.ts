import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { BankCallContext, BankConnector } from '../../bank/bank_connector';
import type { RedirectUriPolicy } from '../../consent/redirect_uri_policy';
import { InternalServerError } from '../../errors/gateway_error';
import type { PaymentCancellation } from '../../payment/cancellation';
import type { PaymentExecutionStep } from '../../payment/execution';
import type { PaymentInitiation } from '../../payment/initiation';
import { ownedPayment } from '../../payment/owned_payment';
import type { Payment, PaymentService } from '../../payment/payment';
import type { PaymentRepository } from '../../payment/payment_repository';
import { paymentServiceOf } from '../../payment/payment_product';
import type { OperationContext } from '../openapi_operations';
import { getRequestId, requireTppIdentity } from '../request_context';
import { header, param } from '../ais/ais_handler';

/** What the PIS handlers share; assembled once by createAisApi. */
export interface PisHandlerDeps {
  payments: PaymentRepository;
  initiation: PaymentInitiation;
  cancellation: PaymentCancellation;
  /** Sends a payment still ACTC to the bank again when the TPP reads it (see readPayment). */
  execution: PaymentExecutionStep;
  bank: BankConnector;
  redirectUriPolicy: RedirectUriPolicy;
  tppDnsNames?: (res: ServerResponse) => readonly string[] | undefined;
  publicUrl: string;
}

export function serviceOf(context: OperationContext): PaymentService {
  const service = paymentServiceOf(context.request.path);
  // Only the payment paths of the document route here.
  if (service === undefined) throw new InternalServerError(`no payment service in ${context.request.path}`);
  return service;
}

export function paymentPath(payment: Pick<Payment, 'id' | 'service' | 'product'>): string {
  return `/v1/${payment.service}/${payment.product}/${encodeURIComponent(payment.id)}`;
}

/** The payment in the path, if it is the caller's (see ownedPayment). */
export function pathPayment(
  deps: PisHandlerDeps,
  context: OperationContext,
  res: ServerResponse,
): Promise<Payment> {
  return ownedPayment(deps.payments, requireTppIdentity(res), {
    paymentId: param(context, 'paymentId'),
    service: serviceOf(context),
    product: param(context, 'payment-product'),
  });
}

/**
 * The payment in the path as a read shows it: one the bank could not execute at approval (still ACTC) is
 * sent again first under its idempotency key, so the read shows the bank's answer once there is one. If
 * the bank still cannot answer, the read answers ACTC: the PSU's authorisation stands.
 */
export async function readPayment(
  deps: PisHandlerDeps,
  context: OperationContext,
  res: ServerResponse,
): Promise<Payment> {
  const payment = await pathPayment(deps, context, res);
  return deps.execution.resume(payment, bankContext(context, res, payment.id));
}

export function bankContext(
  context: OperationContext,
  res: ServerResponse,
  paymentId: string | undefined,
): BankCallContext {
  return {
    // Validated as a UUID by the document; the front door's own id covers a missing header.
    requestId: header(context, 'X-Request-ID') ?? getRequestId(res) ?? randomUUID(),
    tppOrganizationIdentifier: requireTppIdentity(res).organizationIdentifier,
    ...(paymentId !== undefined ? { paymentId } : {}),
  };
}
