import express, { type Request, type Response, type Router } from 'express';
import type { Logger } from '../audit/logger';
import type { ConsentDashboard, DashboardAnswer } from '../psu/consent_dashboard';
import type { PageChrome } from './oauth_pages';
import type { IdpSignIn } from '../psu/idp_sign_in';
import { IdpFailure } from '../psu/psu_identity_provider';
import { idpRefusalPage } from './idp_pages';
import { pageChrome } from './page_language';
import { errorPage } from './oauth_pages';
import { errorResume, signInNoticeOf, signInResume } from './page_resume';
import {
  clearPageCookie,
  formBody,
  formParams,
  pageHeaders,
  readCookie,
  selfOnlyCsp,
  sendPage,
  setPageCookie,
} from './page_http';
import {
  DASHBOARD_PATH,
  DASHBOARD_SIGN_IN_PATH,
  DASHBOARD_SIGN_OUT_PATH,
  DASHBOARD_WITHDRAW_PATH,
  dashboardPage,
} from './psu_dashboard_pages';

/** Its own cookie: a dashboard session never doubles as an authorisation session. */
export const DASHBOARD_COOKIE = '__Host-psd2-psu';

/** Browser paths of the dashboard, for the trust gate's exemptions. */
export const DASHBOARD_BROWSER_PATHS: readonly string[] = [
  DASHBOARD_PATH,
  DASHBOARD_SIGN_IN_PATH,
  DASHBOARD_WITHDRAW_PATH,
  DASHBOARD_SIGN_OUT_PATH,
];

export interface DashboardRouterDeps {
  dashboard: ConsentDashboard;
  bankName?: string;
  clientAddress?: (req: Request) => string;
  /** The bank's identity provider: when set, PSUs sign in there and never enter a password here. */
  identityProvider?: IdpSignIn;
  logger?: Logger;
}

export function createPsuDashboardRouter(deps: DashboardRouterDeps): Router {
  const bankName = deps.bankName ?? "Bob's Bank";
  const chromeOf = (req: Request, res: Response, resume?: string): PageChrome =>
    pageChrome(req, res, bankName, resume);
  const router = express.Router();

  // Every dashboard page is shown again by GET /psu/consents (with the sign-in notice, or the consent just
  // withdrawn): the switch goes there, so answers to the forms switch language too.
  const answer = (req: Request, res: Response, result: DashboardAnswer): void => {
    if (result.newSession !== undefined) {
      setPageCookie(res, DASHBOARD_COOKIE, result.newSession.id, result.newSession.ttlSeconds);
    }
    const page = result.page;
    const resume =
      page.kind === 'signIn'
        ? signInResume(DASHBOARD_PATH, {
            ...(page.error !== undefined ? { error: page.error } : {}),
            ...(page.retryAfterMinutes !== undefined ? { retryAfterMinutes: page.retryAfterMinutes } : {}),
          })
        : page.withdrawn !== undefined
          ? `${DASHBOARD_PATH}?${new URLSearchParams({ withdrawn: page.withdrawn }).toString()}`
          : DASHBOARD_PATH;
    sendPage(res, 200, dashboardPage(chromeOf(req, res, resume), page));
  };
  const failed = (req: Request, res: Response, error: unknown): void => {
    deps.logger?.error({ event: 'psu.dashboard_failed', err: error });
    const text = 'Something went wrong on our side. Nothing was changed.';
    // A GET is tried again by the switch; a form's failure is shown again at the error page.
    const chrome = chromeOf(req, res, req.method === 'GET' ? undefined : errorResume(text, 500));
    sendPage(res, 500, errorPage(chrome, text));
  };
  const form = (req: Request): URLSearchParams => formParams(req) ?? new URLSearchParams();

  router.get(DASHBOARD_PATH, pageHeaders, selfOnlyCsp, async (req, res) => {
    try {
      const sessionId = readCookie(req, DASHBOARD_COOKIE);
      const query = new URL(req.originalUrl, 'http://query.invalid').searchParams;
      const withdrawn = query.get('withdrawn') ?? undefined;
      const idp = deps.identityProvider;
      if (idp === undefined) {
        const opened = await deps.dashboard.open(sessionId, withdrawn);
        const notice = signInNoticeOf(req, ['credentials', 'locked', 'expired']);
        answer(
          req,
          res,
          opened.page.kind === 'signIn' ? { ...opened, page: { ...opened.page, ...notice } } : opened,
        );
        return;
      }
      const signedIn = await deps.dashboard.signedIn(sessionId, withdrawn);
      if (signedIn !== undefined) {
        answer(req, res, signedIn);
        return;
      }
      const session = await deps.dashboard.startSession();
      const url = await idp.start('dashboard', session.id, { kind: 'consentDashboard' });
      setPageCookie(res, DASHBOARD_COOKIE, session.id, session.ttlSeconds);
      res.set('Cache-Control', 'no-store').redirect(303, url);
    } catch (error) {
      if (error instanceof IdpFailure) {
        deps.logger?.warn({
          event: 'psu.identity_provider_failed',
          reason: error.reason,
          detail: error.detail,
        });
        const page = idpRefusalPage(chromeOf(req, res), error.reason);
        sendPage(res, page.status, page.html);
        return;
      }
      failed(req, res, error);
    }
  });

  router.post(DASHBOARD_SIGN_IN_PATH, pageHeaders, selfOnlyCsp, formBody, async (req, res) => {
    const f = form(req);
    try {
      const result = await deps.dashboard.signIn({
        sessionId: readCookie(req, DASHBOARD_COOKIE),
        csrfToken: f.get('csrf_token') ?? undefined,
        username: f.get('username') ?? undefined,
        password: f.get('password') ?? undefined,
        oneTimeCode: f.get('otp') ?? undefined,
        clientAddress: deps.clientAddress?.(req) ?? req.socket.remoteAddress ?? 'unknown',
      });
      answer(req, res, result);
    } catch (error) {
      failed(req, res, error);
    }
  });

  router.post(DASHBOARD_WITHDRAW_PATH, pageHeaders, selfOnlyCsp, formBody, async (req, res) => {
    const f = form(req);
    try {
      const result = await deps.dashboard.withdraw({
        sessionId: readCookie(req, DASHBOARD_COOKIE),
        csrfToken: f.get('csrf_token') ?? undefined,
        consentId: f.get('consent_id') ?? undefined,
      });
      answer(req, res, result);
    } catch (error) {
      failed(req, res, error);
    }
  });

  router.post(DASHBOARD_SIGN_OUT_PATH, pageHeaders, formBody, async (req, res) => {
    try {
      await deps.dashboard.signOut(readCookie(req, DASHBOARD_COOKIE));
      clearPageCookie(res, DASHBOARD_COOKIE);
      res.set('Cache-Control', 'no-store').redirect(303, DASHBOARD_PATH);
    } catch (error) {
      failed(req, res, error);
    }
  });

  return router;
}
