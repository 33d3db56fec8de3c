import { FormatError } from '../errors/gateway_error';
import type { TppIdentity } from '../pki/identity/tpp_identity';
import { isHostNameLike } from '../pki/path/name_constraints';

/** Where the bank's TPP directory is kept (`psd2-gateway tpp hosts`); implemented in `store/`. */
export interface RegisteredRedirectHosts {
  /** The hosts registered for this organizationIdentifier, `*.` wildcards included; empty when none. */
  hostsOf(organizationIdentifier: string): Promise<readonly string[]>;
}

/**
 * `strict` refuses a TPP-Redirect-URI whose host cannot be shown to belong to the TPP; `warn` admits it
 * with a WARNING in the response's tppMessages, as some Berlin Group implementations do.
 */
export type RedirectUriCheckMode = 'strict' | 'warn';

export interface RedirectUriPolicyOptions {
  /** organizationIdentifier → hosts fixed in code (tests, embedded use); added to the directory's. */
  registeredHosts?: Readonly<Record<string, readonly string[]>>;
  /** The bank's TPP directory. */
  directory?: RegisteredRedirectHosts;
  mode?: RedirectUriCheckMode;
}

/** The certificate facts the rule reads: its dNSName entries and its one subject commonName. */
export interface CertificateHostNames {
  dnsNames?: readonly string[] | undefined;
  commonName?: string | undefined;
}

export interface CheckedRedirectUri {
  uri: string;
  /** Set in `warn` mode when the host could not be shown to belong to the TPP: the WARNING's text. */
  warning?: string;
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
 * The hosts a QWAC itself vouches for: its dNSName entries; only when it has none, its subject
 * commonName if that reads as a host name (letter-digit-hyphen labels, at least two).
 *
 * Why the fallback and why only then: ETSI TS 119 495 builds the PSD2 QWAC on EN 319 412-4, whose
 * website certificates name their hosts in subjectAltName, and the CA/Browser Forum Baseline
 * Requirements allow a subject commonName only as a copy of one of those entries. Older QWACs (issued
 * before subjectAltName was enforced) carry the host in the commonName alone; RFC 6125 (6.4.4) lets a
 * verifier fall back to the commonName exactly when the certificate has no DNS name in subjectAltName.
 * With a dNSName present, a differing commonName is ignored, as RFC 6125 and browsers do.
 */
export function certificateHosts(names: CertificateHostNames): readonly string[] {
  const dnsNames = names.dnsNames ?? [];
  if (dnsNames.length > 0) return dnsNames;
  const cn = names.commonName?.trim().toLowerCase().replace(/\.$/, '');
  return cn !== undefined && isHostNameLike(cn) ? [cn] : [];
}

/**
 * Which TPP-Redirect-URIs a TPP may record on a consent (and so be redirected to after the PSU's
 * authorisation, which must name the same URI byte for byte). The rule:
 * 1. an absolute `https:` URL of at most 2048 characters, with no user info and no fragment, whose host
 *    is a DNS name (not an IP literal); always refused otherwise, in either mode;
 * 2. the host equals one of the hosts the bank registered for the TPP's organizationIdentifier (TPP
 *    directory and hosts fixed in code), or, when none are registered, one of the hosts its QWAC vouches
 *    for (see certificateHosts; wildcards cover one label);
 * 3. with neither known, the host cannot be shown to belong to the TPP.
 * A failure of 2 or 3 is refused in `strict` mode (the default) and admitted with a warning in `warn`.
 */
export class RedirectUriPolicy {
  private readonly mode: RedirectUriCheckMode;

  constructor(private readonly options: RedirectUriPolicyOptions = {}) {
    this.mode = options.mode ?? 'strict';
  }

  private async registered(organizationIdentifier: string): Promise<readonly string[]> {
    const fixed = this.options.registeredHosts?.[organizationIdentifier] ?? [];
    const listed = (await this.options.directory?.hostsOf(organizationIdentifier)) ?? [];
    return [...fixed, ...listed];
  }

  async check(
    uri: string | undefined,
    tpp: TppIdentity,
    certificate: CertificateHostNames = {},
  ): Promise<CheckedRedirectUri> {
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

    const registered = await this.registered(tpp.organizationIdentifier);
    const allowed = registered.length > 0 ? registered : certificateHosts(certificate);
    let text: string | undefined;
    let detail: string | undefined;
    if (allowed.length === 0) {
      text = 'TPP-Redirect-URI host cannot be matched to the TPP';
      detail = 'no registered hosts, no certificate dNSName and no host name in the subject commonName';
    } else if (!allowed.some((pattern) => hostMatches(host, pattern))) {
      text = 'TPP-Redirect-URI host does not belong to the TPP';
      detail = `host ${host} not in ${allowed.join(',')}`;
    }
    if (text !== undefined) {
      if (this.mode === 'strict') refuse(text, detail);
      return { uri, warning: `${text}; admitted (GATEWAY_REDIRECT_URI_CHECK=warn)` };
    }
    // Stored as sent: the OAuth step compares redirect_uri with it byte for byte.
    return { uri };
  }
}
