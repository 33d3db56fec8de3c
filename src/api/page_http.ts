import express, { type Request, type Response } from 'express';
import helmet, { contentSecurityPolicy } from 'helmet';

/**
 * HTTP plumbing of the PSU's server-rendered pages (authorisation, consent dashboard): headers, CSP,
 * cookies and form bodies, stated once.
 */

export const FORM_TYPE = 'application/x-www-form-urlencoded';
export const formBody = express.text({ type: FORM_TYPE, limit: '16kb' });

export function pageCsp(extraFormAction?: string): express.RequestHandler {
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

export const selfOnlyCsp = pageCsp();

export const pageHeaders = helmet({
  contentSecurityPolicy: false,
  frameguard: { action: 'deny' },
  referrerPolicy: { policy: 'no-referrer' },
});

export function sendPage(res: Response, status: number, html: string): void {
  res.status(status).set('Cache-Control', 'no-store').type('html').send(html);
}

/** `__Host-` cookies: HttpOnly, Secure, Path=/, no Domain, SameSite=Lax. */
export function setPageCookie(res: Response, name: string, value: string, ttlSeconds: number): void {
  res.cookie(name, value, {
    httpOnly: true,
    secure: true,
    sameSite: 'lax',
    path: '/',
    maxAge: ttlSeconds * 1000,
  });
}

export function clearPageCookie(res: Response, name: string): void {
  res.clearCookie(name, { httpOnly: true, secure: true, sameSite: 'lax', path: '/' });
}

export function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function formParams(req: Request): URLSearchParams | undefined {
  if (!req.is(FORM_TYPE) || typeof req.body !== 'string') return undefined;
  return new URLSearchParams(req.body);
}
