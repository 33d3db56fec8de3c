import { parse as legacyUrlParse } from 'node:url';

export interface RequestTarget {
  path: string;
  /** The raw query string without `?`; undefined when the target has none. */
  query: string | undefined;
}

function legacy(url: string): RequestTarget {
  const parsed = legacyUrlParse(url);
  return { path: parsed.pathname ?? '', query: parsed.query ?? undefined };
}

/**
 * Path and query exactly as express's `req.path` and `req.query` see them (parseurl's algorithm: an
 * origin-form URL without white space or `#` is cut at the first `?`, anything else goes through the
 * legacy parser). The trust gate judges public paths and role requirements on this path, and the AIS
 * API routes on it without express, so both agree with what express would have routed.
 */
export function requestTarget(url: string | undefined): RequestTarget {
  if (url === undefined) return { path: '', query: undefined };
  if (url.charCodeAt(0) !== 0x2f /* / */) return legacy(url);
  let queryStart = -1;
  // A white-space or `#` anywhere, in the query too, sends the whole target to the legacy parser.
  for (let i = 1; i < url.length; i++) {
    switch (url.charCodeAt(i)) {
      case 0x3f /* ? */:
        if (queryStart < 0) queryStart = i;
        break;
      case 0x09 /* \t */:
      case 0x0a /* \n */:
      case 0x0c /* \f */:
      case 0x0d /* \r */:
      case 0x20 /* space */:
      case 0x23 /* # */:
      case 0xa0:
      case 0xfeff:
        return legacy(url);
    }
  }
  return queryStart < 0
    ? { path: url, query: undefined }
    : { path: url.slice(0, queryStart), query: url.slice(queryStart + 1) };
}
