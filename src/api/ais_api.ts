import { readFileSync } from 'node:fs';
import type { IncomingMessage, OutgoingHttpHeader, ServerResponse } from 'node:http';
import path from 'node:path';
import { parse as parseQueryString } from 'node:querystring';
import express, { type NextFunction, type Request, type Response } from 'express';
import { OpenAPIBackend } from 'openapi-backend';
import type { OpenAPIV3 } from 'openapi-types';
import type { BankConnector } from '../bank/bank_connector';
import { readBankContractText } from '../bank/bank_contract';
import type { Logger } from '../audit/logger';
import { PROJECT_ROOT } from '../config/project_root';
import type { ConsentService } from '../consent/consent_service';
import {
  FormatError,
  GatewayError,
  InternalServerError,
  ParameterNotSupported,
  ResourceUnknown,
  RoleInvalid,
  ServiceInvalid,
} from '../errors/gateway_error';
import { firstTppMessageCode, toTppMessages } from '../errors/tpp_messages';
import { noteOutcome, requireTppIdentity } from './request_context';
import type { AisHandler, AisHandlerDeps, AisResult } from './ais/ais_handler';
import { createConsent } from './ais/create_consent';
import { deleteConsent } from './ais/delete_consent';
import { getAccountList } from './ais/get_account_list';
import { getBalances } from './ais/get_balances';
import { getConsentInformation } from './ais/get_consent_information';
import { getConsentStatus } from './ais/get_consent_status';
import { getTransactionList } from './ais/get_transaction_list';
import { readAccountDetails } from './ais/read_account_details';
import { cancelPayment } from './pis/cancel_payment';
import { getPaymentInformation } from './pis/get_payment_information';
import { getPaymentInitiationStatus } from './pis/get_payment_initiation_status';
import { initiatePayment } from './pis/initiate_payment';
import {
  getPaymentAuthorisationIds,
  getPaymentAuthorisationScaStatus,
  getPaymentCancellationAuthorisationIds,
  getPaymentCancellationAuthorisationScaStatus,
  startPaymentAuthorisation,
  startPaymentCancellationAuthorisation,
} from './pis/payment_authorisations';
import { checkAvailabilityOfFunds } from './piis/check_availability_of_funds';
import { FundsConfirmation } from '../funds/funds_confirmation';
import type { PisHandlerDeps } from './pis/pis_handler';
import { PaymentCancellation } from '../payment/cancellation';
import { PaymentInitiation } from '../payment/initiation';
import type { PaymentExecutionStep } from '../payment/execution';
import type { PaymentRepository } from '../payment/payment_repository';
import { offeredProduct, paymentServiceOf } from '../payment/payment_product';
import { RedirectUriPolicy } from '../consent/redirect_uri_policy';
import type { PspRole } from '../pki/identity/tpp_identity';
import { OPENAPI_DOCS_CSS, renderOpenApiDocs } from './openapi_docs';
import { OpenApiOperations, type OperationContext } from './openapi_operations';
import type { DirectHandler, ResponseHead } from './front_door';
import { bodyParserRefusal } from './error_handler';
import { requestTarget, type RequestTarget } from './request_target';
import { IP_ADDRESS_FORMAT, isIpAddress } from './psu_ip_address';
import type { SignatureCheck } from './signature_check';

export const AIS_OPENAPI_FILE = path.join(PROJECT_ROOT, 'openapi', 'ais.json');

export interface AisApiDeps {
  consents: ConsentService;
  accounts: BankConnector;
  /** Where payments (PIS) are kept. */
  payments: PaymentRepository;
  /**
   * The execution step the PSU's approval uses: a read of a payment still ACTC sends it to the bank again
   * (same idempotency key), so a payment the bank could not take at approval completes on the next read.
   */
  paymentExecution: PaymentExecutionStep;
  /** The TPP-Redirect-URI rule for payments; the default is ConsentService's. */
  redirectUriPolicy?: RedirectUriPolicy;
  logger: Logger;
  /** Origin used in absolute links (Location, scaOAuth). */
  publicUrl: string;
  clock?: () => Date;
  /**
   * The OAuth token check: runs on every AIS read after header validation, once the consent is known to
   * belong to the caller and to be valid. Throws a GatewayError to refuse. Required: no API is built,
   * not even in a test, that reads accounts without it.
   */
  accessCheck: (req: IncomingMessage, res: ServerResponse, consentId: string) => Promise<void>;
  /** Runs before the consent lookup: refuses a token presented on another certificate's connection. */
  tokenBindingCheck: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  /** Called after DELETE terminated a consent (e.g. to revoke its tokens). */
  onConsentDeleted?: (consentId: string) => Promise<void>;
  /**
   * dNSName entries of the presented leaf certificate, for the TPP-Redirect-URI rule. Without it (and
   * without registered hosts on the ConsentService's RedirectUriPolicy) consent creation is refused.
   */
  tppDnsNames?: (res: ServerResponse) => readonly string[] | undefined;
  /** See AisHandlerDeps.admitRead. */
  admitRead?: AisHandlerDeps['admitRead'];
  /**
   * Request signatures (GATEWAY_REQUIRE_SIGNATURE): runs on the raw body once it is read, before routing and
   * before any consent or token lookup. Absent: signature headers are ignored, as the standard says.
   */
  signatureCheck?: SignatureCheck;
  /** Validate every response against the spec and turn a mismatch into a 500 (tests switch this on). */
  validateResponses?: boolean;
}

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

function isCalendarDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
}

interface AjvErrorLike {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

/** `/requestBody/access/accounts/0/iban` → `body.access.accounts[0].iban`; headers in their canonical case. */
function fieldPath(
  error: AjvErrorLike,
  headerNames: Map<string, string>,
): { path: string; location: string } {
  const segments = error.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const extra = error.params.missingProperty ?? error.params.additionalProperty;
  if (typeof extra === 'string') segments.push(extra);
  const [root = 'body', ...rest] = segments;
  const location = root === 'requestBody' ? 'body' : root;
  if (location === 'header') {
    const name = rest[0] ?? '';
    return { path: `header.${headerNames.get(name.toLowerCase()) ?? name}`, location };
  }
  if (root === 'requestBody' && rest.length === 0 && extra === 'requestBody')
    return { path: 'body', location };
  const tail = rest.map((s) => (/^\d+$/.test(s) ? `[${s}]` : `.${s}`)).join('');
  return { path: `${location}${tail}`, location };
}

export function validationError(
  errors: readonly AjvErrorLike[],
  headerNames: Map<string, string>,
): GatewayError {
  const first = errors[0];
  if (first === undefined) return new FormatError({ text: 'The request is malformed' });
  if (first.keyword === 'parse')
    return new FormatError({ text: 'Request body is not valid JSON', path: 'body' });
  const { path: field, location } = fieldPath(first, headerNames);
  if (first.keyword === 'additionalProperties' && location === 'query') {
    return new ParameterNotSupported({ text: `${field} is not supported`, path: field });
  }
  if (first.keyword === 'required') return new FormatError({ text: `${field} is required`, path: field });
  if (first.keyword === 'additionalProperties')
    return new FormatError({ text: `${field} is not allowed`, path: field });
  return new FormatError({ text: `${field} ${first.message ?? 'is invalid'}`, path: field });
}

function headerNamesOf(doc: OpenAPIV3.Document): Map<string, string> {
  const names = new Map<string, string>();
  for (const p of Object.values(doc.components?.parameters ?? {})) {
    if (!('$ref' in p) && p.in === 'header') names.set(p.name.toLowerCase(), p.name);
  }
  return names;
}

/** A request as the API reads it: body-parser leaves the parsed body on it. */
type ApiRequest = IncomingMessage & { body?: unknown };

/** RFC 9112: a request has a body exactly when it carries Content-Length or Transfer-Encoding. */
function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || req.headers['content-length'] !== undefined;
}

const BODY_LIMIT = '32kb';
const BODY_LIMIT_BYTES = 32 * 1024;

/** A body body-parser left unread (not JSON), up to the same limit; a larger one is FORMAT_ERROR. */
function readRaw(req: IncomingMessage): Promise<Buffer> {
  // Nothing left to read (a parser consumed an empty body) is an empty body.
  if (req.readableEnded) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > BODY_LIMIT_BYTES) {
        req.removeAllListeners('data');
        req.resume();
        reject(new FormatError({ text: 'Request body is too large', path: 'body' }));
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

function isAisApiPath(p: string): boolean {
  return p === '/v1' || p.startsWith('/v1/');
}

/**
 * The AIS API: `/v1/*` through openapi-backend's compiled document (routing, request validation, role
 * check, handlers). `handle` answers on plain node objects, for the front door; `router` serves the same
 * requests plus `/openapi.json` and `/docs` in an express app. Both sit behind the trust gate.
 */
export interface AisApi extends DirectHandler {
  router: express.Router;
}

export async function createAisApi(deps: AisApiDeps): Promise<AisApi> {
  const specText = readFileSync(AIS_OPENAPI_FILE, 'utf8');
  const spec = JSON.parse(specText) as OpenAPIV3.Document;
  const headerNames = headerNamesOf(spec);
  const docsHtml = renderOpenApiDocs(spec, '/docs/style.css', {
    document: '/openapi.json',
    related: [{ href: '/docs/bank-connector', text: 'bank connector contract (what the bank implements)' }],
  });
  const bankContractText = readBankContractText();
  const bankDocsHtml = renderOpenApiDocs(
    JSON.parse(bankContractText) as OpenAPIV3.Document,
    '/docs/style.css',
    { document: '/bank-connector.json', related: [{ href: '/docs', text: 'TPP-facing API' }] },
  );
  const { logger } = deps;

  const handlerDeps: AisHandlerDeps = {
    consents: deps.consents,
    accounts: deps.accounts,
    publicUrl: deps.publicUrl.replace(/\/$/, ''),
    clock: deps.clock ?? (() => new Date()),
    accessCheck: deps.accessCheck,
    tokenBindingCheck: deps.tokenBindingCheck,
    ...(deps.onConsentDeleted !== undefined ? { onConsentDeleted: deps.onConsentDeleted } : {}),
    ...(deps.tppDnsNames !== undefined ? { tppDnsNames: deps.tppDnsNames } : {}),
    ...(deps.admitRead !== undefined ? { admitRead: deps.admitRead } : {}),
  };

  const clock = deps.clock ?? (() => new Date());
  const pisDeps: PisHandlerDeps = {
    payments: deps.payments,
    initiation: new PaymentInitiation(deps.payments, clock),
    cancellation: new PaymentCancellation(deps.payments, deps.accounts, clock),
    execution: deps.paymentExecution,
    bank: deps.accounts,
    redirectUriPolicy: deps.redirectUriPolicy ?? new RedirectUriPolicy(),
    publicUrl: handlerDeps.publicUrl,
    ...(deps.tppDnsNames !== undefined ? { tppDnsNames: deps.tppDnsNames } : {}),
  };

  const api = new OpenAPIBackend({
    // openapi-backend dereferences its definition in place; give it its own copy.
    definition: JSON.parse(specText) as OpenAPIV3.Document,
    strict: true,
    // Quick mode compiles validators when first asked for: OpenApiOperations asks for the request
    // validators at once, response validators are built only where responses are checked (tests). Eager
    // compilation of everything, plus checking the document against the OpenAPI meta-schema, made the
    // gateway start 20 MB larger. The document is ours and fixed; test/ais/openapi_document.test.ts
    // checks it against the meta-schema instead.
    quick: true,
    validate: true,
    coerceTypes: true,
    customizeAjv: (ajv) => {
      ajv.addFormat('uuid', UUID);
      ajv.addFormat(IP_ADDRESS_FORMAT, { type: 'string', validate: isIpAddress });
      ajv.addFormat('date', { type: 'string', validate: isCalendarDate });
      ajv.addFormat('date-time', {
        type: 'string',
        validate: (v: string) => /^\d{4}-\d{2}-\d{2}T/.test(v) && !Number.isNaN(Date.parse(v)),
      });
      return ajv;
    },
  });

  const operations: Record<string, AisHandler> = {
    createConsent: createConsent(handlerDeps),
    getConsentInformation: getConsentInformation(handlerDeps),
    deleteConsent: deleteConsent(handlerDeps),
    getConsentStatus: getConsentStatus(handlerDeps),
    getAccountList: getAccountList(handlerDeps),
    readAccountDetails: readAccountDetails(handlerDeps),
    getBalances: getBalances(handlerDeps),
    getTransactionList: getTransactionList(handlerDeps),
    // One handler per step for both payment services; the path names the service.
    initiatePayment: initiatePayment(pisDeps),
    initiatePeriodicPayment: initiatePayment(pisDeps),
    getPaymentInformation: getPaymentInformation(pisDeps),
    getPeriodicPaymentInformation: getPaymentInformation(pisDeps),
    getPaymentInitiationStatus: getPaymentInitiationStatus(pisDeps),
    getPeriodicPaymentInitiationStatus: getPaymentInitiationStatus(pisDeps),
    cancelPayment: cancelPayment(pisDeps),
    cancelPeriodicPayment: cancelPayment(pisDeps),
    startPaymentAuthorisation: startPaymentAuthorisation(pisDeps),
    startPeriodicPaymentAuthorisation: startPaymentAuthorisation(pisDeps),
    getPaymentAuthorisationIds: getPaymentAuthorisationIds(pisDeps),
    getPeriodicPaymentAuthorisationIds: getPaymentAuthorisationIds(pisDeps),
    getPaymentAuthorisationScaStatus: getPaymentAuthorisationScaStatus(pisDeps),
    getPeriodicPaymentAuthorisationScaStatus: getPaymentAuthorisationScaStatus(pisDeps),
    startPaymentCancellationAuthorisation: startPaymentCancellationAuthorisation(pisDeps),
    startPeriodicPaymentCancellationAuthorisation: startPaymentCancellationAuthorisation(pisDeps),
    getPaymentCancellationAuthorisationIds: getPaymentCancellationAuthorisationIds(pisDeps),
    getPeriodicPaymentCancellationAuthorisationIds: getPaymentCancellationAuthorisationIds(pisDeps),
    getPaymentCancellationAuthorisationScaStatus: getPaymentCancellationAuthorisationScaStatus(pisDeps),
    getPeriodicPaymentCancellationAuthorisationScaStatus:
      getPaymentCancellationAuthorisationScaStatus(pisDeps),
    checkAvailabilityOfFunds: checkAvailabilityOfFunds(new FundsConfirmation(deps.accounts)),
  };
  await api.init();
  const routes = new OpenApiOperations(api);
  const unhandled = routes.operationIds.filter((id) => !(id in operations));
  const undocumented = Object.keys(operations).filter((id) => !routes.operationIds.includes(id));
  if (unhandled.length > 0 || undocumented.length > 0) {
    throw new Error(
      `AIS operations and handlers differ: no handler for [${unhandled.join(', ')}], not in the document: [${undocumented.join(', ')}]`,
    );
  }

  /** Routing, the role check, validation, then the handler; every refusal is a thrown GatewayError. */
  const dispatch = async (
    req: ApiRequest,
    res: ServerResponse,
    target: RequestTarget,
  ): Promise<{ operationId: string; result: AisResult }> => {
    const method = req.method ?? 'GET';
    const match = routes.match(method, target.path);
    if (match.kind === 'not-found') throw new ResourceUnknown({ text: 'No such endpoint' }, 404);
    if (match.kind === 'method-not-allowed') {
      throw new ServiceInvalid({ text: `Method ${method.toUpperCase()} is not offered here` }, 405);
    }
    // Known from here on, for the access log and metrics of a request refused below too.
    noteOutcome(res, { operationId: match.operationId });
    // The trust gate authenticated the certificate; whether its roles allow this service is this API's
    // decision, by the operation's x-psd2-role. An operation without one is refused (fail closed).
    const role = match.role as PspRole | undefined;
    if (role === undefined || !requireTppIdentity(res).roles.includes(role)) {
      throw new RoleInvalid(`The certificate does not carry the role ${role ?? 'this operation needs'}`);
    }
    // The payment product decides which body schema applies, so an unknown or unoffered one is refused
    // before the body is looked at.
    const product = match.params['payment-product'];
    const service = paymentServiceOf(target.path);
    if (product !== undefined && service !== undefined) offeredProduct(service, product);
    const context: OperationContext = {
      operationId: match.operationId,
      request: {
        method,
        path: target.path,
        params: match.params,
        // Fresh objects: validation coerces values in place.
        query: target.query === undefined ? {} : { ...parseQueryString(target.query) },
        headers: { ...req.headers },
        requestBody: req.body,
      },
    };
    const errors = routes.validate(match.operationId, context.request);
    if (errors !== undefined) throw validationError(errors, headerNames);
    const handler = operations[match.operationId];
    if (handler === undefined)
      throw new InternalServerError(`no handler registered for ${match.operationId}`);
    return { operationId: match.operationId, result: await handler(context, req, res) };
  };

  const errorResult = (error: unknown, req: IncomingMessage, path: string): AisResult => {
    if (error instanceof GatewayError) {
      if (logger.isLevelEnabled('info')) {
        logger.info(
          { method: req.method, path, status: error.status, code: error.code, detail: error.detail },
          'AIS request refused',
        );
      }
      return {
        status: error.status,
        body: toTppMessages(error),
        ...(error.headers !== undefined ? { headers: { ...error.headers } } : {}),
      };
    }
    logger.error({ method: req.method, path, err: error }, 'AIS request failed');
    return { status: 500, body: toTppMessages(new InternalServerError('unexpected error')) };
  };

  const send = (
    req: IncomingMessage,
    res: ServerResponse,
    result: AisResult,
    operationId: string | undefined,
    head: ResponseHead | undefined,
  ): void => {
    let final = result;
    if (deps.validateResponses === true && operationId !== undefined) {
      // openapi-backend models "no content" as null.
      const check = api.validateResponse(result.body ?? null, operationId, result.status);
      if (check.errors !== null && check.errors !== undefined && check.errors.length > 0) {
        logger.error(
          { operationId, status: result.status, errors: check.errors, body: result.body },
          'response does not match the OpenAPI document',
        );
        final = { status: 500, body: toTppMessages(new InternalServerError('response validation failed')) };
      }
    }
    noteOutcome(res, { code: firstTppMessageCode(final.body) });
    // What res.json would send, without its content negotiation and type lookups on the hot path.
    const payload = final.body === undefined ? undefined : JSON.stringify(final.body);
    if (head !== undefined) {
      // From the front door: the status line and every field in one writeHead.
      const fields: OutgoingHttpHeader[] = [...head.headers, 'X-Request-ID', head.requestId];
      for (const [name, value] of Object.entries(final.headers ?? {})) fields.push(name, value);
      if (payload !== undefined)
        fields.push(
          'Content-Type',
          'application/json; charset=utf-8',
          'Content-Length',
          Buffer.byteLength(payload),
        );
      // What res.end() adds by itself when nothing was written before it (not on a 204 or 304).
      else if (final.status !== 204 && final.status !== 304) fields.push('Content-Length', 0);
      res.writeHead(final.status, fields);
      res.end(payload);
      return;
    }
    const requestId = req.headers['x-request-id'];
    if (typeof requestId === 'string' && UUID.test(requestId)) res.setHeader('X-Request-ID', requestId);
    for (const [name, value] of Object.entries(final.headers ?? {})) res.setHeader(name, value);
    res.statusCode = final.status;
    if (payload === undefined) {
      res.end();
      return;
    }
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Content-Length', Buffer.byteLength(payload));
    res.end(payload);
  };

  const { signatureCheck } = deps;
  // The Digest of a signed request covers the exact bytes received: body-parser hands them over before parsing.
  const rawBodies = new WeakMap<IncomingMessage, Buffer>();
  const parseJsonBody = express.json({
    limit: BODY_LIMIT,
    strict: true,
    ...(signatureCheck !== undefined
      ? {
          verify: (req: IncomingMessage, _res: ServerResponse, raw: Buffer) => rawBodies.set(req, raw),
          // A content-coded body would leave open whether the Digest covers the coded or the decoded bytes.
          inflate: false,
        }
      : {}),
  });
  const readBody = (req: ApiRequest, res: ServerResponse): Promise<unknown> =>
    new Promise((resolve) => {
      parseJsonBody(req, res, (error?: unknown) => resolve(error));
    });

  /** The body bytes of a signed request: what body-parser read, or (another media type) the unread stream. */
  const rawBodyOf = async (req: IncomingMessage): Promise<Buffer> => {
    if (!hasBody(req)) return Buffer.alloc(0);
    return rawBodies.get(req) ?? readRaw(req);
  };

  const handle = async (
    req: IncomingMessage,
    res: ServerResponse,
    target: RequestTarget,
    head?: ResponseHead,
  ): Promise<void> => {
    const apiRequest = req as ApiRequest;
    let outcome: { operationId?: string; result: AisResult };
    try {
      // A request without a body (every read) has nothing for the parser to look at.
      const bodyError = hasBody(req) ? await readBody(apiRequest, res) : undefined;
      if (bodyError !== undefined) throw bodyParserRefusal(bodyError) ?? bodyError;
      if (signatureCheck !== undefined) await signatureCheck(req, res, await rawBodyOf(req), target);
      outcome = await dispatch(apiRequest, res, target);
    } catch (error) {
      outcome = { result: errorResult(error, req, target.path) };
    }
    send(req, res, outcome.result, outcome.operationId, head);
  };

  const router = express.Router();
  router.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(specText);
  });
  router.get('/docs', (_req, res) => {
    res.type('html').send(docsHtml);
  });
  router.get('/bank-connector.json', (_req, res) => {
    res.type('application/json').send(bankContractText);
  });
  router.get('/docs/bank-connector', (_req, res) => {
    res.type('html').send(bankDocsHtml);
  });
  router.get('/docs/style.css', (_req, res) => {
    res.type('text/css').send(OPENAPI_DOCS_CSS);
  });
  // In an express app (tests) the API's requests arrive here; the gateway's front door calls `handle`.
  router.use((req: Request, res: Response, next: NextFunction) => {
    const target = requestTarget(req.url);
    if (!isAisApiPath(target.path)) {
      next();
      return;
    }
    handle(req, res, target).catch(next);
  });
  return { router, handles: isAisApiPath, handle };
}
