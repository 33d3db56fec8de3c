import express, { type Request, type Router } from 'express';
import type { Logger } from '../audit/logger';
import type { OAuthService } from '../oauth/oauth_service';
import type { ConsentDashboard } from '../psu/consent_dashboard';
import type { IdpSignIn } from '../psu/idp_sign_in';
import { IDP_CALLBACK_PATH } from '../psu/psu_identity_provider';
import { idpRefusalPage } from './idp_pages';
import { pageChrome } from './page_language';
import { errorPage } from './oauth_pages';
import { errorResume, refusalResume } from './page_resume';
import { AuthorizationPageError } from '../oauth/oauth_error';
import { REVIEW_PATH, SESSION_COOKIE } from './oauth_routes';
import { pageHeaders, readCookie, selfOnlyCsp, sendPage, setPageCookie } from './page_http';
import { DASHBOARD_COOKIE } from './psu_dashboard_routes';
import { DASHBOARD_PATH } from './psu_dashboard_pages';

export const IDENTITY_BROWSER_PATHS: readonly string[] = [IDP_CALLBACK_PATH];

export interface IdentityRouterDeps {
  identityProvider: IdpSignIn;
  oauth: OAuthService;
  dashboard: ConsentDashboard;
  bankName?: string;
  logger?: Logger;
}

/** Query parameters of the provider's redirect, first value of each (openid-client reads them so). */
function callbackQuery(req: Request): Record<string, string> {
  const params = new URL(req.originalUrl, 'http://query.invalid').searchParams;
  const out: Record<string, string> = {};
  for (const name of new Set(params.keys())) out[name] = params.get(name) ?? '';
  return out;
}

/**
 * The return from the bank's identity provider, for both pages that send PSUs there: the authorisation
 * page continues at its consent review, the dashboard at its overview. Any refusal is a page; the consent
 * is not touched.
 */
export function createIdentityRouter(deps: IdentityRouterDeps): Router {
  const bankName = deps.bankName ?? "Bob's Bank";
  const router = express.Router();

  // The provider's return is used once: reloaded, it would be refused as replayed. So the language switch
  // of its pages goes to the same message at the error page, never back here.
  router.get(IDP_CALLBACK_PATH, pageHeaders, selfOnlyCsp, async (req, res) => {
    try {
      const cookies = { authorize: SESSION_COOKIE, dashboard: DASHBOARD_COOKIE } as const;
      const outcome = await deps.identityProvider.finish(callbackQuery(req), (purpose) =>
        readCookie(req, cookies[purpose]),
      );
      if (!outcome.ok) {
        const chrome = pageChrome(req, res, bankName, refusalResume(outcome.refusal));
        const page = idpRefusalPage(chrome, outcome.refusal);
        sendPage(res, page.status, page.html);
        return;
      }
      if (outcome.purpose === 'authorize') {
        const signedIn = await deps.oauth.signedInAtIdentityProvider(
          readCookie(req, SESSION_COOKIE),
          outcome.psu,
        );
        setPageCookie(res, SESSION_COOKIE, signedIn.sessionId, signedIn.sessionTtlSeconds);
        res.set('Cache-Control', 'no-store').redirect(303, REVIEW_PATH);
        return;
      }
      const answer = await deps.dashboard.signedInAtIdentityProvider(
        readCookie(req, DASHBOARD_COOKIE),
        outcome.psu,
      );
      if (answer.newSession !== undefined) {
        setPageCookie(res, DASHBOARD_COOKIE, answer.newSession.id, answer.newSession.ttlSeconds);
      }
      res.set('Cache-Control', 'no-store').redirect(303, DASHBOARD_PATH);
    } catch (error) {
      if (error instanceof AuthorizationPageError) {
        // The authorisation's session ended while the PSU was at the provider, or its consent changed.
        deps.logger?.info({ event: 'oauth.authorize_refused', status: error.status, detail: error.detail });
        const chrome = pageChrome(req, res, bankName, errorResume(error.text, error.status));
        sendPage(res, error.status, errorPage(chrome, error.text));
        return;
      }
      deps.logger?.error({ event: 'psu.identity_callback_failed', err: error });
      const text = 'Something went wrong on our side. Nothing was shared.';
      sendPage(res, 500, errorPage(pageChrome(req, res, bankName, errorResume(text, 500)), text));
    }
  });

  return router;
}
