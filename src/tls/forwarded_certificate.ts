/**
 * Client certificates forwarded by a TLS-terminating proxy. Believed only on connections from a
 * configured proxy address; on any other connection the headers are removed before anything reads them.
 * A forwarded chain is still only a candidate: it goes through the same path validation.
 */
import { BlockList, isIP } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';
import { decodePemBlocks } from '../pki/asn1/pem';
import type { PresentedChain } from './presented_chain';

export const FORWARDED_CERTIFICATE_HEADERS = [
  'client-cert',
  'client-cert-chain',
  'x-ssl-client-cert',
  'x-forwarded-client-cert',
] as const;

const MAX_FORWARDED_CERTIFICATES = 16;

export class ForwardedCertificateError extends Error {}

export class TrustedProxies {
  private readonly list = new BlockList();
  readonly empty: boolean;

  /** Entries are IP addresses or CIDR ranges (`10.0.0.0/8`, `::1`). */
  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const [address, prefix] = entry.split('/');
      const family = address === undefined ? 0 : isIP(address);
      if (address === undefined || family === 0) throw new Error(`not an IP address or CIDR range: ${entry}`);
      const type = family === 6 ? 'ipv6' : 'ipv4';
      if (prefix === undefined) this.list.addAddress(address, type);
      else {
        const bits = Number(prefix);
        if (!Number.isInteger(bits) || bits < 0 || bits > (family === 6 ? 128 : 32)) {
          throw new Error(`bad prefix length in ${entry}`);
        }
        this.list.addSubnet(address, bits, type);
      }
    }
    this.empty = entries.length === 0;
  }

  includes(remoteAddress: string | undefined): boolean {
    if (this.empty || remoteAddress === undefined) return false;
    // IPv4 peers on a dual-stack socket appear as ::ffff:a.b.c.d.
    const address = remoteAddress.startsWith('::ffff:') ? remoteAddress.slice(7) : remoteAddress;
    const family = isIP(address);
    if (family === 0) return false;
    return this.list.check(address, family === 6 ? 'ipv6' : 'ipv4');
  }
}

export function stripForwardedCertificateHeaders(headers: IncomingHttpHeaders): boolean {
  let stripped = false;
  for (const name of FORWARDED_CERTIFICATE_HEADERS) {
    if (headers[name] !== undefined) {
      delete headers[name];
      stripped = true;
    }
  }
  return stripped;
}

function single(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  if (Array.isArray(value)) throw new ForwardedCertificateError(`${name} header repeated`);
  return value;
}

/** RFC 8941 byte sequence `:base64:`. */
function parseSfBinary(item: string, header: string): Buffer {
  const match = /^:([A-Za-z0-9+/]*={0,2}):$/.exec(item.trim());
  if (match === null)
    throw new ForwardedCertificateError(`${header} is not a structured-field byte sequence`);
  return Buffer.from(match[1] ?? '', 'base64');
}

function pemCertificates(text: string, header: string): Buffer[] {
  let blocks: Buffer[];
  try {
    blocks = decodePemBlocks(text, 'CERTIFICATE');
  } catch {
    throw new ForwardedCertificateError(`${header} holds malformed PEM`);
  }
  if (blocks.length === 0) throw new ForwardedCertificateError(`${header} holds no certificate`);
  return blocks;
}

function decodeUriComponentStrict(value: string, header: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new ForwardedCertificateError(`${header} is not URL-encoded`);
  }
}

function bounded(leaf: Buffer, intermediates: Buffer[]): PresentedChain {
  if (intermediates.length > MAX_FORWARDED_CERTIFICATES) {
    throw new ForwardedCertificateError(
      `forwarded chain longer than ${MAX_FORWARDED_CERTIFICATES} certificates`,
    );
  }
  return { leaf, intermediates, source: 'forwarded' };
}

/** Envoy's XFCC: elements separated by commas, key=value pairs by semicolons, values maybe quoted. */
function parseXfccElement(element: string): Map<string, string> {
  const pairs = new Map<string, string>();
  const pattern = /\s*([A-Za-z]+)=("(?:[^"\\]|\\.)*"|[^;]*)\s*(?:;|$)/y;
  let match: RegExpExecArray | null;
  while (pattern.lastIndex < element.length && (match = pattern.exec(element)) !== null) {
    const key = (match[1] ?? '').toLowerCase();
    let value = match[2] ?? '';
    if (value.startsWith('"')) value = value.slice(1, -1).replace(/\\(.)/g, '$1');
    pairs.set(key, value);
    if (match[0] === '') break;
  }
  return pairs;
}

function splitXfccElements(value: string): string[] {
  const elements: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch === '\\' && quoted) {
      current += ch + (value[i + 1] ?? '');
      i++;
    } else if (ch === '"') {
      quoted = !quoted;
      current += ch;
    } else if (ch === ',' && !quoted) {
      elements.push(current);
      current = '';
    } else current += ch;
  }
  elements.push(current);
  return elements.map((e) => e.trim()).filter((e) => e !== '');
}

/**
 * The forwarded chain, if a recognised header is present. Precedence: RFC 9440, then nginx, then
 * Envoy; a proxy is expected to send one of them.
 */
export function forwardedChainFrom(headers: IncomingHttpHeaders): PresentedChain | undefined {
  const clientCert = single(headers, 'client-cert');
  if (clientCert !== undefined) {
    const leaf = parseSfBinary(clientCert, 'Client-Cert');
    const chainHeader = single(headers, 'client-cert-chain');
    const intermediates =
      chainHeader === undefined || chainHeader.trim() === ''
        ? []
        : chainHeader.split(',').map((item) => parseSfBinary(item, 'Client-Cert-Chain'));
    return bounded(leaf, intermediates);
  }
  const nginx = single(headers, 'x-ssl-client-cert');
  if (nginx !== undefined) {
    const [leaf, ...intermediates] = pemCertificates(
      decodeUriComponentStrict(nginx, 'X-SSL-Client-Cert'),
      'X-SSL-Client-Cert',
    );
    return bounded(leaf as Buffer, intermediates);
  }
  const xfcc = single(headers, 'x-forwarded-client-cert');
  if (xfcc !== undefined) {
    // Each proxy appends an element; the last one was added by the proxy that connects to us.
    const element = splitXfccElements(xfcc).at(-1);
    const pairs = element === undefined ? new Map<string, string>() : parseXfccElement(element);
    const cert = pairs.get('cert');
    if (cert === undefined) throw new ForwardedCertificateError('X-Forwarded-Client-Cert has no Cert field');
    const [leaf] = pemCertificates(
      decodeUriComponentStrict(cert, 'X-Forwarded-Client-Cert'),
      'X-Forwarded-Client-Cert',
    );
    const chain = pairs.get('chain');
    const rest =
      chain === undefined
        ? []
        : pemCertificates(
            decodeUriComponentStrict(chain, 'X-Forwarded-Client-Cert'),
            'X-Forwarded-Client-Cert',
          );
    // Envoy's Chain includes the leaf again.
    const intermediates = rest.filter((der) => !der.equals(leaf as Buffer));
    return bounded(leaf as Buffer, intermediates);
  }
  return undefined;
}
