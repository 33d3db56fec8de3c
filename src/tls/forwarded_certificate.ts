/**
 * Client certificates forwarded by a TLS-terminating proxy. The operator names the one header format its
 * proxy sets; a forwarded certificate is believed only in that header, only on a connection from a
 * configured proxy address, and, when proxy certificates are pinned, only when that connection presents
 * a pinned certificate. Every other certificate header is removed before anything reads it (a stock proxy
 * passes a client's own headers through), and a connection presenting a client certificate of its own
 * that is not a pinned proxy certificate is judged by that certificate, never by a header.
 * A forwarded chain is still only a candidate: it goes through the same path validation.
 */
import { createHash } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { ForwardedCertHeaderFormat } from '../config/config';
import { decodePemBlocks } from '../pki/asn1/pem';
import type { PresentedChain } from './presented_chain';

/** The header fields each format uses; the first one carries the leaf. */
const FORMAT_HEADERS: Record<ForwardedCertHeaderFormat, readonly string[]> = {
  'client-cert': ['client-cert', 'client-cert-chain'],
  nginx: ['x-ssl-client-cert'],
  xfcc: ['x-forwarded-client-cert'],
};

/** Every header some proxy uses for a client certificate: all are removed unless they are the configured one. */
export const FORWARDED_CERTIFICATE_HEADERS = [
  ...new Set([
    ...Object.values(FORMAT_HEADERS).flat(),
    'ssl-client-cert',
    'x-client-cert',
    'x-ssl-client-cert-chain',
    'x-client-certificate',
    'x-arr-clientcert',
    'x-amzn-mtls-clientcert',
    'x-amzn-mtls-clientcert-leaf',
  ]),
] as const;

const MAX_FORWARDED_CERTIFICATES = 16;

export class ForwardedCertificateError extends Error {}

export interface TrustedProxiesOptions {
  /** The one header format the proxies set. Required when any proxy is listed. */
  header?: ForwardedCertHeaderFormat;
  /** SHA-256 (hex) of the client certificates the proxies present; empty: they present none. */
  proxyCertSha256?: readonly string[];
}

/** What a request's certificate is, once the forwarding rules have been applied. */
export interface ResolvedChain {
  chain: PresentedChain | undefined;
  /** Certificate headers removed before anything read them. */
  stripped: string[];
}

type HeaderSource = Pick<IncomingMessage, 'headers' | 'headersDistinct'>;

export class TrustedProxies {
  private readonly list = new BlockList();
  readonly empty: boolean;
  private readonly header: ForwardedCertHeaderFormat | undefined;
  private readonly pins: ReadonlySet<string>;

  /** Entries are IP addresses or CIDR ranges (`10.0.0.0/8`, `::1`). */
  constructor(entries: readonly string[], options: TrustedProxiesOptions = {}) {
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
    if (!this.empty && options.header === undefined)
      throw new Error('trusted proxies need the one forwarded certificate header format they set');
    this.header = options.header;
    this.pins = new Set((options.proxyCertSha256 ?? []).map((pin) => pin.toLowerCase()));
  }

  includes(remoteAddress: string | undefined): boolean {
    if (this.empty || remoteAddress === undefined) return false;
    // IPv4 peers on a dual-stack socket appear as ::ffff:a.b.c.d.
    const address = remoteAddress.startsWith('::ffff:') ? remoteAddress.slice(7) : remoteAddress;
    const family = isIP(address);
    if (family === 0) return false;
    return this.list.check(address, family === 6 ? 'ipv6' : 'ipv4');
  }

  /**
   * The chain this request is judged by: the TLS chain, or the configured header's chain when a trusted
   * proxy speaks. Throws ForwardedCertificateError when the request must be refused.
   */
  resolve<R extends HeaderSource & { socket: { remoteAddress?: string | undefined } }>(
    req: R,
    tlsChainOf: (req: R) => PresentedChain | undefined,
  ): ResolvedChain {
    const header = this.header;
    if (header === undefined || !this.includes(req.socket.remoteAddress)) {
      return { chain: tlsChainOf(req), stripped: stripForwardedCertificateHeaders(req.headers) };
    }
    const stripped = stripForwardedCertificateHeaders(req.headers, FORMAT_HEADERS[header]);
    const forwarded = FORMAT_HEADERS[header].some((name) => req.headers[name] !== undefined);
    const own = tlsChainOf(req);
    if (own !== undefined) {
      const fingerprint = createHash('sha256').update(own.leaf).digest('hex');
      if (!this.pins.has(fingerprint)) {
        // A client certificate on this very connection outranks anything written in a header.
        if (forwarded) {
          throw new ForwardedCertificateError(
            `the connection from a trusted proxy address presented its own client certificate (SHA-256 ${fingerprint}), which is not a pinned proxy certificate, together with a forwarded one`,
          );
        }
        return { chain: own, stripped };
      }
    } else if (this.pins.size > 0 && forwarded) {
      throw new ForwardedCertificateError(
        'proxy certificates are pinned, but the connection forwarding a certificate presented none',
      );
    }
    return { chain: forwarded ? forwardedChainFrom(req, header) : undefined, stripped };
  }
}

/** Removes every certificate header except `keep`; returns the names removed. */
export function stripForwardedCertificateHeaders(
  headers: IncomingHttpHeaders,
  keep: readonly string[] = [],
): string[] {
  const stripped: string[] = [];
  for (const name of FORWARDED_CERTIFICATE_HEADERS) {
    if (headers[name] !== undefined && !keep.includes(name)) {
      delete headers[name];
      stripped.push(name);
    }
  }
  return stripped;
}

/** One field line or none: node joins repeated lines with ", ", so they are counted on the raw lines. */
function single(req: HeaderSource, name: string): string | undefined {
  const values = req.headersDistinct[name];
  if (values === undefined) return undefined;
  if (values.length !== 1) throw new ForwardedCertificateError(`${name} header repeated`);
  return values[0];
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

/** The chain in the configured header, if present. */
export function forwardedChainFrom(
  req: HeaderSource,
  format: ForwardedCertHeaderFormat,
): PresentedChain | undefined {
  switch (format) {
    case 'client-cert':
      return clientCertChain(req);
    case 'nginx':
      return nginxChain(req);
    case 'xfcc':
      return xfccChain(req);
  }
}

/** RFC 9440: Client-Cert holds the leaf, Client-Cert-Chain (a list, may span lines) the rest. */
function clientCertChain(req: HeaderSource): PresentedChain | undefined {
  const clientCert = single(req, 'client-cert');
  if (clientCert === undefined) return undefined;
  const leaf = parseSfBinary(clientCert, 'Client-Cert');
  const chainLines = req.headersDistinct['client-cert-chain'] ?? [];
  const intermediates = chainLines
    .join(',')
    .split(',')
    .filter((item) => item.trim() !== '')
    .map((item) => parseSfBinary(item, 'Client-Cert-Chain'));
  return bounded(leaf, intermediates);
}

/** nginx's `$ssl_client_escaped_cert`: the URL-encoded PEM of the leaf (and whatever follows it). */
function nginxChain(req: HeaderSource): PresentedChain | undefined {
  const nginx = single(req, 'x-ssl-client-cert');
  if (nginx === undefined) return undefined;
  const [leaf, ...intermediates] = pemCertificates(
    decodeUriComponentStrict(nginx, 'X-SSL-Client-Cert'),
    'X-SSL-Client-Cert',
  );
  return bounded(leaf as Buffer, intermediates);
}

/**
 * Envoy's XFCC. Envoy appends an element per hop when told to forward; the gateway believes only its
 * own proxy, which must replace the header (`SANITIZE_SET`), so more than one element is a refusal.
 */
function xfccChain(req: HeaderSource): PresentedChain | undefined {
  const xfcc = single(req, 'x-forwarded-client-cert');
  if (xfcc === undefined) return undefined;
  const elements = splitXfccElements(xfcc);
  if (elements.length !== 1)
    throw new ForwardedCertificateError(`X-Forwarded-Client-Cert has ${elements.length} elements, not one`);
  const pairs = parseXfccElement(elements[0] as string);
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
