import express, { type Request, type Response, type Router } from 'express';
import type { Logger } from '../audit/logger';
import { GatewayError } from '../errors/gateway_error';
import { AuthorizationPageError, OAuthError } from '../oauth/oauth_error';
import type { OAuthForm } from '../oauth/oauth_form';
import type { OAuthService } from '../oauth/oauth_service';
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
import type { PaymentApprovalView } from '../oauth/payment_approval_view';
import { consentView, signInView } from './oauth_view_models';
import { idpRefusalPage } from './idp_pages';
import { pageChrome } from './page_language';
import {
  createPageErrorRouter,
  errorResume,
  PAGE_ERROR_PATH,
  refusalResume,
  signInNoticeOf,
  signInResume,
} from './page_resume';
import type { ConsentReview } from '../oauth/authorization/consent_review';
import type { IdpSignIn } from '../psu/idp_sign_in';
import { IdpFailure } from '../psu/psu_identity_provider';
import {
  clearPageCookie,
  FORM_TYPE,
  formBody,
  formParams,
  pageCsp,
  pageHeaders,
  readCookie,
  selfOnlyCsp,
  sendPage,
  setPageCookie,
} from './page_http';

export interface OAuthRouterDeps {
  service: OAuthService;
  /** The gateway's public base URL; the issuer and the base of every advertised endpoint. */
  publicUrl: string;
  /** Shown on the PSU's pages. Default "Bob's Bank". */
  bankName?: string;
  /** The PSU browser's address (behind a trusted proxy, the forwarded one); default the socket's peer. */
  clientAddress?: (req: Request) => string;
  /** The bank's identity provider: when set, PSUs sign in there and never enter a password here. */
  identityProvider?: IdpSignIn;
  logger?: Logger;
}

export const METADATA_PATH = '/.well-known/oauth-authorization-server';
export const TOKEN_PATH = '/oauth2/token';
export const REVOKE_PATH = '/oauth2/revoke';
/** The consent page after the PSU came back from the bank's identity provider. */
export const REVIEW_PATH = `${AUTHORIZE_PATH}/review`;
/** The sign-in page of the browser's session again (the language switch of a page answering the form). */
export const SIGN_IN_PATH = `${AUTHORIZE_PATH}/sign-in`;

/**
 * Paths a browser without a client certificate must reach; the trust gate exempts exactly these. The token
 * and revocation endpoints are not among them: they authenticate the TPP by its certificate.
 */
export const OAUTH_BROWSER_PATHS: readonly string[] = [
  METADATA_PATH,
  AUTHORIZE_PATH,
  REVIEW_PATH,
  SIGN_IN_PATH,
  OAUTH_STYLESHEET_PATH,
  PAGE_ERROR_PATH,
];

/** Paths as exact-match patterns, for the trust gate's public paths. */
export const exactPathPatterns = (paths: readonly string[]): RegExp[] =>
  paths.map((p) => new RegExp(`^${p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`));

export const OAUTH_BROWSER_PATH_PATTERNS: readonly RegExp[] = exactPathPatterns(OAUTH_BROWSER_PATHS);

/** `__Host-` pins the cookie to this origin: Secure, Path=/, no Domain. */
export const SESSION_COOKIE = '__Host-psd2-authorize';

const setSessionCookie = (res: Response, sessionId: string, ttlSeconds: number): void =>
  setPageCookie(res, SESSION_COOKIE, sessionId, ttlSeconds);

/** CSP source for a redirect URI: its origin, or just its scheme for a custom-scheme app link. */
function formActionSource(redirectUri: string): string {
  const url = new URL(redirectUri);
  return url.origin !== 'null' ? url.origin : url.protocol;
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
  const bankName = deps.bankName ?? "Bob's Bank";
  const chromeOf = (req: Request, res: Response, resume?: string): PageChrome =>
    pageChrome(req, res, bankName, resume);
  const base = deps.publicUrl.replace(/\/+$/, '');
  const router = express.Router();

  // A GET page shows its error again when reloaded; a form's answer switches language at PAGE_ERROR_PATH.
  const pageFailure = (req: Request, res: Response, error: unknown): void => {
    const again = (resume: string | undefined): PageChrome =>
      chromeOf(req, res, req.method === 'GET' ? undefined : resume);
    if (error instanceof AuthorizationPageError) {
      deps.logger?.info({ event: 'oauth.authorize_refused', status: error.status, detail: error.detail });
      sendPage(res, error.status, errorPage(again(errorResume(error.text, error.status)), error.text));
      return;
    }
    if (error instanceof IdpFailure) {
      deps.logger?.warn({
        event: 'oauth.identity_provider_failed',
        reason: error.reason,
        detail: error.detail,
      });
      const page = idpRefusalPage(again(refusalResume(error.reason)), error.reason);
      sendPage(res, page.status, page.html);
      return;
    }
    deps.logger?.error({ event: 'oauth.authorize_failed', err: error });
    const text = 'Something went wrong on our side. Nothing was shared.';
    sendPage(res, 500, errorPage(again(errorResume(text, 500)), text));
  };

  const sendPaymentPage = (req: Request, res: Response, view: PaymentApprovalView): void => {
    pageCsp(formActionSource(view.redirectUri))(req, res, () => undefined);
    sendPage(
      res,
      view.debtor.kind === 'notYours' ? 403 : 200,
      paymentPage(chromeOf(req, res, REVIEW_PATH), view),
    );
  };

  /** After sign-in: the consent's page, or the payment's. */
  const sendReviewPage = (
    req: Request,
    res: Response,
    next:
      { review: ConsentReview; payment?: undefined } | { payment: PaymentApprovalView; review?: undefined },
  ): void => {
    if (next.payment !== undefined) sendPaymentPage(req, res, next.payment);
    else sendConsentPage(req, res, next.review);
  };

  const sendConsentPage = (req: Request, res: Response, review: ConsentReview): void => {
    const view = consentView(review);
    pageCsp(formActionSource(view.redirectUri))(req, res, () => undefined);
    sendPage(
      res,
      view.access.kind === 'notYours' ? 403 : 200,
      consentPage(chromeOf(req, res, REVIEW_PATH), view),
    );
  };

  const oauthFailure = (res: Response, error: unknown): void => {
    let failure: OAuthError;
    if (error instanceof OAuthError) {
      failure = error;
      // The client gets the generic description; which check failed, and on what, goes to the log.
      deps.logger?.info({
        event: 'oauth.request_refused',
        error: error.error,
        detail: error.detail ?? error.description,
      });
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

  // The error pages of the authorisation and of the dashboard, shown again for the language switch.
  router.use(createPageErrorRouter({ bankName }));

  router.get(OAUTH_STYLESHEET_PATH, pageHeaders, (_req, res) => {
    res.set('Cache-Control', 'public, max-age=3600').type('css').send(OAUTH_STYLESHEET);
  });

  router.get(AUTHORIZE_PATH, pageHeaders, selfOnlyCsp, async (req, res) => {
    try {
      const started = await service.beginAuthorization(queryParams(req));
      setSessionCookie(res, started.sessionId, started.sessionTtlSeconds);
      if (deps.identityProvider !== undefined) {
        // A payment's amount and payee travel as RFC 9396 authorization_details (dynamic linking).
        const url = await deps.identityProvider.start('authorize', started.sessionId, started.prompt.subject);
        res.set('Cache-Control', 'no-store').redirect(303, url);
        return;
      }
      sendPage(res, 200, signInPage(chromeOf(req, res), signInView(started.prompt)));
    } catch (error) {
      pageFailure(req, res, error);
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
              oneTimeCode: form.get('otp') ?? undefined,
              clientAddress: deps.clientAddress?.(req) ?? req.socket.remoteAddress ?? 'unknown',
            })
          : await service.decide({
              sessionId,
              csrfToken,
              decision,
              accounts: form.getAll('accounts'),
              dynamicLink: form.get('dynamic_link') ?? undefined,
            });
      if (result.kind === 'signedIn') setSessionCookie(res, result.sessionId, result.sessionTtlSeconds);
      if (result.kind === 'redirect') {
        clearPageCookie(res, SESSION_COOKIE);
        res.set('Cache-Control', 'no-store').redirect(303, result.location);
        return;
      }
      if (result.kind === 'signIn') {
        selfOnlyCsp(req, res, () => undefined);
        const { error, retryAfterMinutes } = result.prompt;
        const resume = signInResume(SIGN_IN_PATH, {
          ...(error !== undefined ? { error } : {}),
          ...(retryAfterMinutes !== undefined ? { retryAfterMinutes } : {}),
        });
        sendPage(res, 200, signInPage(chromeOf(req, res, resume), signInView(result.prompt)));
        return;
      }
      if (result.kind === 'payment') {
        sendPaymentPage(req, res, result.view);
        return;
      }
      sendReviewPage(req, res, result);
    } catch (error) {
      selfOnlyCsp(req, res, () => undefined);
      pageFailure(req, res, error);
    }
  });

  router.get(SIGN_IN_PATH, pageHeaders, selfOnlyCsp, async (req, res) => {
    try {
      const again = await service.signInAgain(readCookie(req, SESSION_COOKIE));
      if (again.kind === 'signedIn') {
        res.set('Cache-Control', 'no-store').redirect(303, REVIEW_PATH);
        return;
      }
      const notice = signInNoticeOf(req, ['credentials', 'locked']);
      const prompt = {
        ...again.prompt,
        ...(notice.error === 'credentials' || notice.error === 'locked' ? { error: notice.error } : {}),
        ...(notice.retryAfterMinutes !== undefined ? { retryAfterMinutes: notice.retryAfterMinutes } : {}),
      };
      sendPage(res, 200, signInPage(chromeOf(req, res), signInView(prompt)));
    } catch (error) {
      pageFailure(req, res, error);
    }
  });

  router.get(REVIEW_PATH, pageHeaders, async (req, res) => {
    try {
      sendReviewPage(req, res, await service.review(readCookie(req, SESSION_COOKIE)));
    } catch (error) {
      selfOnlyCsp(req, res, () => undefined);
      pageFailure(req, res, error);
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
