import { createHash } from 'node:crypto';
import express, { type Request, type Router } from 'express';
import type { IdpSignInRefusal } from '../psu/idp_sign_in';
import { idpRefusalPage, isIdpRefusal } from './idp_pages';
import { errorPage, type SignInError } from './oauth_pages';
import { pageChrome } from './page_language';
import { pageHeaders, selfOnlyCsp, sendPage } from './page_http';
import { PAGE_TEXT } from './page_text';

/**
 * GET addresses that show again what a page answering a form showed, for its language switch (a POST
 * cannot be reloaded, nor can the one-time return from the bank's identity provider). They carry only
 * the choice of a fixed text, never text itself: a sign-in notice by name, an error by the digest of one
 * of the known texts, an identity provider refusal by name. Nothing else can be made to appear.
 */

/** The error page shown again in the other language; no client certificate, no session needed. */
export const PAGE_ERROR_PATH = '/psu/error';

/** The statuses a PSU error page is answered with (AuthorizationPageError's, and 500). */
const ERROR_STATUSES = [400, 403, 500] as const;
type ErrorStatus = (typeof ERROR_STATUSES)[number];

/** A short stable name for a known English text (the key of its German version). */
function messageKey(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 16);
}

/** Every error text of the pages: the English keys of the German table. */
const KNOWN_MESSAGES: ReadonlyMap<string, string> = new Map(
  Object.keys(PAGE_TEXT.de.errors).map((text) => [messageKey(text), text]),
);

/** Shown for an address that names no known text. */
export const NO_MESSAGE = 'There is nothing to show at this address.';

const isErrorStatus = (value: number): value is ErrorStatus =>
  (ERROR_STATUSES as readonly number[]).includes(value);

/**
 * Where the switch of an error page answering a form goes. A text the error page knows by digest is shown
 * again with its status; any other (none should exist: test/psu/page_texts.test.ts) has no GET address.
 */
export function errorResume(text: string, status: number): string | undefined {
  const key = messageKey(text);
  if (!KNOWN_MESSAGES.has(key)) return undefined;
  return `${PAGE_ERROR_PATH}?${new URLSearchParams({ m: key, status: String(isErrorStatus(status) ? status : 400) }).toString()}`;
}

/** Where the switch of an identity provider refusal goes. */
export function refusalResume(refusal: IdpSignInRefusal): string {
  return `${PAGE_ERROR_PATH}?${new URLSearchParams({ refusal }).toString()}`;
}

export interface SignInNotice {
  error?: SignInError;
  retryAfterMinutes?: number;
}

/** Longest pause a notice may claim: the sign-in limiter's lock is 15 minutes. */
const MAX_NOTICE_MINUTES = 60;

/** A sign-in page at `path` (a GET page), with the notice the page answering the form showed. */
export function signInResume(path: string, notice: SignInNotice): string {
  if (notice.error === undefined) return path;
  const query = new URLSearchParams({ notice: notice.error });
  if (notice.error === 'locked') query.set('minutes', String(notice.retryAfterMinutes ?? 15));
  return `${path}?${query.toString()}`;
}

/** The notice a sign-in page's address names, if any. */
export function signInNoticeOf(req: Request, allowed: readonly SignInError[]): SignInNotice {
  const query = new URL(req.originalUrl, 'http://query.invalid').searchParams;
  const error = allowed.find((e) => e === query.get('notice'));
  if (error === undefined) return {};
  if (error !== 'locked') return { error };
  const minutes = Number(query.get('minutes'));
  return {
    error,
    retryAfterMinutes: Number.isInteger(minutes) ? Math.min(Math.max(minutes, 1), MAX_NOTICE_MINUTES) : 15,
  };
}

/** `GET /psu/error`: a known error text or refusal, in the page's language, with its status. */
export function createPageErrorRouter(params: { bankName?: string } = {}): Router {
  const bankName = params.bankName ?? "Bob's Bank";
  const router = express.Router();
  router.get(PAGE_ERROR_PATH, pageHeaders, selfOnlyCsp, (req, res) => {
    const query = new URL(req.originalUrl, 'http://query.invalid').searchParams;
    const chrome = pageChrome(req, res, bankName);
    const refusal = query.get('refusal');
    if (isIdpRefusal(refusal)) {
      const page = idpRefusalPage(chrome, refusal);
      sendPage(res, page.status, page.html);
      return;
    }
    const text = KNOWN_MESSAGES.get(query.get('m') ?? '');
    if (text === undefined) {
      sendPage(res, 404, errorPage(chrome, NO_MESSAGE));
      return;
    }
    const status = Number(query.get('status'));
    sendPage(res, isErrorStatus(status) ? status : 400, errorPage(chrome, text));
  });
  return router;
}
