import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { parse as parseQueryString } from 'node:querystring';
import { OpenApiOperations, type OperationRequest } from '../api/openapi_operations';
import { requestTarget } from '../api/request_target';
import type { Logger } from '../audit/logger';
import { BANK_CONTRACT_BASE_PATH, compileBankContract } from './bank_contract';
import type { BankCallContext, FundsCheck, PaymentOrder, TransactionQuery } from './bank_connector';
import { BankPaymentConflict } from './bank_errors';
import type { SandboxBankConnector } from './sandbox_bank_connector';

/**
 * The sandbox bank as a separate service: the contract `openapi/bank-connector.json` over HTTP, or over
 * TLS with client-certificate checking, answered from a SandboxBankConnector on the server's own
 * database. Routing and request validation are the gateway's own (OpenApiOperations, with the Ajv
 * validators openapi-backend compiles), on the same document the gateway's connector checks answers
 * against.
 */
export interface SandboxBankServerOptions {
  bank: SandboxBankConnector;
  logger: Logger;
  host?: string;
  port?: number;
  /** TLS: the server's certificate chain and key; `clientCa` makes a client certificate from it mandatory. */
  tls?: { cert: Buffer; key: Buffer; clientCa?: Buffer };
}

export interface RunningSandboxBank {
  url: string;
  port: number;
  close(): Promise<void>;
}

interface Reply {
  status: number;
  body: unknown;
}

const MAX_BODY_BYTES = 64 * 1024;

const problem = (status: number, code: string, title: string): Reply => ({
  status,
  body: { status, code, title },
});

function first(value: unknown): string | undefined {
  const one: unknown = Array.isArray(value) ? value[0] : value;
  return typeof one === 'string' ? one : undefined;
}

type Handler = (request: OperationRequest) => Promise<Reply>;

function callContext(request: OperationRequest): BankCallContext {
  const { headers } = request;
  const context: BankCallContext = { requestId: first(headers['x-request-id']) ?? '' };
  const tpp = first(headers['tpp-organization-identifier']);
  const consentId = first(headers['consent-id']);
  const paymentId = first(headers['payment-id']);
  if (tpp !== undefined) context.tppOrganizationIdentifier = tpp;
  if (consentId !== undefined) context.consentId = consentId;
  if (paymentId !== undefined) context.paymentId = paymentId;
  return context;
}

function handlers(bank: SandboxBankConnector): Record<string, Handler> {
  const param = (c: OperationRequest, name: string): string => String(c.params[name]);
  const found = (value: unknown, what: string): Reply =>
    value === undefined ? problem(404, 'NOT_FOUND', `No such ${what}`) : { status: 200, body: value };
  return {
    getHealth: async () => {
      await bank.ping();
      return { status: 200, body: { status: 'up' } };
    },
    getPsu: async (c) => found(await bank.findPsu(param(c, 'psuId'), callContext(c)), 'PSU'),
    listPsuAccounts: async (c) => ({
      status: 200,
      body: { accounts: await bank.accountsOfPsu(param(c, 'psuId'), callContext(c)) },
    }),
    listAccountsByIban: async (c) => {
      const raw: unknown = c.query.iban;
      const ibans = (Array.isArray(raw) ? raw : [raw]).map(String);
      return { status: 200, body: { accounts: await bank.accountsByIban(ibans, callContext(c)) } };
    },
    getAccount: async (c) =>
      found(await bank.accountByResourceId(param(c, 'resourceId'), callContext(c)), 'account'),
    getBalances: async (c) => {
      const resourceId = param(c, 'resourceId');
      const context = callContext(c);
      if ((await bank.accountByResourceId(resourceId, context)) === undefined)
        return problem(404, 'NOT_FOUND', 'No such account');
      return { status: 200, body: { balances: await bank.balances(resourceId, context) } };
    },
    getTransactions: async (c) => {
      const resourceId = param(c, 'resourceId');
      const context = callContext(c);
      if ((await bank.accountByResourceId(resourceId, context)) === undefined)
        return problem(404, 'NOT_FOUND', 'No such account');
      const q = c.query;
      const query: TransactionQuery = {
        bookingStatus: String(first(q.bookingStatus)) as TransactionQuery['bookingStatus'],
        dateFrom: first(q.dateFrom) ?? '',
        dateTo: String(first(q.dateTo)),
        // Coerced to numbers by validation.
        offset: Number(q.offset ?? 0),
        limit: Number(q.limit ?? 50),
      };
      return { status: 200, body: await bank.transactions(resourceId, query, context) };
    },
    executePayment: async (c) => {
      const order = c.requestBody as PaymentOrder;
      if (first(c.headers['idempotency-key']) !== order.paymentId)
        return problem(400, 'BAD_REQUEST', 'Idempotency-Key must equal paymentId');
      const before = await bank.paymentStatus(order.paymentId, callContext(c));
      try {
        const execution = await bank.executePayment(order, callContext(c));
        return { status: before === undefined ? 201 : 200, body: execution };
      } catch (error) {
        if (error instanceof BankPaymentConflict)
          return problem(409, 'IDEMPOTENCY_CONFLICT', error.detail ?? 'Another order used this key');
        throw error;
      }
    },
    getPayment: async (c) =>
      found(await bank.paymentStatus(param(c, 'paymentId'), callContext(c)), 'payment'),
    cancelPayment: async (c) =>
      found(await bank.cancelPayment(param(c, 'paymentId'), callContext(c)), 'payment'),
    confirmFunds: async (c) => ({
      status: 200,
      body: await bank.confirmFunds(c.requestBody as FundsCheck, callContext(c)),
    }),
  };
}

function readBody(req: http.IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        resolve(undefined);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function answer(
  routes: OpenApiOperations,
  handlers: Record<string, Handler>,
  req: http.IncomingMessage,
): Promise<Reply> {
  const target = requestTarget(req.url);
  if (!target.path.startsWith(`${BANK_CONTRACT_BASE_PATH}/`))
    return problem(404, 'NOT_FOUND', 'No such call');
  const text = await readBody(req);
  if (text === undefined) return problem(400, 'BAD_REQUEST', 'Request body too large');
  let body: unknown;
  if (text !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      return problem(400, 'BAD_REQUEST', 'Request body is not JSON');
    }
  }
  const match = routes.match(req.method ?? 'GET', target.path);
  if (match.kind !== 'found') return problem(404, 'NOT_FOUND', 'No such call');
  const handler = handlers[match.operationId];
  if (handler === undefined) return problem(404, 'NOT_FOUND', 'No such call');
  const request: OperationRequest = {
    method: req.method ?? 'GET',
    path: target.path,
    params: match.params,
    // A fresh object: validation coerces its values in place (offset and limit become numbers).
    query: target.query === undefined ? {} : { ...parseQueryString(target.query) },
    headers: { ...req.headers },
    ...(body !== undefined ? { requestBody: body } : {}),
  };
  const errors = routes.validate(match.operationId, request);
  if (errors !== undefined) {
    const error = errors[0];
    return problem(
      400,
      'BAD_REQUEST',
      `${error?.instancePath ?? ''} ${error?.message ?? 'invalid request'}`.trim(),
    );
  }
  return handler(request);
}

export async function startSandboxBankServer(options: SandboxBankServerOptions): Promise<RunningSandboxBank> {
  const routes = new OpenApiOperations(await compileBankContract({ coerceTypes: true }));
  const answers = handlers(options.bank);
  const unanswered = routes.operationIds.filter((id) => !(id in answers));
  if (unanswered.length > 0) throw new Error(`sandbox bank: no handler for [${unanswered.join(', ')}]`);
  const { logger } = options;
  const listener = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    answer(routes, answers, req)
      .catch((error: unknown) => {
        logger.error({ event: 'sandbox_bank_error', err: error }, 'sandbox bank failed');
        return problem(500, 'INTERNAL_ERROR', 'The sandbox bank failed');
      })
      .then((reply) => {
        const payload = JSON.stringify(reply.body);
        logger.info(
          {
            event: 'sandbox_bank_call',
            method: req.method,
            path: req.url,
            status: reply.status,
            requestId: req.headers['x-request-id'],
            tpp: req.headers['tpp-organization-identifier'],
            consentId: req.headers['consent-id'],
            paymentId: req.headers['payment-id'],
          },
          'bank call',
        );
        res.writeHead(reply.status, {
          'content-type': reply.status >= 400 ? 'application/problem+json' : 'application/json',
          'content-length': Buffer.byteLength(payload),
        });
        res.end(payload);
      })
      .catch(() => res.destroy());
  };
  const tls = options.tls;
  const server =
    tls === undefined
      ? http.createServer({ keepAliveTimeout: 60_000 }, listener)
      : https.createServer(
          {
            cert: tls.cert,
            key: tls.key,
            keepAliveTimeout: 60_000,
            ...(tls.clientCa !== undefined
              ? { ca: tls.clientCa, requestCert: true, rejectUnauthorized: true }
              : {}),
          },
          listener,
        );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host ?? '127.0.0.1';
  return {
    url: `${tls === undefined ? 'http' : 'https'}://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
