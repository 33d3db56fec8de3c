import { GatewayError } from '../errors/gateway_error';

/**
 * What a TPP sees when the bank behind the gateway fails. The bank's own body and error details never
 * reach the TPP: `detail` is for the gateway's log only.
 */

/** 503 with `Retry-After`: the bank cannot be reached, or the circuit breaker is open. */
export class BankUnavailable extends GatewayError {
  override readonly headers: Readonly<Record<string, string>>;

  constructor(
    detail: string,
    readonly retryAfterSeconds: number,
  ) {
    super('SERVICE_UNAVAILABLE', 503, {
      text: 'The bank is temporarily unavailable; try again later',
      detail,
    });
    this.headers = { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) };
  }
}

/** 504: the bank did not answer within GATEWAY_BANK_TIMEOUT_MS. */
export class BankTimeout extends GatewayError {
  constructor(detail: string) {
    super('SERVICE_UNAVAILABLE', 504, { text: 'The bank did not answer in time', detail });
  }
}

/** 502: the bank answered something the contract does not allow (garbage, wrong types, too large, 5xx). */
export class BankFailure extends GatewayError {
  constructor(detail: string) {
    super('INTERNAL_SERVER_ERROR', 502, { text: 'The bank could not process the request', detail });
  }
}

/**
 * The bank already executed another order under this payment id (the idempotency key). Only a gateway
 * bug sends two orders under one id, so the TPP sees a 502 like any other failed bank call.
 */
export class BankPaymentConflict extends BankFailure {}
