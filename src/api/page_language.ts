import type { Request, Response } from 'express';
import type { PageChrome } from './oauth_pages';
import { readCookie, setPageCookie } from './page_http';
import { LANGS, type Lang } from './page_text';

/** The PSU's choice from the switch, kept for a year; not a secret, but `__Host-` keeps it to this origin. */
export const LANGUAGE_COOKIE = '__Host-psd2-lang';
const ONE_YEAR = 365 * 24 * 3600;

const isLang = (value: string | null | undefined): value is Lang =>
  value !== null && value !== undefined && (LANGS as readonly string[]).includes(value);

/** The best of our languages in an Accept-Language header (RFC 9110 §12.5.4), or undefined. */
export function fromAcceptLanguage(header: string | undefined): Lang | undefined {
  let best: { lang: Lang; q: number } | undefined;
  for (const part of (header ?? '').split(',')) {
    const [range = '', ...params] = part.trim().split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    const primary = range.trim().toLowerCase().split('-')[0];
    if (isLang(primary) && Number.isFinite(q) && q > 0 && (best === undefined || q > best.q)) {
      best = { lang: primary, q };
    }
  }
  return best?.lang;
}

/** `?lang=` (remembered in a cookie), else the cookie, else Accept-Language, else English. */
export function pageLanguage(req: Request, res: Response): Lang {
  const asked = new URL(req.originalUrl, 'http://query.invalid').searchParams.get('lang');
  if (isLang(asked)) {
    setPageCookie(res, LANGUAGE_COOKIE, asked, ONE_YEAR);
    return asked;
  }
  const remembered = readCookie(req, LANGUAGE_COOKIE);
  if (isLang(remembered)) return remembered;
  return fromAcceptLanguage(req.headers['accept-language']) ?? 'en';
}

/**
 * The page chrome for this request. The switch shows the same page in the other language: `resume`, the
 * address of a GET page that shows it (a page answering a form or a one-time return from the identity
 * provider cannot be reloaded), else, for a GET, this very address. `?lang=` remembers the choice, so the
 * pages that follow keep the language.
 */
export function pageChrome(req: Request, res: Response, bankName: string, resume?: string): PageChrome {
  const lang = pageLanguage(req, res);
  const other: Lang = lang === 'en' ? 'de' : 'en';
  const target = resume ?? (req.method === 'GET' ? req.originalUrl : undefined);
  if (target === undefined) return { bankName, lang };
  const url = new URL(target, 'http://page.invalid');
  url.searchParams.set('lang', other);
  return { bankName, lang, switchHref: `${url.pathname}${url.search}` };
}
