import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../audit/logger';
import { FormatError, GatewayError, InternalServerError, ResourceUnknown } from '../errors/gateway_error';
import { toTppMessages } from '../errors/tpp_messages';
import { getRequestId, noteOutcome } from './request_context';

interface BodyParserError {
  type?: unknown;
  status?: unknown;
}

/** body-parser's refusals of a request body as FORMAT_ERROR; undefined for anything else. */
export function bodyParserRefusal(error: unknown): GatewayError | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const type = (error as BodyParserError).type;
  if (type === 'entity.parse.failed')
    return new FormatError({ text: 'Request body is not valid JSON', path: 'body' });
  if (type === 'entity.too.large')
    return new FormatError({ text: 'Request body is too large', path: 'body' });
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
    return new FormatError({ text: 'Unsupported request body encoding', path: 'body' });
  }
  return undefined;
}

export interface ErrorContext {
  requestId: string | undefined;
  method: string | undefined;
  path: string;
}

/**
 * The refusal an error amounts to: GatewayErrors as they are, body-parser failures as FORMAT_ERROR,
 * anything else a generic 500 with the details only in the log.
 */
export function toGatewayError(error: unknown, logger: Logger, context: ErrorContext): GatewayError {
  const gatewayError = error instanceof GatewayError ? error : bodyParserRefusal(error);
  if (gatewayError === undefined) {
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    logger.error({ event: 'internal_error', ...context, detail }, 'unexpected error');
    return new InternalServerError(detail);
  }
  if (gatewayError.detail !== undefined && logger.isLevelEnabled('info')) {
    logger.info(
      {
        event: 'refused',
        requestId: context.requestId,
        code: gatewayError.code,
        detail: gatewayError.detail,
      },
      'request refused',
    );
  }
  return gatewayError;
}

/** One place renders every refusal that reaches express; the front door renders the trust gate's. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const gatewayError = toGatewayError(error, logger, {
      requestId: getRequestId(res),
      method: req.method,
      path: req.path,
    });
    for (const [name, value] of Object.entries(gatewayError.headers ?? {})) res.setHeader(name, value);
    noteOutcome(res, { code: gatewayError.code });
    res
      .status(gatewayError.status)
      .type('application/json')
      .send(JSON.stringify(toTppMessages(gatewayError)));
  };
}

/** Paths no router claimed. */
export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new ResourceUnknown({ text: `No resource at ${req.path}`, path: 'path' }, 404));
};
