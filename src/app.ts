import type { RequestListener } from 'node:http';
import express, { type Router } from 'express';
import type { Logger } from './audit/logger';
import { errorHandler, notFoundHandler } from './api/error_handler';
import { createFrontDoor, type DirectHandler } from './api/front_door';
import { StaticHeaders } from './api/security_headers';
import { AIS_ROLE_REQUIREMENTS, createTrustGate, type TrustGateOptions } from './api/trust_gate';
import type { ClientIdentityVerifier } from './pki/identity/client_identity';
import type { TrustedProxies } from './tls/forwarded_certificate';

export interface AppDeps {
  logger: Logger;
  verifier: ClientIdentityVerifier;
  trustedProxies: TrustedProxies;
  /** Mounted behind the trust gate, in order. */
  routers: Router[];
  /** Answers the requests it takes behind the trust gate without express (the AIS API). */
  direct?: DirectHandler;
  /** Paths reachable without a client certificate. */
  publicPaths?: readonly RegExp[];
  clock?: () => Date;
  /** The bank's TPP stop list; required, so no app is built that would let a blocked TPP through. */
  stopList: TrustGateOptions['stopList'];
  tlsChainOf?: TrustGateOptions['tlsChainOf'];
}

/** Browsers (the PSU) reach these without a client certificate; nothing under /v1 is among them. */
export const PUBLIC_PATHS: readonly RegExp[] = [
  /^\/\.well-known\/oauth-authorization-server$/,
  /^\/oauth2\/authorize$/,
  /^\/oauth2\/assets\/[A-Za-z0-9._-]+$/,
  /^\/openapi\.json$/,
  /^\/bank-connector\.json$/,
  /^\/docs(\/[A-Za-z0-9._-]*)?$/,
];

/**
 * The OAuth endpoints a TPP calls with its certificate (token, revocation: everything under /oauth2/ that
 * is not a public browser page). A client the trust gate refuses here gets RFC 6749 / RFC 8705
 * `invalid_client`, the form an OAuth client library understands.
 */
export const OAUTH_CLIENT_PATHS: readonly RegExp[] = [/^\/oauth2\//];

/**
 * The gateway's request listener without a server, so tests can drive it directly: the front door (the
 * security headers and the trust gate) and, behind it, express with the routers.
 */
export function createApp(deps: AppDeps): RequestListener {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  for (const router of deps.routers) app.use(router);
  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger));
  return createFrontDoor({
    gate: createTrustGate({
      verifier: deps.verifier,
      trustedProxies: deps.trustedProxies,
      logger: deps.logger,
      publicPaths: deps.publicPaths ?? PUBLIC_PATHS,
      roleRequirements: AIS_ROLE_REQUIREMENTS,
      oauthPaths: OAUTH_CLIENT_PATHS,
      ...(deps.clock ? { clock: deps.clock } : {}),
      stopList: deps.stopList,
      ...(deps.tlsChainOf ? { tlsChainOf: deps.tlsChainOf } : {}),
    }),
    headers: StaticHeaders.fromHelmet(),
    logger: deps.logger,
    app,
    ...(deps.direct !== undefined ? { direct: deps.direct } : {}),
  });
}
