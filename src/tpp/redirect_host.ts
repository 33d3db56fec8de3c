import { isHostNameLike } from '../pki/path/name_constraints';

/**
 * A redirect host as the TPP directory keeps it: lower case, no trailing dot, optionally `*.` standing
 * for exactly one leftmost label (as the redirect-URI check matches it). An IP address, a port, a path or
 * a scheme is refused: the check compares host names only, so such an entry would silently match nothing.
 */
export function redirectHost(argument: string): string {
  const host = argument.trim().toLowerCase().replace(/\.$/, '');
  const name = host.startsWith('*.') ? host.slice(2) : host;
  if (!isHostNameLike(name) || /^[\d.]+$/.test(name)) {
    throw new Error(
      `"${argument}" is not a host name (e.g. api.tpp.example, or *.tpp.example for one label); no scheme, port or path`,
    );
  }
  return host;
}

/**
 * Second-level labels that, under a two-letter country code, are registries' public suffixes rather
 * than anyone's domain (co.uk, com.au, ac.jp, ...). Not the Public Suffix List: enough to refuse the
 * obvious mistakes; an entry is a bank operator's deliberate act and is listed by `tpp hosts list`.
 */
const COUNTRY_SECOND_LEVELS: ReadonlySet<string> = new Set([
  'ac',
  'co',
  'com',
  'edu',
  'gov',
  'govt',
  'gv',
  'ltd',
  'me',
  'mil',
  'ne',
  'net',
  'nhs',
  'or',
  'org',
  'plc',
  'sch',
]);

/**
 * A host for `tpp hosts add`: as redirectHost, and a wildcard must stand for a name inside one domain.
 * `*.` followed by a single label (`*.com`) or a country's public second level (`*.co.uk`) would let
 * the TPP's redirect URIs point at any domain registered there.
 */
export function registrableRedirectHost(argument: string): string {
  const host = redirectHost(argument);
  if (!host.startsWith('*.')) return host;
  const labels = host.slice(2).split('.');
  const [second, top] = labels.slice(-2);
  if (
    labels.length < 2 ||
    (labels.length === 2 && top?.length === 2 && second !== undefined && COUNTRY_SECOND_LEVELS.has(second))
  ) {
    throw new Error(
      `"${argument}": a wildcard needs a domain of its own under it (e.g. *.tpp.example), not a top-level or public suffix`,
    );
  }
  return host;
}
