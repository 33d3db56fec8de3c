/**
 * Server identity verification per RFC 6125, deliberately narrower than Node's default:
 *
 * - A host name is matched only against subjectAltName dNSName entries (DNS-IDs). The subject CN is
 *   never consulted, not even when the certificate has no SAN at all (RFC 6125 §6.4.4 allows the CN
 *   fallback; CA/Browser Forum practice and RFC 9525 drop it, and so do we).
 * - An IP address is matched only against subjectAltName iPAddress entries, byte for byte; a dNSName
 *   that happens to spell an address does not count.
 * - Comparison is case-insensitive (ASCII only: internationalised names must already be A-labels) and
 *   one trailing dot on either side is ignored, since `example.com.` and `example.com` name the same
 *   host.
 * - A wildcard is accepted only as the complete left-most label (`*.bank.example`), matches exactly one
 *   non-empty label, and is refused when fewer than two labels follow it (`*.example`). We do not consult
 *   the Public Suffix List, so `*.co.uk` is accepted; trust anchors that issue such names have larger
 *   problems than this check can solve.
 */
import { isIP } from 'node:net';
import { ParsedCertificate, formatIpAddress } from '../pki/certificate/parsed_certificate';

export class ServerIdentityError extends Error {
  readonly code = 'ERR_TLS_CERT_ALTNAME_INVALID';
  constructor(
    message: string,
    readonly reference: string,
    readonly presented: readonly string[],
  ) {
    super(message);
    this.name = 'ServerIdentityError';
  }
}

/** What a certificate claims to be, from its subjectAltName only. */
export interface PresentedIdentifiers {
  dnsNames: string[];
  ipAddresses: string[];
}

export function presentedIdentifiers(certDer: Uint8Array): PresentedIdentifiers {
  const cert = ParsedCertificate.parse(certDer);
  const result: PresentedIdentifiers = { dnsNames: [], ipAddresses: [] };
  for (const name of cert.subjectAltNames ?? []) {
    if (name.type === 'dns') result.dnsNames.push(name.value);
    else if (name.type === 'ip') result.ipAddresses.push(formatIpAddress(name.value));
  }
  return result;
}

/** Lower-case, one trailing dot removed; undefined when not a syntactically usable host name. */
function normaliseDnsName(name: string, allowWildcard: boolean): string | undefined {
  let value = name.toLowerCase();
  if (value.endsWith('.')) value = value.slice(0, -1);
  if (value === '' || value.length > 253) return undefined;
  const labels = value.split('.');
  for (const [index, label] of labels.entries()) {
    if (allowWildcard && index === 0 && label === '*') continue;
    if (!/^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/.test(label)) return undefined;
  }
  return value;
}

/** Whether one presented DNS-ID matches the reference host name under the rules above. */
export function matchesDnsId(presented: string, reference: string): boolean {
  const ref = normaliseDnsName(reference, false);
  const pres = normaliseDnsName(presented, true);
  if (ref === undefined || pres === undefined) return false;
  if (!pres.startsWith('*.')) return pres === ref;
  const suffix = pres.slice(2);
  // At least two labels after the wildcard: `*.example` would cover a whole top-level domain.
  if (suffix.split('.').length < 2) return false;
  const dot = ref.indexOf('.');
  if (dot <= 0) return false;
  // The wildcard stands for exactly the reference's first label, so it never spans a dot.
  return ref.slice(dot + 1) === suffix;
}

function ipBytes(address: string): Buffer | undefined {
  const kind = isIP(address);
  if (kind === 4) return Buffer.from(address.split('.').map(Number));
  if (kind !== 6) return undefined;
  let text = address.toLowerCase();
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  // An embedded dotted quad occupies the last two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1] !== undefined) {
    const b = v4[1].split('.').map(Number);
    text = `${text.slice(0, -v4[1].length)}${(((b[0] ?? 0) << 8) | (b[1] ?? 0)).toString(16)}:${(((b[2] ?? 0) << 8) | (b[3] ?? 0)).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - headGroups.length - tailGroups.length;
  if (missing < 0 || (tail === undefined && missing !== 0)) return undefined;
  const groups = [...headGroups, ...Array<string>(missing).fill('0'), ...tailGroups];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/** Whether a presented iPAddress equals the reference address (IPv4 and IPv6, never across families). */
export function matchesIpAddress(presented: string, reference: string): boolean {
  const a = ipBytes(presented);
  const b = ipBytes(reference);
  return a !== undefined && b !== undefined && a.equals(b);
}

/**
 * Checks that the certificate identifies `reference` (a host name or IP address, optionally with a
 * trailing dot). Returns an error instead of throwing so it can be handed to `tls.connect` as-is.
 */
export function checkServerIdentity(reference: string, certDer: Uint8Array): ServerIdentityError | undefined {
  const bare = reference.startsWith('[') && reference.endsWith(']') ? reference.slice(1, -1) : reference;
  let ids: PresentedIdentifiers;
  try {
    ids = presentedIdentifiers(certDer);
  } catch (error) {
    return new ServerIdentityError(
      `server certificate unreadable: ${error instanceof Error ? error.message : String(error)}`,
      reference,
      [],
    );
  }
  const presented = [...ids.dnsNames.map((n) => `DNS:${n}`), ...ids.ipAddresses.map((n) => `IP:${n}`)];
  if (isIP(bare) !== 0) {
    if (ids.ipAddresses.some((ip) => matchesIpAddress(ip, bare))) return undefined;
    return new ServerIdentityError(
      `server certificate does not name IP address ${bare} in subjectAltName iPAddress (presented: ${presented.join(', ') || 'none'})`,
      reference,
      presented,
    );
  }
  if (ids.dnsNames.length === 0) {
    return new ServerIdentityError(
      `server certificate has no subjectAltName dNSName; the subject CN is not used for identity (RFC 6125 §6.4.4)`,
      reference,
      presented,
    );
  }
  if (ids.dnsNames.some((name) => matchesDnsId(name, bare))) return undefined;
  return new ServerIdentityError(
    `server certificate is not valid for ${bare} (presented: ${presented.join(', ')})`,
    reference,
    presented,
  );
}
