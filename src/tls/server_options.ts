import { constants } from 'node:crypto';
import type { ServerOptions } from 'node:https';
import { OID, ParsedCertificate } from '../pki/certificate/parsed_certificate';
import { decodePemBlocks } from '../pki/asn1/pem';

/**
 * TLS 1.2 is limited to forward-secret AEAD suites. Node's default list still admits CBC suites, so the
 * list is spelled out rather than trimmed.
 */
export const TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES256-GCM-SHA384',
] as const;

export const TLS13_CIPHERSUITES = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
] as const;

export interface TlsServerOptions {
  /** Server certificate first, then its intermediates. */
  certChainPem: string | Buffer;
  keyPem: string | Buffer;
  /** The one trust anchor: advertised in the CertificateRequest so clients pick the right certificate. */
  anchorPem: string | Buffer;
  /** Abort the handshake when the presented chain does not verify to the anchor. */
  rejectUntrustedAtHandshake: boolean;
}

export function buildTlsServerOptions(
  options: TlsServerOptions,
  limits: Pick<HttpServerLimits, 'handshakeTimeout' | 'connectionsCheckingInterval'> = HTTP_SERVER_LIMITS,
): ServerOptions {
  return {
    cert: options.certChainPem,
    key: options.keyPem,
    ca: [options.anchorPem],
    requestCert: true,
    // By default the handshake completes for any certificate (or none) so the client receives a
    // Berlin Group error it can diagnose; the trust gate decides, per request, from the chain itself.
    rejectUnauthorized: options.rejectUntrustedAtHandshake,
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.3',
    ciphers: [...TLS13_CIPHERSUITES, ...TLS12_CIPHERS].join(':'),
    honorCipherOrder: true,
    ecdhCurve: 'X25519:P-256:P-384',
    // A resumed session carries the client's leaf but not its chain, and Node then reports the peer as
    // authorized although nothing was presented. Without tickets (and with no session cache handlers)
    // every connection performs a full handshake, so every request's identity comes from a presented chain.
    // OpenSSL would still send TLS 1.3 tickets nobody can use: openssl.cnf (a node flag) turns them off.
    secureOptions: constants.SSL_OP_NO_TICKET | constants.SSL_OP_NO_RENEGOTIATION,
    handshakeTimeout: limits.handshakeTimeout,
    // Node checks the header and request timeouts only this often (30 s by default), so a 10 s header
    // timeout fired anywhere between 10 and 40 s; once a second keeps it within a second of the limit.
    connectionsCheckingInterval: limits.connectionsCheckingInterval,
    // Room for a proxy forwarding a full RSA chain in Client-Cert-Chain; anything larger is refused.
    maxHeaderSize: 32 * 1024,
  };
}

export interface HttpServerLimits {
  /** A connection that has not finished the TLS handshake by then is destroyed. */
  handshakeTimeout: number;
  /** From the first byte of a request until its header section is complete: else 408. */
  headersTimeout: number;
  /** From the first byte of a request until it is fully received: else 408. */
  requestTimeout: number;
  /** How often the two timeouts above are checked: the precision with which they fire. */
  connectionsCheckingInterval: number;
  keepAliveTimeout: number;
  /** Idle socket timeout. */
  timeout: number;
  /** More header fields than this is a 431 (never a truncation: see api/front_door.ts). */
  maxHeaderFields: number;
  maxRequestsPerSocket: number;
}

/** The listener's limits; README's "TLS listener" paragraph states them. */
export const HTTP_SERVER_LIMITS: Readonly<HttpServerLimits> = {
  handshakeTimeout: 10_000,
  headersTimeout: 10_000,
  requestTimeout: 30_000,
  connectionsCheckingInterval: 1_000,
  keepAliveTimeout: 5_000,
  timeout: 60_000,
  maxHeaderFields: 100,
  maxRequestsPerSocket: 0,
} as const;

/**
 * Why the configured server certificate cannot serve TLS, if it cannot: clients that check purposes
 * (browsers, Go, Java) refuse a server certificate whose extendedKeyUsage lacks serverAuth, so the
 * gateway refuses to start with one instead of failing every handshake later.
 */
export function serverCertificateProblem(certChainPem: string | Buffer): string | undefined {
  const [leafDer] = decodePemBlocks(certChainPem.toString(), 'CERTIFICATE');
  if (leafDer === undefined) return 'no PEM certificate found';
  let leaf: ParsedCertificate;
  try {
    leaf = ParsedCertificate.parse(leafDer);
  } catch (error) {
    return `the first certificate is not a valid certificate (${(error as Error).message})`;
  }
  if (leaf.isCa) return `${leaf.label} is a CA certificate, not a server certificate`;
  if (leaf.extKeyUsage === undefined) return `${leaf.label} has no extendedKeyUsage (serverAuth required)`;
  if (!leaf.extKeyUsage.includes(OID.serverAuth))
    return `${leaf.label} extendedKeyUsage does not include serverAuth`;
  return undefined;
}
