/**
 * Watches every request on the TPP port from arrival to the end of its response and reports it once:
 * the access log line, the request metrics, the audit trail's admission or refusal and the EBA
 * statistics. It wraps the front door rather than living in it, so the request path stays readable and
 * nothing here can change an answer.
 *
 * Log lines written while a request is handled carry its request id and TPP (the logger's mixin reads
 * them through `currentRequest`).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { RequestListener, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../audit/logger';
import type { AuditTrail } from '../audit/audit_trail';
import { getRequestId, noteArrival, requestReportOf, tppIdentityOf } from '../api/request_context';
import { requestTarget } from '../api/request_target';
import type { GatewayMetrics } from './gateway_metrics';
import { serviceOfPath, type EbaService } from './eba_service';

/** Receives each answered (or abandoned) request of a PSD2 service, for the EBA statistics. */
export interface ServiceStatistics {
  record(service: EbaService, startedAt: number, durationMs: number, status: number, answered: boolean): void;
}

export interface RequestObserverDeps {
  logger: Logger;
  metrics?: GatewayMetrics;
  audit?: AuditTrail;
  statistics?: ServiceStatistics;
  /** While draining, every response closes its connection so keep-alive clients move elsewhere. */
  draining?: () => boolean;
}

const requests = new AsyncLocalStorage<ServerResponse>();

/** Request id and TPP of the request being handled, for the fields of every log line. */
export function currentRequest(): { requestId?: string; tpp?: string } | undefined {
  const res = requests.getStore();
  if (res === undefined) return undefined;
  const requestId = getRequestId(res);
  const tpp = tppIdentityOf(res)?.organizationIdentifier;
  return { ...(requestId !== undefined ? { requestId } : {}), ...(tpp !== undefined ? { tpp } : {}) };
}

/** Operations outside the OpenAPI document, named by path so the metric's label set stays small. */
const ROUTE_NAMES: readonly [RegExp, string][] = [
  [/^\/oauth2\/token$/, 'oauthToken'],
  [/^\/oauth2\/revoke$/, 'oauthRevoke'],
  [/^\/oauth2\/authorize$/, 'oauthAuthorize'],
  [/^\/oauth2\//, 'oauthPages'],
  [/^\/\.well-known\//, 'oauthMetadata'],
  [/^\/(openapi\.json|docs)/, 'apiDocs'],
];

export function operationOf(path: string, operationId: string | undefined): string {
  if (operationId !== undefined) return operationId;
  for (const [pattern, name] of ROUTE_NAMES) if (pattern.test(path)) return name;
  return 'unrouted';
}

export function observeRequests(listener: RequestListener, deps: RequestObserverDeps): RequestListener {
  const { logger, metrics, audit, statistics, draining } = deps;
  const finished = (res: ServerResponse): void => {
    const req = res.req;
    const report = requestReportOf(res);
    const durationMs = performance.now() - report.arrivedAtMonotonic;
    const startedAt = report.arrivedAt;
    const answered = res.writableFinished;
    const path = requestTarget(req.url).path;
    const operation = operationOf(path, report.operationId);
    const status = res.statusCode;
    const identity = report.tpp;
    const { requestId, refusedByGate } = report;
    const code = report.code ?? null;
    metrics?.request(operation, status, durationMs / 1000, refusedByGate ? report.code : undefined);
    const service = serviceOfPath(path);
    if (service !== undefined) statistics?.record(service, startedAt, durationMs, status, answered);
    if (audit !== undefined && (identity !== undefined || refusedByGate)) {
      audit.append({
        type: refusedByGate ? 'tpp.refused' : 'tpp.admitted',
        at: new Date(startedAt),
        requestId,
        tpp: identity?.organizationIdentifier,
        thumbprint: identity?.thumbprintS256,
        detail: { operation, status, code },
      });
    }
    if (logger.isLevelEnabled('info')) {
      logger.info({
        event: 'access',
        requestId,
        tpp: identity?.organizationIdentifier,
        thumbprint: identity?.thumbprintS256,
        method: req.method,
        operation,
        status,
        code: report.code,
        durationMs: Math.round(durationMs * 1000) / 1000,
        ...(answered ? {} : { aborted: true }),
      });
    }
  };
  // One listener for every response, told which by `this`: no closure per request.
  function onClose(this: ServerResponse): void {
    finished(this);
  }
  return (req, res) => {
    noteArrival(res, Date.now(), performance.now());
    res.on('close', onClose);
    if (draining?.() === true) res.setHeader('Connection', 'close');
    // The context is only read by the mixin of a line being written. Keeping it has a price on every
    // promise the request creates (AsyncLocalStorage runs on async_hooks in Node 20: bench (c), 25-35 us
    // per read and a third more heap), so a logger that writes nothing at any level goes without.
    if (logger.isLevelEnabled('fatal')) requests.run(res, listener, req, res);
    else listener(req, res);
  };
}
