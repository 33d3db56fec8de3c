import { IncomingMessage, ServerResponse, type OutgoingHttpHeader } from 'node:http';
import { Socket } from 'node:net';
import helmet, { type HelmetOptions } from 'helmet';

/** The gateway's response-hardening policy. Helmet decides what these options mean. */
export const SECURITY_HEADER_OPTIONS: Readonly<HelmetOptions> = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'none'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
    },
  },
  strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
  referrerPolicy: { policy: 'no-referrer' },
};

type HeaderValue = number | string | readonly string[];
type HeaderOperation = readonly [name: string, value: HeaderValue | undefined];
type NodeMiddleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/** A ServerResponse that remembers, in order, what a middleware did to its headers. */
class RecordingResponse extends ServerResponse {
  readonly operations: HeaderOperation[] = [];

  override setHeader(name: string, value: HeaderValue): this {
    this.operations.push([name, value]);
    return super.setHeader(name, value);
  }

  override removeHeader(name: string): void {
    this.operations.push([name, undefined]);
    super.removeHeader(name);
  }
}

function record(middleware: NodeMiddleware, url: string): HeaderOperation[] {
  const req = new IncomingMessage(new Socket());
  req.method = 'GET';
  req.url = url;
  const res = new RecordingResponse(req);
  let outcome: { error: unknown } | undefined;
  middleware(req, res, (error?: unknown) => {
    outcome = { error };
  });
  if (outcome === undefined) throw new Error('the security-header middleware did not finish synchronously');
  if (outcome.error !== undefined) throw outcome.error;
  return res.operations;
}

/**
 * Helmet's headers, run once at startup instead of ~13 middlewares calling setHeader on every request
 * (a tenth of a refused request's CPU). Helmet stays the authority on what the headers are; this only
 * replays what it did. A policy whose headers depend on the request (a CSP nonce, say) cannot be
 * replayed, so two unlike requests must give the same result or startup fails.
 */
export class StaticHeaders {
  private readonly operations: readonly HeaderOperation[];
  /** Name/value pairs for `writeHead` on a response nothing has touched yet; removals are moot there. */
  readonly flat: readonly OutgoingHttpHeader[];

  private constructor(operations: readonly HeaderOperation[]) {
    this.operations = operations;
    const flat: OutgoingHttpHeader[] = [];
    for (const [name, value] of operations) {
      if (value !== undefined) flat.push(name, typeof value === 'object' ? [...value] : value);
    }
    this.flat = flat;
  }

  static record(middleware: NodeMiddleware): StaticHeaders {
    const first = record(middleware, '/');
    const second = record(middleware, '/v1/accounts?withBalance=true');
    if (JSON.stringify(first) !== JSON.stringify(second)) {
      throw new Error('the security headers depend on the request and cannot be computed once');
    }
    return new StaticHeaders(first);
  }

  static fromHelmet(options: Readonly<HelmetOptions> = SECURITY_HEADER_OPTIONS): StaticHeaders {
    return StaticHeaders.record(helmet(options));
  }

  applyTo(res: ServerResponse): void {
    for (const [name, value] of this.operations) {
      if (value === undefined) res.removeHeader(name);
      else res.setHeader(name, value);
    }
  }
}
