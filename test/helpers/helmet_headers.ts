import { IncomingMessage, ServerResponse, type OutgoingHttpHeaders } from 'node:http';
import { Socket } from 'node:net';
import helmet from 'helmet';
import { SECURITY_HEADER_OPTIONS } from '../../src/api/security_headers';
import type { MtlsResponse } from './mtls_request';

/** Headers node and the body add; everything else on a gateway response comes from helmet. */
const NOT_FROM_HELMET = new Set(['x-request-id', 'content-type', 'content-length', 'date', 'connection']);

/** What helmet itself sets with the gateway's options, on a response of its own. */
export function helmetOwnHeaders(): OutgoingHttpHeaders {
  const req = new IncomingMessage(new Socket());
  const res = new ServerResponse(req);
  res.setHeader('X-Powered-By', 'Express');
  let error: unknown = 'not called';
  helmet(SECURITY_HEADER_OPTIONS)(req, res, (e?: unknown) => {
    error = e;
  });
  if (error !== undefined) throw new Error(`helmet did not finish: ${String(error)}`);
  return res.getHeaders();
}

/** The response's headers, apart from those of the body and the connection, are helmet's, value for value. */
export function expectHelmetHeaders(response: MtlsResponse): void {
  const own = helmetOwnHeaders();
  expect(Object.keys(own).length).toBeGreaterThan(8);
  const fromHelmet = Object.fromEntries(
    Object.entries(response.headers).filter(([name]) => !NOT_FROM_HELMET.has(name)),
  );
  expect(fromHelmet).toEqual(Object.fromEntries(Object.entries(own).map(([k, v]) => [k, String(v)])));
  expect(response.headers['x-powered-by']).toBeUndefined();
}
