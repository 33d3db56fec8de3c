import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import helmet from 'helmet';
import { SECURITY_HEADER_OPTIONS, StaticHeaders } from '../../src/api/security_headers';

function freshResponse(): { req: IncomingMessage; res: ServerResponse } {
  const req = new IncomingMessage(new Socket());
  req.method = 'GET';
  req.url = '/v1/accounts';
  return { req, res: new ServerResponse(req) };
}

function helmetOn(res: ServerResponse, req: IncomingMessage): void {
  helmet(SECURITY_HEADER_OPTIONS)(req, res, (error?: unknown) => {
    if (error !== undefined) throw error;
  });
}

describe('StaticHeaders', () => {
  it("sets exactly what helmet's own middleware sets, X-Powered-By removal included", () => {
    const byHelmet = freshResponse();
    byHelmet.res.setHeader('X-Powered-By', 'Express');
    helmetOn(byHelmet.res, byHelmet.req);

    const replayed = freshResponse();
    replayed.res.setHeader('X-Powered-By', 'Express');
    StaticHeaders.fromHelmet().applyTo(replayed.res);

    expect(replayed.res.getHeaders()).toEqual(byHelmet.res.getHeaders());
    expect(replayed.res.getHeaderNames()).toEqual(byHelmet.res.getHeaderNames());
    expect(replayed.res.hasHeader('x-powered-by')).toBe(false);
    expect(replayed.res.getHeader('content-security-policy')).toMatch(/^default-src 'none';/);
  });

  it('offers the same headers, original names and order, as pairs for writeHead', () => {
    const byHelmet = freshResponse();
    helmetOn(byHelmet.res, byHelmet.req);
    const flat = StaticHeaders.fromHelmet().flat;
    const names = flat.filter((_, i) => i % 2 === 0) as string[];
    expect(names.map((n) => n.toLowerCase())).toEqual(byHelmet.res.getHeaderNames());
    expect(names).toContain('Strict-Transport-Security');
    for (let i = 0; i < flat.length; i += 2) {
      expect(byHelmet.res.getHeader(names[i / 2] as string)).toEqual(flat[i + 1]);
    }
  });

  it('refuses a policy whose headers depend on the request', () => {
    let nonce = 0;
    const perRequest = helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: { defaultSrc: ["'none'"], scriptSrc: [() => `'nonce-${++nonce}'`] },
      },
    });
    expect(() => StaticHeaders.record(perRequest)).toThrow(/depend on the request/);
  });

  it('refuses a middleware that fails or does not finish', () => {
    expect(() => StaticHeaders.record((_req, _res, next) => next(new Error('bad policy')))).toThrow(
      'bad policy',
    );
    expect(() => StaticHeaders.record(() => undefined)).toThrow(/did not finish/);
  });
});
