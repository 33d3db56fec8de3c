import { FormatError } from '../errors/gateway_error';
import type { TppIdentity } from '../pki/identity/tpp_identity';

export interface RedirectUriPolicyOptions {
  /** organizationIdentifier → hosts the bank registered for that TPP. Takes precedence over the certificate. */
  registeredHosts?: Readonly<Record<string, readonly string[]>>;
}

const PATH = 'header.TPP-Redirect-URI';
const MAX_LENGTH = 2048;

function refuse(text: string, detail?: string): never {
  throw new FormatError({ text, path: PATH, ...(detail !== undefined ? { detail } : {}) });
}

/** RFC 6125 style: exact, or a `*.` wildcard standing for exactly one leftmost label. */
function hostMatches(host: string, pattern: string): boolean {
  const p = pattern.toLowerCase().replace(/\.$/, '');
  if (p.startsWith('*.')) {
    const suffix = p.slice(1);
    return (
      host.endsWith(suffix) && !host.slice(0, -suffix.length).includes('.') && host.length > suffix.length
    );
  }
  return host === p;
}

/**
 * Which TPP-Redirect-URIs a TPP may record on a consent. The rule:
 * 1. an absolute `https:` URL of at most 2048 characters, with no user info and no fragment, whose host
 *    is a DNS name (not an IP literal);
 * 2. the host equals one of the hosts the bank registered for the TPP's organizationIdentifier, or, when
 *    none are registered, one of the dNSName entries of the TPP's QWAC (wildcards cover one label);
 * 3. with neither known, every URI is refused: a host cannot be shown to belong to the TPP.
 */
export class RedirectUriPolicy {
  constructor(private readonly options: RedirectUriPolicyOptions = {}) {}

  check(uri: string | undefined, tpp: TppIdentity, certificateDnsNames?: readonly string[]): string {
    if (uri === undefined || uri.trim() === '') refuse('TPP-Redirect-URI is required');
    if (uri.length > MAX_LENGTH) refuse('TPP-Redirect-URI is too long');
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      refuse('TPP-Redirect-URI is not an absolute URL');
    }
    if (url.protocol !== 'https:') refuse('TPP-Redirect-URI must use https');
    if (url.username !== '' || url.password !== '')
      refuse('TPP-Redirect-URI must not carry user information');
    if (uri.includes('#')) refuse('TPP-Redirect-URI must not carry a fragment');
    const host = url.hostname.toLowerCase();
    if (host.startsWith('[') || /^[\d.]+$/.test(host)) refuse('TPP-Redirect-URI host must be a DNS name');

    const registered = this.options.registeredHosts?.[tpp.organizationIdentifier];
    const allowed = registered ?? certificateDnsNames ?? [];
    if (allowed.length === 0) {
      refuse(
        'TPP-Redirect-URI host cannot be matched to the TPP',
        'no registered hosts and no certificate dNSNames',
      );
    }
    if (!allowed.some((pattern) => hostMatches(host, pattern))) {
      refuse('TPP-Redirect-URI host does not belong to the TPP', `host ${host} not in ${allowed.join(',')}`);
    }
    // Stored as sent: the OAuth step compares redirect_uri with it byte for byte.
    return uri;
  }
}
