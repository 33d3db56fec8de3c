/**
 * The TPP side of a PSD2 connection: presents a QWAC, trusts exactly one anchor, verifies the server's
 * name per RFC 6125 and reports what the TLS layer did, so a bank can use it for outbound calls and the
 * conformance suite can use it as evidence.
 *
 * Each request uses its own connection (no pooling, no redirects followed): a conformance run must know
 * which certificate and which handshake every answer came from.
 */
import http, { type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { isIP } from 'node:net';
import tls, { type DetailedPeerCertificate, type SecureVersion, type TLSSocket } from 'node:tls';
import { signatureHeaders, type SealCredential } from '../signature/sign_request';
import { checkServerIdentity } from './check_server_identity';

export interface TlsTuning {
  minVersion?: SecureVersion;
  maxVersion?: SecureVersion;
  /** OpenSSL cipher list for TLS 1.2 and below. */
  ciphers?: string;
  /** A session from an earlier connection's facts, to attempt resumption. */
  session?: Buffer;
}

export interface TppClientOptions {
  /** `https://host:port`; a path is ignored. */
  baseUrl: string | URL;
  /** The one trust anchor for the server chain. System roots are never used. */
  anchorPem: string | Buffer;
  /** The client's QWAC chain, leaf first. Leave out (with keyPem) to present no certificate. */
  certChainPem?: string | Buffer;
  keyPem?: string | Buffer;
  /** Identity the server certificate must carry (and SNI). Defaults to the URL's host. */
  serverName?: string;
  tls?: TlsTuning;
  /**
   * When false, a server failing chain or identity verification is still talked to and the failure is
   * reported in the connection facts. Only for diagnostics: never send credentials this way.
   */
  verifyServer?: boolean;
  timeoutMs?: number;
  /** Upper bound on a response body, to keep a hostile server from exhausting memory. */
  maxBodyBytes?: number;
  /**
   * The TPP's QSealC and key: every request then carries a Berlin Group message signature (Digest, Signature,
   * TPP-Signature-Certificate) over its X-Request-ID, Digest and the PSU-ID, PSU-Corporate-ID and
   * TPP-Redirect-URI it sends. `algorithm` defaults to rsa-sha256 or SHA256withECDSA by key type.
   */
  seal?: SealCredential & { algorithm?: string };
}

export interface ConnectionFacts {
  protocol: string | null;
  cipher: string | null;
  /** DERs the server sent (leaf first), plus whatever Node linked from the anchor store. */
  serverChain: Buffer[];
  serverAuthorized: boolean;
  serverAuthorizationError?: string;
  certificatePresented: boolean;
  sessionReused: boolean;
  /** The last session the server offered for resumption (TLS 1.3 NewSessionTicket or TLS 1.2 session). */
  session?: Buffer;
  /** Whether the server issued a TLS 1.2 session ticket (RFC 5077). */
  ticketIssued: boolean;
}

export interface TppRequest {
  method?: string;
  /** Path and query, or an absolute URL on the same origin. */
  path: string;
  headers?: Record<string, string>;
  json?: unknown;
  /** Form fields; pairs keep repeated names (checkbox groups). */
  form?: Record<string, string> | [string, string][];
  body?: string | Buffer;
  /** Send without a signature even when the client has a seal (to show a bank refuses that). */
  unsigned?: boolean;
}

export interface TppResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
  requestLine: string;
  connection: ConnectionFacts;
}

/**
 * The connection was refused at the TLS layer: during the handshake, or (TLS 1.3, where the server
 * judges the client certificate after the client has finished) by an alert before any HTTP answer.
 */
export class TlsRefusedError extends Error {
  constructor(
    message: string,
    readonly stage: 'handshake' | 'after-handshake',
    readonly code: string | undefined,
    readonly facts?: ConnectionFacts,
  ) {
    super(message);
    this.name = 'TlsRefusedError';
  }
}

/** The client refused the server: its chain does not verify to the anchor, or it names another host. */
export class ServerVerificationError extends Error {
  constructor(
    message: string,
    readonly kind: 'chain' | 'identity',
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'ServerVerificationError';
  }
}

/** OpenSSL X509_V_ERR names as Node reports them on a failed server chain. */
const CHAIN_ERROR =
  /^(UNABLE_TO_|SELF_SIGNED|DEPTH_ZERO|CERT_|INVALID_|PATH_LENGTH|HOSTNAME_MISMATCH|ERR_TLS_CERT)/;

const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_MAX_BODY = 2 * 1024 * 1024;

/**
 * OpenSSL's messages carry a source path and line; keep the reason and the alert, which is what a reader
 * of a conformance report needs ("tlsv1 alert protocol version (SSL alert number 70)").
 */
export function tlsErrorSummary(message: string): string {
  const openssl = /SSL routines:[^:]*:([^:]+):.*?(SSL alert number \d+)?\s*$/s.exec(message);
  if (openssl?.[1] !== undefined) return `${openssl[1]}${openssl[2] !== undefined ? ` (${openssl[2]})` : ''}`;
  return message.replace(/\s+/g, ' ').trim();
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Errors that mean "the peer's TLS stack said no", as opposed to timeouts or our own bugs. */
function isTlsRefusal(error: unknown): boolean {
  const code = errorCode(error) ?? '';
  const message = error instanceof Error ? error.message : '';
  return (
    code.startsWith('ERR_SSL_') ||
    code === 'ECONNRESET' ||
    code === 'EPIPE' ||
    /alert|handshake|socket hang up|disconnected before secure/i.test(message)
  );
}

function peerChain(socket: TLSSocket): Buffer[] {
  const chain: Buffer[] = [];
  const seen = new Set<DetailedPeerCertificate>();
  let current: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  while (current !== undefined && current !== null && !seen.has(current) && chain.length < 16) {
    seen.add(current);
    if (Buffer.isBuffer(current.raw) && current.raw.length > 0) chain.push(current.raw);
    current = current.issuerCertificate;
  }
  return chain;
}

export class TppClient {
  private readonly url: URL;
  private readonly reference: string;

  constructor(private readonly options: TppClientOptions) {
    this.url = new URL(options.baseUrl);
    if (this.url.protocol !== 'https:')
      throw new Error(`TppClient: expected an https:// URL, got ${this.url.href}`);
    if ((options.certChainPem === undefined) !== (options.keyPem === undefined)) {
      throw new Error('TppClient: give both certChainPem and keyPem, or neither');
    }
    const host = this.url.hostname.replace(/^\[|\]$/g, '');
    this.reference = (options.serverName ?? host).replace(/\.$/, '');
  }

  get origin(): string {
    return this.url.origin;
  }

  /** Completes a handshake and closes the connection. */
  async handshake(): Promise<ConnectionFacts> {
    const { socket, facts } = await this.connect();
    // Give a TLS 1.3 server the chance to send its tickets (and any certificate alert) before we leave.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 100);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    socket.destroy();
    return facts();
  }

  async request(request: TppRequest): Promise<TppResponse> {
    const method = (request.method ?? 'GET').toUpperCase();
    const target = new URL(request.path, this.url);
    if (target.origin !== this.url.origin) {
      throw new Error(`TppClient: ${target.href} is not on ${this.url.origin}`);
    }
    const path = `${target.pathname}${target.search}`;
    const headers: OutgoingHttpHeaders = { host: this.url.host, ...request.headers };
    let payload: Buffer | undefined;
    if (request.json !== undefined) {
      payload = Buffer.from(JSON.stringify(request.json));
      headers['content-type'] ??= 'application/json';
    } else if (request.form !== undefined) {
      payload = Buffer.from(new URLSearchParams(request.form).toString());
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
    } else if (request.body !== undefined) {
      payload = Buffer.from(request.body);
    }
    if (payload !== undefined) headers['content-length'] = String(payload.length);
    const { seal } = this.options;
    if (seal !== undefined && request.unsigned !== true) {
      Object.assign(
        headers,
        signatureHeaders({
          headers: request.headers ?? {},
          body: payload ?? Buffer.alloc(0),
          seal,
          ...(seal.algorithm !== undefined ? { algorithm: seal.algorithm } : {}),
        }),
      );
    }

    const { socket, facts } = await this.connect();
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const maxBody = this.options.maxBodyBytes ?? DEFAULT_MAX_BODY;

    return new Promise<TppResponse>((resolve, reject) => {
      let settled = false;
      const finish = (outcome: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        outcome();
        socket.destroy();
      };
      const timer = setTimeout(
        () => finish(() => reject(new Error(`no answer from ${this.url.origin} within ${timeoutMs} ms`))),
        timeoutMs,
      );
      const req = http.request({ method, path, headers, createConnection: () => socket });
      req.on('error', (error) =>
        finish(() =>
          reject(
            isTlsRefusal(error)
              ? new TlsRefusedError(
                  tlsErrorSummary(error.message),
                  'after-handshake',
                  errorCode(error),
                  facts(),
                )
              : error,
          ),
        ),
      );
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBody) {
            finish(() => reject(new Error(`response body larger than ${maxBody} bytes`)));
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', (error) => finish(() => reject(error)));
        res.on('end', () =>
          finish(() => {
            const body = Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try {
              json = body === '' ? undefined : JSON.parse(body);
            } catch {
              json = undefined;
            }
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body,
              json,
              requestLine: `${method} ${path}`,
              connection: facts(),
            });
          }),
        );
      });
      req.end(payload);
    });
  }

  private connect(): Promise<{ socket: TLSSocket; facts: () => ConnectionFacts }> {
    const { options } = this;
    const verify = options.verifyServer !== false;
    const presenting = options.certChainPem !== undefined;
    const reference = this.reference;
    return new Promise((resolve, reject) => {
      let session: Buffer | undefined;
      let ticketIssued = false;
      // Taken at secureConnect: once the socket is closed Node no longer answers these questions.
      let snapshot: Omit<ConnectionFacts, 'session' | 'ticketIssued'> = {
        protocol: null,
        cipher: null,
        serverChain: [],
        serverAuthorized: false,
        certificatePresented: presenting,
        sessionReused: false,
      };
      const socket = tls.connect({
        host: this.url.hostname.replace(/^\[|\]$/g, ''),
        port: Number(this.url.port || 443),
        // SNI carries host names only (RFC 6066 §3).
        ...(isIP(reference) === 0 ? { servername: reference } : {}),
        ca: [options.anchorPem],
        ...(presenting ? { cert: options.certChainPem, key: options.keyPem } : {}),
        ...(options.tls?.minVersion ? { minVersion: options.tls.minVersion } : {}),
        ...(options.tls?.maxVersion ? { maxVersion: options.tls.maxVersion } : {}),
        ...(options.tls?.ciphers ? { ciphers: options.tls.ciphers } : {}),
        ...(options.tls?.session ? { session: options.tls.session } : {}),
        rejectUnauthorized: verify,
        checkServerIdentity: (_servername, peer) => checkServerIdentity(reference, peer.raw),
        ALPNProtocols: ['http/1.1'],
      });
      socket.on('session', (s: Buffer) => {
        session = s;
        ticketIssued ||= socket.getTLSTicket() !== undefined;
      });
      const facts = (): ConnectionFacts => ({
        ...snapshot,
        ...(session !== undefined ? { session } : {}),
        ticketIssued,
      });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`TLS handshake with ${this.url.host} did not finish within the timeout`));
      }, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
      const onError = (error: Error): void => {
        clearTimeout(timer);
        const code = errorCode(error);
        if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
          reject(new ServerVerificationError(error.message, 'identity', code));
        } else if (code !== undefined && CHAIN_ERROR.test(code)) {
          reject(new ServerVerificationError(`${error.message} (${code})`, 'chain', code));
        } else if (isTlsRefusal(error)) {
          reject(new TlsRefusedError(tlsErrorSummary(error.message), 'handshake', code));
        } else {
          reject(error);
        }
      };
      socket.once('error', onError);
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        const cipher = socket.getCipher();
        snapshot = {
          protocol: socket.getProtocol(),
          cipher: cipher.standardName ?? cipher.name,
          serverChain: peerChain(socket),
          serverAuthorized: socket.authorized,
          ...(!socket.authorized && socket.authorizationError !== undefined
            ? { serverAuthorizationError: String(socket.authorizationError) }
            : {}),
          certificatePresented: presenting,
          sessionReused: socket.isSessionReused(),
        };
        ticketIssued ||= socket.getTLSTicket() !== undefined;
        socket.off('error', onError);
        // Errors after this point belong to the request that uses the socket.
        socket.on('error', () => undefined);
        resolve({ socket, facts });
      });
    });
  }
}
