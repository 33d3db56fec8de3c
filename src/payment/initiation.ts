import { createHash, randomBytes } from 'node:crypto';
import type { PaymentProduct } from '../bank/bank_connector';
import { toMinorUnits } from '../bank/money';
import { isValidIban } from '../accounts/iban';
import type { ConsentOwner } from '../consent/consent';
import { ExecutionDateInvalid, FormatError } from '../errors/gateway_error';
import { isTarget2BusinessDay } from './execution_calendar';
import type { Payment, PaymentInitiationBody, PaymentService } from './payment';
import type { PaymentRepository } from './payment_repository';

/**
 * Step 1 of a payment's life: the TPP initiates it. What the schema cannot say is checked here (IBAN check
 * digits, amounts, SEPA currency, execution dates), then the payment is stored once per TPP and
 * X-Request-ID: a retry with the same body gets the original payment, one with another body is refused.
 */
export interface InitiationParams {
  service: PaymentService;
  product: PaymentProduct;
  owner: ConsentOwner;
  requestId: string;
  body: PaymentInitiationBody;
  tppRedirectUri: string | undefined;
  /** Builds the 201 answer for the new payment id; stored and replayed to identical retries. */
  respond: (paymentId: string) => unknown;
}

export interface InitiationOutcome {
  payment: Payment;
  /** The stored 201 body, identical for the first request and every identical retry. */
  response: unknown;
}

/** JSON with object keys sorted, so the digest does not depend on the order the TPP wrote fields in. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function requestDigest(service: PaymentService, product: string, body: unknown): string {
  return createHash('sha256')
    .update(`${service}\n${product}\n${canonicalJson(body)}`)
    .digest('hex');
}

function checkIban(iban: string, path: string): void {
  if (!isValidIban(iban)) throw new FormatError({ text: `${path} is not a valid IBAN`, path });
}

function checkAmount(body: PaymentInitiationBody): void {
  const minor = toMinorUnits(body.instructedAmount.amount);
  if (minor === undefined || minor <= 0n) {
    throw new FormatError({
      text: 'body.instructedAmount.amount must be a positive amount with at most two decimals',
      path: 'body.instructedAmount.amount',
    });
  }
  // SEPA schemes settle in euro only.
  if (body.instructedAmount.currency !== 'EUR') {
    throw new FormatError({
      text: 'SEPA credit transfers are in EUR',
      path: 'body.instructedAmount.currency',
    });
  }
}

function notInPast(day: string, today: string, path: string): void {
  if (day < today) throw new ExecutionDateInvalid({ text: `${path} lies in the past`, path });
}

function checkDates(params: InitiationParams, today: string): void {
  const { body, service, product } = params;
  if (service === 'periodic-payments') {
    const { startDate, endDate } = body;
    if (startDate === undefined)
      throw new FormatError({ text: 'body.startDate is required', path: 'body.startDate' });
    if (body.frequency === undefined)
      throw new FormatError({ text: 'body.frequency is required', path: 'body.frequency' });
    notInPast(startDate, today, 'body.startDate');
    if (endDate !== undefined && endDate < startDate) {
      throw new ExecutionDateInvalid({ text: 'body.endDate precedes body.startDate', path: 'body.endDate' });
    }
    return;
  }
  for (const field of ['startDate', 'endDate', 'frequency', 'executionRule', 'dayOfExecution'] as const) {
    if (body[field] !== undefined) {
      throw new FormatError({ text: `body.${field} is only for periodic-payments`, path: `body.${field}` });
    }
  }
  const day = body.requestedExecutionDate;
  if (day === undefined) return;
  notInPast(day, today, 'body.requestedExecutionDate');
  // Instant payments settle every day of the year; the TARGET2 calendar binds the others.
  if (product !== 'instant-sepa-credit-transfers' && !isTarget2BusinessDay(day)) {
    throw new ExecutionDateInvalid({
      text: 'body.requestedExecutionDate is not a TARGET2 business day',
      path: 'body.requestedExecutionDate',
    });
  }
}

export function newPaymentId(): string {
  return randomBytes(18).toString('base64url');
}

export class PaymentInitiation {
  constructor(
    private readonly repository: PaymentRepository,
    private readonly clock: () => Date,
  ) {}

  async initiate(params: InitiationParams): Promise<InitiationOutcome> {
    const { body } = params;
    const now = this.clock();
    if (body.debtorAccount !== undefined) checkIban(body.debtorAccount.iban, 'body.debtorAccount.iban');
    checkIban(body.creditorAccount.iban, 'body.creditorAccount.iban');
    checkAmount(body);
    checkDates(params, now.toISOString().slice(0, 10));

    const id = newPaymentId();
    const response = params.respond(id);
    const digest = requestDigest(params.service, params.product, body);
    const stored = await this.repository.insertOnce({
      id,
      service: params.service,
      product: params.product,
      owner: params.owner,
      requestId: params.requestId,
      requestDigest: digest,
      body,
      tppRedirectUri: params.tppRedirectUri,
      status: 'RCVD',
      reasonCode: undefined,
      psuId: undefined,
      debtorIban: body.debtorAccount?.iban,
      bankTransactionId: undefined,
      initiationResponse: JSON.stringify(response),
      createdAt: now,
      updatedAt: now,
    });
    if (stored.requestDigest !== digest) {
      throw new FormatError({
        text: 'X-Request-ID was already used for another payment initiation',
        path: 'header.X-Request-ID',
      });
    }
    return { payment: stored, response: JSON.parse(stored.initiationResponse) as unknown };
  }
}
