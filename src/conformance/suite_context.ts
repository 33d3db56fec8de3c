/**
 * What every case gets: the target, the anchor, the identities, a way to send requests as any of them
 * (or as nobody), and memoised shared steps so that cases can be filtered with --only without losing
 * their prerequisites.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { ConnectionFacts, TlsTuning, TppRequest, TppResponse } from '../client/tpp_client';
import { TppClient } from '../client/tpp_client';
import type { CaseEvidence } from './conformance_case';
import type { ClientCaseRow } from './client_cases';
import { contractForTpp, DEFAULT_CONTRACT, type GatewayContract } from './gateway_contract';
import type { IdentityStore } from './identity_store';
import { ParsedCertificate } from '../pki/certificate/parsed_certificate';
import { decodePemBlocks } from '../pki/asn1/pem';

/** Which identity plays which part. */
export interface SuiteRoles {
  /** A valid TPP with PSP_AI: the main actor. */
  alice: string;
  /** A second valid TPP that must never see Alice's consents. */
  carol: string;
  /** Mallory's certificate carrying Trent's names on her own keys. */
  mallory: string;
  /** A valid TPP certificate without the account-information role. */
  piOnly: string;
}

export const DEFAULT_ROLES: SuiteRoles = {
  alice: 'alice',
  carol: 'carol',
  mallory: 'mallory-copied-names',
  piOnly: 'psp-pi-only',
};

export interface PsuCredentials {
  username: string;
  password: string;
  /** Hex seed of the PSU's TOTP authenticator (RFC 6238, HMAC-SHA1, 30 s, 6 digits), if it has one. */
  totpSeed?: string;
}

export interface SuiteContextParams {
  target: string;
  /** Name the server certificate must carry; defaults to the target's host. */
  serverName?: string;
  anchorPem: string;
  identities: IdentityStore;
  clientCases: ClientCaseRow[];
  psu: PsuCredentials;
  contract?: GatewayContract;
  roles?: SuiteRoles;
  timeoutMs?: number;
  /**
   * The target requires Berlin Group request signatures: every request of an identity `<id>` that has a seal
   * identity `<id>-seal` is signed with it, and the signature group runs (else it is skipped).
   */
  signatures?: boolean;
}

export interface RecordedResponse {
  requestLine: string;
  status: number;
  contentType: string | undefined;
  body: string;
}

export interface SendOptions {
  tls?: TlsTuning;
  verifyServer?: boolean;
  /** Leave out the X-Request-ID header the suite otherwise adds to every request. */
  omitRequestId?: boolean;
  /** Send without a request signature even when the run signs requests. */
  unsigned?: boolean;
}

/** The seal identity that signs `identity`'s requests when the target requires signatures. */
export const sealIdentityOf = (identity: string): string => `${identity}-seal`;

export class SuiteContext {
  readonly target: URL;
  readonly serverName: string;
  readonly anchorPem: string;
  readonly anchorDer: Buffer;
  readonly anchorFingerprint: string;
  readonly identities: IdentityStore;
  readonly clientCases: ClientCaseRow[];
  readonly psu: PsuCredentials;
  readonly contract: GatewayContract;
  readonly roles: SuiteRoles;
  readonly timeoutMs: number;
  readonly signatures: boolean;
  /** Every 4xx/5xx answer seen during the run, for the error-format cases. */
  readonly errorResponses: RecordedResponse[] = [];
  /** The first completed handshake, reported in the report header. */
  firstConnection: ConnectionFacts | undefined;
  private readonly memos = new Map<string, Promise<unknown>>();

  constructor(params: SuiteContextParams) {
    this.target = new URL(params.target);
    this.serverName = params.serverName ?? this.target.hostname.replace(/^\[|\]$/g, '');
    this.anchorPem = params.anchorPem;
    // Parsed here so that an anchor file that is not a certificate stops the suite before any case runs.
    const anchor = ParsedCertificate.parse(
      decodePemBlocks(params.anchorPem, 'CERTIFICATE')[0] ?? Buffer.alloc(0),
    );
    this.anchorDer = Buffer.from(anchor.der);
    this.anchorFingerprint = createHash('sha256').update(anchor.der).digest('hex');
    this.identities = params.identities;
    this.clientCases = params.clientCases;
    this.psu = params.psu;
    this.roles = params.roles ?? DEFAULT_ROLES;
    const consentCreator = this.identities.load(this.roles.alice);
    this.contract =
      params.contract ??
      contractForTpp(DEFAULT_CONTRACT, consentCreator instanceof Error ? [] : consentCreator.dnsNames);
    this.timeoutMs = params.timeoutMs ?? 15_000;
    this.signatures = params.signatures === true;
  }

  /** A client presenting `identity` (a fixture id) or no certificate at all (null). */
  client(identity: string | null, options: SendOptions = {}): TppClient {
    const id = identity === null ? undefined : this.identities.require(identity);
    const sealId = identity === null ? undefined : sealIdentityOf(identity);
    const seal =
      this.signatures && options.unsigned !== true && sealId !== undefined && this.identities.has(sealId)
        ? this.identities.require(sealId)
        : undefined;
    return new TppClient({
      baseUrl: this.target,
      serverName: this.serverName,
      anchorPem: this.anchorPem,
      ...(id !== undefined ? { certChainPem: id.chainPem, keyPem: id.keyPem } : {}),
      ...(options.tls !== undefined ? { tls: options.tls } : {}),
      ...(options.verifyServer !== undefined ? { verifyServer: options.verifyServer } : {}),
      ...(seal !== undefined ? { seal: { certificate: seal.leafDer, privateKey: seal.keyPem } } : {}),
      timeoutMs: this.timeoutMs,
    });
  }

  async send(identity: string | null, request: TppRequest, options: SendOptions = {}): Promise<TppResponse> {
    const headers = { ...request.headers };
    const hasId = Object.keys(headers).some((h) => h.toLowerCase() === 'x-request-id');
    if (!hasId && options.omitRequestId !== true) headers['X-Request-ID'] = randomUUID();
    // Berlin Group signs X-Request-ID: a request without one cannot carry a valid signature.
    const unsigned = options.unsigned === true || (!hasId && options.omitRequestId === true);
    const res = await this.client(identity, { ...options, unsigned }).request({ ...request, headers });
    this.observe(res);
    return res;
  }

  /** Records a response obtained outside `send` (e.g. by the PSU agent). */
  observe(res: TppResponse): void {
    this.firstConnection ??= res.connection;
    if (res.status >= 400) {
      const contentType = res.headers['content-type'];
      this.errorResponses.push({
        requestLine: res.requestLine,
        status: res.status,
        contentType,
        body: res.body,
      });
    }
  }

  /** Runs `step` once per key for the whole run; failures are remembered too. */
  memo<T>(key: string, step: () => Promise<T>): Promise<T> {
    let existing = this.memos.get(key) as Promise<T> | undefined;
    if (existing === undefined) {
      existing = step();
      // Remembered rejections are observed by whoever awaits them; avoid an unhandled-rejection warning.
      existing.catch(() => undefined);
      this.memos.set(key, existing);
    }
    return existing;
  }
}

/** The Berlin Group code (tppMessages[0].code) or the OAuth `error` of a response, if any. */
export function codeOf(res: TppResponse): string | null {
  const json = res.json as { tppMessages?: Array<{ code?: unknown }>; error?: unknown } | undefined;
  const code = json?.tppMessages?.[0]?.code ?? json?.error;
  return typeof code === 'string' ? code : null;
}

export function evidenceOf(res: TppResponse, notes?: string[]): CaseEvidence {
  return {
    request: res.requestLine,
    status: res.status,
    code: codeOf(res),
    tls: {
      handshake: 'completed',
      protocol: res.connection.protocol,
      cipher: res.connection.cipher,
      certificatePresented: res.connection.certificatePresented,
      ...(res.connection.sessionReused ? { sessionReused: true } : {}),
    },
    ...(notes !== undefined && notes.length > 0 ? { notes } : {}),
  };
}

/** `401 CONSENT_INVALID`, or `200` when there is no code. */
export function describe(res: TppResponse): string {
  const code = codeOf(res);
  return code === null ? `${res.status}` : `${res.status} ${code}`;
}
