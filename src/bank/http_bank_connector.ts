import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { OpenAPIBackend, Operation } from 'openapi-backend';
import { Pool, errors as undiciErrors, type Dispatcher } from 'undici';
import type { Logger } from '../audit/logger';
import { BANK_CONTRACT_BASE_PATH, compileBankContract } from './bank_contract';
import type {
  Account,
  Balance,
  BankCallContext,
  BankConnector,
  FundsCheck,
  FundsConfirmation,
  PaymentExecution,
  PaymentOrder,
  Psu,
  TransactionPage,
  TransactionQuery,
} from './bank_connector';
import { BankFailure, BankPaymentConflict, BankTimeout, BankUnavailable } from './bank_errors';
import { CallDeadlines, type DeadlineTicket } from './call_deadlines';
import { CircuitBreaker, type CircuitState } from './circuit_breaker';

export interface HttpBankConnectorOptions {
  /** GATEWAY_BANK_URL: the contract's paths are appended to it. */
  url: string;
  /** Mutual TLS to the bank: the gateway's client certificate and the bank's internal CA. */
  tls?: { cert?: Buffer; key?: Buffer; ca?: Buffer };
  /** Connect timeout, and the deadline of a whole call including its one retry. */
  timeoutMs: number;
  logger: Logger;
  /** Keep-alive connections to the bank; default 32. */
  connections?: number;
  /** Larger answers are a bank failure; default 1 MiB (a full transactions page is a few hundred KiB). */
  maxResponseBytes?: number;
  /** Consecutive failures that open the circuit (default 5) and how long it stays open (default 5 s). */
  breaker?: { failureThreshold: number; openMs: number };
  /** Told of every call that reached the bank (not those the open circuit answered): the metrics. */
  onCall?: (operationId: string, seconds: number, ok: boolean) => void;
}

const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * Every AIS read first resolves the account (its IBAN decides whether the consent covers it). The
 * contract makes resourceId a stable id of one account, so the answer is kept briefly: a read then costs
 * the bank one call instead of two. Unknown ids are never kept.
 */
const ACCOUNT_CACHE_MS = 30_000;
const ACCOUNT_CACHE_ENTRIES = 10_000;

type Method = 'GET' | 'POST';

interface Call {
  operationId: string;
  method: Method;
  path: string;
  context: BankCallContext | undefined;
  body?: unknown;
  idempotencyKey?: string;
  /** Statuses the contract lets this call answer besides 2xx, e.g. 404 for a lookup. */
  alsoExpected?: readonly number[];
}

interface Answer {
  status: number;
  body: unknown;
}

/** Errors undici (and node's sockets) raise when a connection dies under a request. */
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function errorCode(error: unknown): string | undefined {
  // undici wraps the socket's error in `cause` for some failures.
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function isTimeout(error: unknown): boolean {
  return (
    error instanceof undiciErrors.HeadersTimeoutError ||
    error instanceof undiciErrors.BodyTimeoutError ||
    (error instanceof Error && error.name === 'TimeoutError')
  );
}

/** Why a call failed, for the breaker, the log and the TPP's status. */
class CallFailure extends Error {
  constructor(
    readonly kind: 'unreachable' | 'reset' | 'timeout' | 'tls' | 'invalid' | 'bank-error' | 'bank-busy',
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

function classify(error: unknown, deadline: DeadlineTicket): CallFailure {
  if (error instanceof CallFailure) return error;
  const message = error instanceof Error ? error.message : String(error);
  // Past the deadline, whatever undici reports (an abort, a headers timeout) is the bank being slow.
  if (isTimeout(error) || deadline.expired) return new CallFailure('timeout', message);
  const code = errorCode(error);
  if (code !== undefined && RESET_CODES.has(code)) return new CallFailure('reset', `${code}: ${message}`);
  if (code !== undefined && UNREACHABLE_CODES.has(code))
    return new CallFailure('unreachable', `${code}: ${message}`);
  if (
    code !== undefined &&
    (code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || /CERT|SELF_SIGNED|VERIFY/.test(code))
  )
    return new CallFailure('tls', `${code}: ${message}`);
  return new CallFailure('unreachable', code !== undefined ? `${code}: ${message}` : message);
}

/** An answer as it came off the wire, before anything reads its body. */
interface RawAnswer {
  status: number;
  contentType: string;
  retryAfter: string | undefined;
  body: Buffer;
}

type ResponseHeaders = Record<string, string | string[] | undefined>;

function firstHeader(headers: ResponseHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * One attempt of a call, as undici's dispatch handler: collects the answer's bytes up to the size cap.
 * Reading through `pool.request` built a stream, an async iterator and their promises around every
 * answer, a good part of a call's JavaScript; the answers are small and read whole, so the handler keeps
 * the chunks itself. It settles exactly once: on the answer's end, on undici's error, or on `abort`.
 */
class AnswerCollector implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private abortedWith: Error | undefined;
  private settled = false;
  private status = 0;
  private contentType = '';
  private retryAfter: string | undefined;
  private readonly chunks: Buffer[] = [];
  private size = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly resolve: (answer: RawAnswer) => void,
    private readonly reject: (error: unknown) => void,
  ) {}

  /** Ends the attempt now, whether undici has started it or still holds it in the pool's queue. */
  abort(reason: Error): void {
    if (this.settled) return;
    this.abortedWith = reason;
    this.fail(reason);
    this.controller?.abort(reason);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    // Aborted while queued: it must not reach the bank.
    if (this.abortedWith !== undefined) controller.abort(this.abortedWith);
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: ResponseHeaders,
  ): void {
    // 1xx interim answers come before the real one.
    if (statusCode < 200) return;
    this.status = statusCode;
    this.contentType = firstHeader(headers, 'content-type') ?? '';
    this.retryAfter = firstHeader(headers, 'retry-after');
    if (Number(firstHeader(headers, 'content-length')) > this.maxBytes) this.abort(this.tooLarge());
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.size += chunk.length;
    if (this.size > this.maxBytes) {
      this.abort(this.tooLarge());
      return;
    }
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    if (this.settled) return;
    this.settled = true;
    const { chunks } = this;
    const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, this.size);
    this.resolve({
      status: this.status,
      contentType: this.contentType,
      retryAfter: this.retryAfter,
      body,
    });
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.fail(error);
  }

  private fail(error: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.reject(error);
  }

  private tooLarge(): CallFailure {
    return new CallFailure('invalid', `answer larger than ${this.maxBytes} bytes`);
  }
}

/** The attempts of one call under its one deadline; at the deadline the attempt under way is ended. */
class Attempts implements DeadlineTicket {
  at = 0;
  expired = false;
  current: AnswerCollector | undefined;

  constructor(private readonly timeoutMs: number) {}

  expire(): void {
    this.current?.abort(this.timedOut());
  }

  timedOut(): CallFailure {
    return new CallFailure('timeout', `no answer within ${this.timeoutMs} ms`);
  }
}

/** What the bank's answer says, or why it says nothing the gateway may read. */
function interpret(raw: RawAnswer): Answer {
  const { status } = raw;
  if (status === 503) {
    const retryAfter = Number(raw.retryAfter);
    throw new CallFailure(
      'bank-busy',
      'bank answered 503',
      Number.isFinite(retryAfter) ? retryAfter : undefined,
    );
  }
  if (status >= 500) throw new CallFailure('bank-error', `bank answered ${status}`);
  if (!/^application\/(problem\+)?json\b/i.test(raw.contentType))
    throw new CallFailure('invalid', `answer ${status} of type ${JSON.stringify(raw.contentType)}`);
  let body: unknown;
  try {
    body = JSON.parse(raw.body.toString('utf8'));
  } catch {
    throw new CallFailure('invalid', `answer ${status} is not JSON (${raw.body.length} bytes)`);
  }
  return { status, body };
}

/**
 * The bank port over HTTP: the contract `openapi/bank-connector.json` spoken with undici's keep-alive pool,
 * optionally over mutual TLS. Every answer is checked against the contract before anything reads it; a
 * bank that is down, slow or answering nonsense becomes BankUnavailable (503 + Retry-After), BankTimeout
 * (504) or BankFailure (502) for the TPP, with the reason only in the log. Every call of this contract is
 * safe to repeat (reads, and payments by their idempotency key), so a call whose connection was reset is
 * sent once more.
 */
export class HttpBankConnector implements BankConnector {
  private readonly pool: Pool;
  private readonly breaker: CircuitBreaker;
  private readonly deadlines: CallDeadlines;
  private readonly basePath: string;
  private readonly maxResponseBytes: number;
  private readonly openMs: number;
  private readonly accounts = new Map<string, { account: Account; until: number }>();
  /**
   * The contract's operations, looked up once: openapi-backend rebuilds its whole operation list on every
   * lookup by operationId, which cost more CPU than the bank call's own parsing (issue 13's bench).
   */
  private readonly operations: ReadonlyMap<string, Operation>;

  private constructor(
    private readonly options: HttpBankConnectorOptions,
    private readonly contract: OpenAPIBackend,
  ) {
    this.operations = new Map(
      contract.getOperations().flatMap((op) => (op.operationId !== undefined ? [[op.operationId, op]] : [])),
    );
    const url = new URL(options.url);
    this.basePath = `${url.pathname.replace(/\/+$/, '')}${BANK_CONTRACT_BASE_PATH}`;
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    const breaker = options.breaker ?? { failureThreshold: 5, openMs: 5000 };
    this.openMs = breaker.openMs;
    this.breaker = new CircuitBreaker(breaker);
    this.deadlines = new CallDeadlines(options.timeoutMs);
    this.pool = new Pool(url.origin, {
      connections: options.connections ?? 32,
      connect: {
        timeout: options.timeoutMs,
        ...(options.tls?.ca !== undefined ? { ca: options.tls.ca } : {}),
        ...(options.tls?.cert !== undefined ? { cert: options.tls.cert } : {}),
        ...(options.tls?.key !== undefined ? { key: options.tls.key } : {}),
        rejectUnauthorized: true,
      },
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      keepAliveTimeout: 30_000,
    });
  }

  static async create(options: HttpBankConnectorOptions): Promise<HttpBankConnector> {
    return new HttpBankConnector(options, await compileBankContract({ coerceTypes: false }));
  }

  /** For readiness reporting. */
  get circuitState(): CircuitState {
    return this.breaker.state;
  }

  async findPsu(psuId: string, context: BankCallContext): Promise<Psu | undefined> {
    const answer = await this.call({
      operationId: 'getPsu',
      method: 'GET',
      path: `/psus/${encodeURIComponent(psuId)}`,
      context,
      alsoExpected: [404],
    });
    return answer.status === 404 ? undefined : (answer.body as Psu);
  }

  async accountsOfPsu(psuId: string, context: BankCallContext): Promise<Account[]> {
    const answer = await this.call({
      operationId: 'listPsuAccounts',
      method: 'GET',
      path: `/psus/${encodeURIComponent(psuId)}/accounts`,
      context,
    });
    return (answer.body as { accounts: Account[] }).accounts;
  }

  async accountsByIban(ibans: readonly string[], context: BankCallContext): Promise<Account[]> {
    if (ibans.length === 0) return [];
    const query = new URLSearchParams(ibans.map((iban): [string, string] => ['iban', iban]));
    const answer = await this.call({
      operationId: 'listAccountsByIban',
      method: 'GET',
      path: `/accounts?${query.toString()}`,
      context,
    });
    return (answer.body as { accounts: Account[] }).accounts;
  }

  async accountByResourceId(resourceId: string, context: BankCallContext): Promise<Account | undefined> {
    const now = Date.now();
    const cached = this.accounts.get(resourceId);
    if (cached !== undefined && cached.until > now) return cached.account;
    const answer = await this.call({
      operationId: 'getAccount',
      method: 'GET',
      path: `/accounts/${encodeURIComponent(resourceId)}`,
      context,
      alsoExpected: [404],
    });
    if (answer.status === 404) {
      this.accounts.delete(resourceId);
      return undefined;
    }
    const account = answer.body as Account;
    if (this.accounts.size >= ACCOUNT_CACHE_ENTRIES) this.accounts.clear();
    this.accounts.set(resourceId, { account, until: now + ACCOUNT_CACHE_MS });
    return account;
  }

  async balances(resourceId: string, context: BankCallContext): Promise<Balance[]> {
    const answer = await this.call({
      operationId: 'getBalances',
      method: 'GET',
      path: `/accounts/${encodeURIComponent(resourceId)}/balances`,
      context,
      alsoExpected: [404],
    });
    // The account was found a moment ago; gone now, it has nothing to show.
    return answer.status === 404 ? [] : (answer.body as { balances: Balance[] }).balances;
  }

  async transactions(
    resourceId: string,
    query: TransactionQuery,
    context: BankCallContext,
  ): Promise<TransactionPage> {
    const search = new URLSearchParams({ bookingStatus: query.bookingStatus });
    if (query.dateFrom !== '') search.set('dateFrom', query.dateFrom);
    search.set('dateTo', query.dateTo);
    search.set('offset', String(query.offset));
    search.set('limit', String(query.limit));
    const answer = await this.call({
      operationId: 'getTransactions',
      method: 'GET',
      path: `/accounts/${encodeURIComponent(resourceId)}/transactions?${search.toString()}`,
      context,
      alsoExpected: [404],
    });
    return answer.status === 404 ? { transactions: [], total: 0 } : (answer.body as TransactionPage);
  }

  async executePayment(order: PaymentOrder, context: BankCallContext): Promise<PaymentExecution> {
    const answer = await this.call({
      operationId: 'executePayment',
      method: 'POST',
      path: '/payments',
      context: { ...context, paymentId: order.paymentId },
      body: order,
      idempotencyKey: order.paymentId,
      alsoExpected: [409],
    });
    if (answer.status === 409) {
      // The gateway sent two different orders under one payment id: a gateway bug, not a TPP error.
      throw new BankPaymentConflict(
        `bank refused payment ${order.paymentId}: idempotency key used for another order`,
      );
    }
    return answer.body as PaymentExecution;
  }

  async paymentStatus(paymentId: string, context: BankCallContext): Promise<PaymentExecution | undefined> {
    const answer = await this.call({
      operationId: 'getPayment',
      method: 'GET',
      path: `/payments/${encodeURIComponent(paymentId)}`,
      context: { ...context, paymentId },
      alsoExpected: [404],
    });
    return answer.status === 404 ? undefined : (answer.body as PaymentExecution);
  }

  async cancelPayment(paymentId: string, context: BankCallContext): Promise<PaymentExecution | undefined> {
    const answer = await this.call({
      operationId: 'cancelPayment',
      method: 'POST',
      path: `/payments/${encodeURIComponent(paymentId)}/cancellation`,
      context: { ...context, paymentId },
      alsoExpected: [404],
    });
    return answer.status === 404 ? undefined : (answer.body as PaymentExecution);
  }

  async confirmFunds(check: FundsCheck, context: BankCallContext): Promise<FundsConfirmation> {
    const answer = await this.call({
      operationId: 'confirmFunds',
      method: 'POST',
      path: '/funds-confirmations',
      context,
      body: check,
    });
    return answer.body as FundsConfirmation;
  }

  async ping(): Promise<void> {
    await this.call({ operationId: 'getHealth', method: 'GET', path: '/health', context: undefined });
  }

  async close(): Promise<void> {
    // Calls still running end by their answer or their deadline before the pool reports closed.
    await this.pool.close();
    this.deadlines.close();
  }

  private async call(call: Call): Promise<Answer> {
    const requestId = call.context?.requestId ?? randomUUID();
    const retryInMs = this.breaker.admit();
    if (retryInMs !== undefined) {
      throw new BankUnavailable(`circuit open: ${call.operationId} not sent to the bank`, retryInMs / 1000);
    }
    const request = this.requestOf(call, requestId);
    const started = this.options.onCall !== undefined ? performance.now() : 0;
    // One deadline for the call, its retry included.
    const attempts = this.deadlines.start(new Attempts(this.options.timeoutMs));
    let answer: Answer;
    try {
      let raw: RawAnswer;
      try {
        raw = await this.send(request, attempts);
      } catch (error) {
        const failure = classify(error, attempts);
        if (failure.kind !== 'reset') throw failure;
        this.options.logger.warn(
          { event: 'bank_call_retried', operationId: call.operationId, requestId, detail: failure.message },
          'bank connection reset; sending once more',
        );
        raw = await this.send(request, attempts);
      }
      answer = this.checked(call, interpret(raw));
    } catch (error) {
      const failure = classify(error, attempts);
      this.breaker.failure();
      this.options.onCall?.(call.operationId, (performance.now() - started) / 1000, false);
      this.logFailure(call, requestId, failure);
      throw this.forTpp(call, failure);
    } finally {
      this.deadlines.finish(attempts);
    }
    this.breaker.success();
    this.options.onCall?.(call.operationId, (performance.now() - started) / 1000, true);
    return answer;
  }

  private send(request: Dispatcher.DispatchOptions, attempts: Attempts): Promise<RawAnswer> {
    if (attempts.expired) return Promise.reject(attempts.timedOut());
    return new Promise<RawAnswer>((resolve, reject) => {
      const attempt = new AnswerCollector(this.maxResponseBytes, resolve, reject);
      attempts.current = attempt;
      this.pool.dispatch(request, attempt);
    });
  }

  private requestOf(call: Call, requestId: string): Dispatcher.DispatchOptions {
    // Name and value pairs in a flat list, the form undici takes without converting.
    const headers = ['accept', 'application/json', 'x-request-id', requestId];
    const { context } = call;
    if (context?.tppOrganizationIdentifier !== undefined)
      headers.push('tpp-organization-identifier', context.tppOrganizationIdentifier);
    if (context?.consentId !== undefined) headers.push('consent-id', context.consentId);
    if (context?.paymentId !== undefined) headers.push('payment-id', context.paymentId);
    if (call.idempotencyKey !== undefined) headers.push('idempotency-key', call.idempotencyKey);
    if (call.body === undefined)
      return { path: `${this.basePath}${call.path}`, method: call.method, headers };
    headers.push('content-type', 'application/json');
    return {
      path: `${this.basePath}${call.path}`,
      method: call.method,
      headers,
      body: JSON.stringify(call.body),
    };
  }

  /** Only answers the contract allows for this call are read; everything else is a bank failure. */
  private checked(call: Call, answer: Answer): Answer {
    const expected =
      (answer.status >= 200 && answer.status < 300) || (call.alsoExpected ?? []).includes(answer.status);
    if (!expected) {
      const code = (answer.body as { code?: unknown } | null)?.code;
      throw new CallFailure(
        'invalid',
        `unexpected answer ${answer.status}${typeof code === 'string' ? ` ${code}` : ''} to ${call.operationId}`,
      );
    }
    const operation = this.operations.get(call.operationId);
    if (operation === undefined) throw new Error(`${call.operationId} is not in the bank contract`);
    const result = this.contract.validateResponse(answer.body, operation, answer.status);
    if (result.errors !== null && result.errors !== undefined && result.errors.length > 0) {
      const where = result.errors
        .slice(0, 3)
        .map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`)
        .join('; ');
      throw new CallFailure(
        'invalid',
        `answer ${answer.status} to ${call.operationId} breaks the contract: ${where}`,
      );
    }
    return answer;
  }

  private logFailure(call: Call, requestId: string, failure: CallFailure): void {
    this.options.logger.error(
      {
        event: 'bank_call_failed',
        operationId: call.operationId,
        requestId,
        tpp: call.context?.tppOrganizationIdentifier,
        consentId: call.context?.consentId,
        paymentId: call.context?.paymentId,
        kind: failure.kind,
        detail: failure.message,
        circuit: this.breaker.state,
      },
      `bank call ${call.operationId} failed: ${failure.kind}`,
    );
  }

  private forTpp(call: Call, failure: CallFailure): BankUnavailable | BankTimeout | BankFailure {
    const detail = `${call.operationId}: ${failure.kind}: ${failure.message}`;
    switch (failure.kind) {
      case 'timeout':
        return new BankTimeout(detail);
      case 'invalid':
      case 'bank-error':
        return new BankFailure(detail);
      case 'bank-busy':
        return new BankUnavailable(detail, failure.retryAfterSeconds ?? this.openMs / 1000);
      default:
        return new BankUnavailable(detail, this.openMs / 1000);
    }
  }
}
