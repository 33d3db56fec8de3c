import express, { type Request, type Response, type Router } from 'express';
import helmet, { contentSecurityPolicy } from 'helmet';
import type { Logger } from '../audit/logger';
import { GatewayError } from '../errors/gateway_error';
import { AuthorizationPageError, OAuthError } from '../oauth/oauth_error';
import type { OAuthForm, OAuthService } from '../oauth/oauth_service';
import { noteOutcome, requireTppIdentity } from './request_context';
import {
  AUTHORIZE_PATH,
  OAUTH_STYLESHEET,
  OAUTH_STYLESHEET_PATH,
  consentPage,
  errorPage,
  signInPage,
  type PageChrome,
} from './oauth_pages';
import { paymentPage } from './payment_page';

export interface OAuthRouterDeps {
  service: OAuthService;
  /** The gateway's public base URL; the issuer and the base of every advertised endpoint. */
  publicUrl: string;
  /** Shown on the PSU's pages. Default "Bob's Bank". */
  bankName?: string;
  logger?: Logger;
}

export const METADATA_PATH = '/.well-known/oauth-authorization-server';
export const TOKEN_PATH = '/oauth2/token';
export const REVOKE_PATH = '/oauth2/revoke';

/**
 * Paths a browser without a client certificate must reach; the trust gate exempts exactly these. The token
 * and revocation endpoints are not among them: they authenticate the TPP by its certificate.
 */
export const OAUTH_BROWSER_PATHS: readonly string[] = [METADATA_PATH, AUTHORIZE_PATH, OAUTH_STYLESHEET_PATH];

/** The same paths as exact-match patterns, for the trust gate's public paths. */
export const OAUTH_BROWSER_PATH_PATTERNS: readonly RegExp[] = OAUTH_BROWSER_PATHS.map(
  (p) => new RegExp(`^${p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`),
);

/** `__Host-` pins the cookie to this origin: Secure, Path=/, no Domain. */
const SESSION_COOKIE = '__Host-psd2-authorize';

const FORM_TYPE = 'application/x-www-form-urlencoded';
const formBody = express.text({ type: FORM_TYPE, limit: '16kb' });

function pageCsp(extraFormAction?: string): express.RequestHandler {
  return contentSecurityPolicy({
    useDefaults: false,
    directives: {
      'default-src': ["'none'"],
      'style-src': ["'self'"],
      'img-src': ["'self'"],
      // Browsers apply form-action to the redirect that follows a submission, so the consent page must
      // allow the TPP's (already verified) redirect target.
      'form-action': extraFormAction === undefined ? ["'self'"] : ["'self'", extraFormAction],
      'frame-ancestors': ["'none'"],
      'base-uri': ["'none'"],
    },
  }) as express.RequestHandler;
}

const selfOnlyCsp = pageCsp();

/** CSP source for a redirect URI: its origin, or just its scheme for a custom-scheme app link. */
function formActionSource(redirectUri: string): string {
  const url = new URL(redirectUri);
  return url.origin !== 'null' ? url.origin : url.protocol;
}

function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Query parameters with repeats kept as arrays, so the service can refuse them. */
function queryParams(req: Request): Record<string, string | string[]> {
  const params = new URL(req.originalUrl, 'http://query.invalid').searchParams;
  const out: Record<string, string | string[]> = {};
  for (const name of new Set(params.keys())) {
    const all = params.getAll(name);
    out[name] = all.length === 1 ? (all[0] ?? '') : all;
  }
  return out;
}

function formParams(req: Request): URLSearchParams | undefined {
  if (!req.is(FORM_TYPE) || typeof req.body !== 'string') return undefined;
  return new URLSearchParams(req.body);
}

/** RFC 6749 §3.2: parameters must not repeat; a repeat is refused rather than resolved. */
function oauthForm(req: Request): OAuthForm {
  const params = formParams(req);
  if (params === undefined) throw new OAuthError('invalid_request', `Content-Type must be ${FORM_TYPE}`);
  const out: Record<string, string> = {};
  for (const name of new Set(params.keys())) {
    if (params.getAll(name).length > 1) throw new OAuthError('invalid_request', `${name} is repeated`);
    out[name] = params.get(name) ?? '';
  }
  return out;
}

export function createOAuthRouter(deps: OAuthRouterDeps): Router {
  const { service } = deps;
  const chrome: PageChrome = { bankName: deps.bankName ?? "Bob's Bank" };
  const base = deps.publicUrl.replace(/\/+$/, '');
  const router = express.Router();

  const pageHeaders = helmet({
    contentSecurityPolicy: false,
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  });

  const sendPage = (res: Response, status: number, html: string): void => {
    res.status(status).set('Cache-Control', 'no-store').type('html').send(html);
  };

  const pageFailure = (res: Response, error: unknown): void => {
    if (error instanceof AuthorizationPageError) {
      deps.logger?.info({ event: 'oauth.authorize_refused', status: error.status, detail: error.detail });
      sendPage(res, error.status, errorPage(chrome, error.text));
      return;
    }
    deps.logger?.error({ event: 'oauth.authorize_failed', err: error });
    sendPage(res, 500, errorPage(chrome, 'Something went wrong on our side. Nothing was shared.'));
  };

  const oauthFailure = (res: Response, error: unknown): void => {
    let failure: OAuthError;
    if (error instanceof OAuthError) {
      failure = error;
    } else if (error instanceof GatewayError && error.status === 401) {
      // requireTppIdentity found no validated certificate: tls_client_auth failed.
      failure = new OAuthError('invalid_client', 'A valid client certificate is required (tls_client_auth)');
    } else {
      deps.logger?.error({ event: 'oauth.endpoint_failed', err: error });
      failure = new OAuthError('server_error', 'Internal server error');
    }
    noteOutcome(res, { code: failure.error });
    res
      .status(failure.status)
      .set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' })
      .json(failure.toJSON());
  };

  // RFC 8414. `scopes_supported` is left out on purpose: the only scope is `AIS:<consentId>`, one per
  // consent, and the field can only list literal values.
  router.get(METADATA_PATH, (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300').json({
      issuer: base,
      authorization_endpoint: `${base}${AUTHORIZE_PATH}`,
      token_endpoint: `${base}${TOKEN_PATH}`,
      revocation_endpoint: `${base}${REVOKE_PATH}`,
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_methods_supported: ['tls_client_auth'],
      revocation_endpoint_auth_methods_supported: ['tls_client_auth'],
      code_challenge_methods_supported: ['S256'],
      tls_client_certificate_bound_access_tokens: true,
      authorization_response_iss_parameter_supported: true,
    });
  });

  router.get(OAUTH_STYLESHEET_PATH, pageHeaders, (_req, res) => {
    res.set('Cache-Control', 'public, max-age=3600').type('css').send(OAUTH_STYLESHEET);
  });

  router.get(AUTHORIZE_PATH, pageHeaders, selfOnlyCsp, async (req, res) => {
    try {
      const started = await service.beginAuthorization(queryParams(req));
      res.cookie(SESSION_COOKIE, started.sessionId, {
        httpOnly: true,
        secure: true,
        sameSite: 'lax',
        path: '/',
        maxAge: started.sessionTtlSeconds * 1000,
      });
      sendPage(res, 200, signInPage(chrome, started.view));
    } catch (error) {
      pageFailure(res, error);
    }
  });

  router.post(AUTHORIZE_PATH, pageHeaders, formBody, async (req, res) => {
    const form = formParams(req) ?? new URLSearchParams();
    const sessionId = readCookie(req, SESSION_COOKIE);
    const csrfToken = form.get('csrf_token') ?? undefined;
    try {
      const decision = form.get('decision');
      const result =
        decision === null
          ? await service.signIn({
              sessionId,
              csrfToken,
              username: form.get('username') ?? undefined,
              password: form.get('password') ?? undefined,
            })
          : await service.decide({
              sessionId,
              csrfToken,
              decision,
              accounts: form.getAll('accounts'),
              dynamicLink: form.get('dynamic_link') ?? undefined,
            });
      if (result.kind === 'redirect') {
        res.clearCookie(SESSION_COOKIE, { httpOnly: true, secure: true, sameSite: 'lax', path: '/' });
        res.set('Cache-Control', 'no-store').redirect(303, result.location);
        return;
      }
      if (result.kind === 'signIn') {
        selfOnlyCsp(req, res, () => undefined);
        sendPage(res, 200, signInPage(chrome, result.view));
        return;
      }
      pageCsp(formActionSource(result.view.redirectUri))(req, res, () => undefined);
      if (result.kind === 'payment') {
        sendPage(res, result.view.debtor.kind === 'notYours' ? 403 : 200, paymentPage(chrome, result.view));
        return;
      }
      sendPage(res, result.view.access.kind === 'notYours' ? 403 : 200, consentPage(chrome, result.view));
    } catch (error) {
      selfOnlyCsp(req, res, () => undefined);
      pageFailure(res, error);
    }
  });

  router.post(TOKEN_PATH, formBody, async (req, res) => {
    try {
      const client = requireTppIdentity(res);
      const tokens = await service.token({ client, form: oauthForm(req) });
      res.status(200).set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' }).json(tokens);
    } catch (error) {
      oauthFailure(res, error);
    }
  });

  router.post(REVOKE_PATH, formBody, async (req, res) => {
    try {
      const client = requireTppIdentity(res);
      await service.revoke({ client, form: oauthForm(req) });
      // RFC 7009 §2.2: 200 whether or not the token was known.
      res.status(200).set('Cache-Control', 'no-store').end();
    } catch (error) {
      oauthFailure(res, error);
    }
  });

  return router;
}
