import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Logger } from '../audit/logger';
import type { TppBlock, TppStopList } from '../tpp/stop_list';
import {
  CertificateBlocked,
  CertificateExpired,
  CertificateInvalid,
  CertificateMissing,
  CertificateRevoked,
  GatewayError,
  ResourceUnknown,
  RoleInvalid,
} from '../errors/gateway_error';
import { tppMessagesBody } from '../errors/tpp_messages';
import { isPromiseLike, type MaybePromise } from './maybe_promise';
import { OAuthError } from '../oauth/oauth_error';
import type {
  ClientIdentityVerdict,
  ClientIdentityVerifier,
  CertificateRefusalCode,
} from '../pki/identity/client_identity';
import type { PspRole, TppIdentity } from '../pki/identity/tpp_identity';
import { completePresentedChainOf, presentedChainOf } from '../tls/peer_certificate';
import { ForwardedCertificateError, TrustedProxies } from '../tls/forwarded_certificate';
import { leafThumbprintOf, type PresentedChain } from '../tls/presented_chain';

export interface RoleRequirement {
  /** Matches the request path (without query). */
  path: RegExp;
  role: PspRole;
}

/**
 * The role each Berlin Group service needs (the document's x-psd2-role says the same per operation):
 * account information on consent and account endpoints, payment initiation on payments, funds
 * confirmation on funds checks. A QSealC's roles are held to the same table.
 */
export const AIS_ROLE_REQUIREMENTS: readonly RoleRequirement[] = [
  { path: /^\/v1\/consents(\/|$)/, role: 'PSP_AI' },
  { path: /^\/v1\/accounts(\/|$)/, role: 'PSP_AI' },
  { path: /^\/v1\/(payments|periodic-payments)(\/|$)/, role: 'PSP_PI' },
  { path: /^\/v1\/funds-confirmations(\/|$)/, role: 'PSP_IC' },
];

export interface TrustGateOptions {
  verifier: ClientIdentityVerifier;
  trustedProxies: TrustedProxies;
  logger: Logger;
  /** Paths a browser reaches without a client certificate (the PSU's authorisation page, metadata). */
  publicPaths: readonly RegExp[];
  roleRequirements: readonly RoleRequirement[];
  /**
   * Paths of OAuth endpoints a TPP authenticates to with its certificate (RFC 8705 `tls_client_auth`):
   * their refusals are RFC 6749 `invalid_client` JSON, not Berlin Group `tppMessages`.
   */
  oauthPaths: readonly RegExp[];
  clock?: () => Date;
  /**
   * The bank's TPP stop list, consulted after the chain is verified, on every request. It answers at once
   * when its list is fresh, else with a promise.
   */
  stopList: TppStopList;
  /** Where the presented chain comes from; tests replace it, production reads the TLS socket. */
  tlsChainOf?: (req: IncomingMessage) => PresentedChain | undefined;
  /**
   * Every certificate the client sent when Node's linked chain left some out, else undefined; asked only
   * after the linked chain was refused. Production reads the TLS socket.
   */
  completeTlsChainOf?: (req: IncomingMessage) => PresentedChain | undefined;
}

/**
 * A refusal ready for the wire. `error` names the status and, for the log, the Berlin Group code; `body`
 * is its tppMessages, or RFC 6749 JSON on an OAuth endpoint; `headers` are extra response headers.
 */
export interface Refusal {
  error: GatewayError;
  body: Buffer;
  headers: readonly string[];
  /** Default the tppMessages JSON type. */
  contentType?: string;
}

/** A refusal in both wire forms, so a cached verdict is rendered once per form. */
interface RenderedRefusal {
  berlinGroup: Refusal;
  oauth: Refusal;
}

export type Admission =
  /** `identity` (and `chain`) are undefined on a public path, which needs no certificate. */
  | { admitted: true; identity: TppIdentity | undefined; chain?: PresentedChain }
  | { admitted: false; refusal: Refusal };

/**
 * Decides one request; `path` is the request path as express's router will see it. The decision comes at
 * once when everything it rests on is in memory (a known chain, a fresh stop list), else as a promise.
 */
export type TrustGate = (req: IncomingMessage, path: string, requestId: string) => MaybePromise<Admission>;

type RefusedVerdict = Extract<ClientIdentityVerdict, { ok: false }>;

const REFUSALS: Record<
  CertificateRefusalCode,
  new (params: { text: string; detail?: string }) => GatewayError
> = {
  CERTIFICATE_INVALID: CertificateInvalid,
  CERTIFICATE_EXPIRED: CertificateExpired,
  CERTIFICATE_REVOKED: CertificateRevoked,
};

/** RFC 6749 §5.2: a failed client authentication is 401 invalid_client, and never cached. */
const OAUTH_HEADERS: readonly string[] = ['Cache-Control', 'no-store', 'Pragma', 'no-cache'];

const refusalOf = (error: GatewayError): RenderedRefusal => ({
  berlinGroup: { error, body: tppMessagesBody(error), headers: [] },
  oauth: {
    error,
    body: Buffer.from(JSON.stringify(new OAuthError('invalid_client', error.text).toJSON())),
    headers: OAUTH_HEADERS,
  },
});

const NO_CERTIFICATE = refusalOf(new CertificateMissing('No client certificate was presented'));

const BROWSER_STRAY_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Not found</title></head>
<body><main><h1>Not found</h1><p>There is no page here. This address serves banking apps, not web browsers.</p></main></body></html>
`;
const BROWSER_STRAY: Refusal = {
  error: new ResourceUnknown({ text: 'No page for browsers here', path: 'path' }, 404),
  body: Buffer.from(BROWSER_STRAY_PAGE),
  headers: [],
  contentType: 'text/html; charset=utf-8',
};

/** A GET from a browser (it asks for HTML first), or the icon every browser fetches by itself. */
function isBrowserStray(req: IncomingMessage, path: string): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  if (path === '/favicon.ico') return true;
  const accept = req.headers.accept ?? '';
  return /^\s*text\/html\b/i.test(accept);
}

/** The request a gate decision is about, handed to the steps of the decision. */
interface GateCall {
  req: IncomingMessage;
  path: string;
  requestId: string;
}

const defaultTlsChainOf = (req: IncomingMessage): PresentedChain | undefined =>
  presentedChainOf(req.socket as TLSSocket);

const defaultCompleteTlsChainOf = (req: IncomingMessage): PresentedChain | undefined =>
  completePresentedChainOf(req.socket as TLSSocket);

/**
 * Establishes who is calling from the certificate chain presented for this request, or refuses. It runs
 * in the front door, before express: a refused request never reaches a route, consent lookup or handler.
 */
export function createTrustGate(options: TrustGateOptions): TrustGate {
  const { logger } = options;
  const clock = options.clock ?? (() => new Date());
  const tlsChainOf = options.tlsChainOf ?? defaultTlsChainOf;
  const completeTlsChainOf =
    options.completeTlsChainOf ??
    (options.tlsChainOf === undefined ? defaultCompleteTlsChainOf : () => undefined);
  // The caching verifier hands back the same verdict object for a chain it knows, so a client repeating
  // a refused chain gets the refusal rendered once, not once per request.
  const verdictRefusals = new WeakMap<RefusedVerdict, RenderedRefusal>();
  const verdictRefusal = (verdict: RefusedVerdict): RenderedRefusal => {
    let refusal = verdictRefusals.get(verdict);
    if (refusal === undefined) {
      const { reason: text, detail } = verdict;
      refusal = refusalOf(
        new REFUSALS[verdict.code](detail === undefined ? { text } : { text, detail: `${text}: ${detail}` }),
      );
      verdictRefusals.set(verdict, refusal);
    }
    return refusal;
  };

  /** `checked`: the chain got as far as validation, so its thumbprint belongs in the log. */
  const refuse = (
    call: GateCall,
    chain: PresentedChain | undefined,
    rendered: RenderedRefusal,
    checked: boolean,
  ): Admission => {
    const { req, path, requestId } = call;
    const refusal = options.oauthPaths.some((p) => p.test(path)) ? rendered.oauth : rendered.berlinGroup;
    // A refusal flood is what this gate must absorb: no log object is built for a disabled level.
    if (logger.isLevelEnabled('warn')) {
      const { error } = refusal;
      logger.warn(
        {
          event: 'tpp_refused',
          requestId,
          code: error.code,
          reason: error.detail ?? error.text,
          thumbprint: checked && chain !== undefined ? leafThumbprintOf(chain) : undefined,
          source: chain?.source,
          remoteAddress: req.socket.remoteAddress,
          method: req.method,
          path,
        },
        'request refused by the trust gate',
      );
    }
    return { admitted: false, refusal };
  };

  /** The verified identity's last checks: the stop list (its answer), then the role the path needs. */
  const admitUnlessBlocked = (
    call: GateCall,
    chain: PresentedChain,
    identity: TppIdentity,
    block: TppBlock | undefined,
  ): Admission => {
    if (block !== undefined) {
      return refuse(
        call,
        chain,
        refusalOf(
          new CertificateBlocked({
            text: 'The ASPSP has blocked this TPP',
            detail: `stop list entry ${block.subject} since ${block.blockedAt}: ${block.reason}`,
          }),
        ),
        true,
      );
    }
    const needed = options.roleRequirements.find((r) => r.path.test(call.path));
    if (needed !== undefined && !identity.roles.includes(needed.role)) {
      return refuse(
        call,
        chain,
        refusalOf(
          new RoleInvalid(
            `The certificate's PSD2 roles (${identity.roles.join(', ')}) do not include ${needed.role}, which this endpoint requires`,
          ),
        ),
        true,
      );
    }
    return { admitted: true, identity, chain };
  };

  /** After the verdict on the chain the request is judged by. */
  const decide = (
    call: GateCall,
    chain: PresentedChain,
    verdict: ClientIdentityVerdict,
  ): MaybePromise<Admission> => {
    if (!verdict.ok) return refuse(call, chain, verdictRefusal(verdict), true);
    const { identity } = verdict;
    // Not part of the verifier's cached verdict: a block must reach connections that are already open.
    const block = options.stopList.blockOf(identity);
    return isPromiseLike(block)
      ? block.then((b) => admitUnlessBlocked(call, chain, identity, b))
      : admitUnlessBlocked(call, chain, identity, block);
  };

  /** The verdict on the linked chain, retried on the complete list when the path was the problem. */
  const judge = (
    call: GateCall,
    chain: PresentedChain,
    verdict: ClientIdentityVerdict,
  ): MaybePromise<Admission> => {
    if (
      !verdict.ok &&
      (verdict.code === 'CERTIFICATE_INVALID' || verdict.code === 'CERTIFICATE_EXPIRED') &&
      verdict.leafDecides === undefined &&
      chain.source === 'tls'
    ) {
      // Node hands over only the certificates it could link by name; a path may need one it dropped
      // (the genuine issuer beside an expired cross-certificate, say). Reading the full list is rationed
      // (peer_certificate.ts), so it is asked for only when the path, not the leaf, was the problem.
      const complete = completeTlsChainOf(call.req);
      if (complete !== undefined) {
        return options.verifier.verify(complete, clock()).then((retried) => decide(call, complete, retried));
      }
    }
    return decide(call, chain, verdict);
  };

  return (req, path, requestId) => {
    const call: GateCall = { req, path, requestId };
    let chain: PresentedChain | undefined;
    try {
      const resolved = options.trustedProxies.resolve(req, tlsChainOf);
      chain = resolved.chain;
      if (resolved.stripped.length > 0 && logger.isLevelEnabled('info')) {
        logger.info(
          { event: 'forwarded_certificate_stripped', requestId, headers: resolved.stripped },
          'certificate headers that no trusted proxy vouches for were removed',
        );
      }
    } catch (error) {
      if (error instanceof ForwardedCertificateError) {
        return refuse(
          call,
          chain,
          refusalOf(new CertificateInvalid(`Forwarded client certificate refused: ${error.message}`)),
          false,
        );
      }
      throw error;
    }

    if (options.publicPaths.some((p) => p.test(path))) return { admitted: true, identity: undefined };
    if (chain === undefined) {
      // A person's browser that strayed onto a TPP endpoint (or asks for /favicon.ico) is no attack and
      // no TPP: a small page, not tppMessages JSON and not a warning in the log.
      if (isBrowserStray(req, path)) {
        if (logger.isLevelEnabled('debug')) logger.debug({ event: 'browser_stray', requestId, path });
        return { admitted: false, refusal: BROWSER_STRAY };
      }
      return refuse(call, chain, NO_CERTIFICATE, false);
    }

    // A chain seen before is judged without waiting: only a miss goes to the verifier's promise.
    const at = clock();
    const known = options.verifier.knownVerdict?.(chain, at);
    if (known !== undefined) return judge(call, chain, known);
    const presented = chain;
    return options.verifier.verify(presented, at).then((verdict) => judge(call, presented, verdict));
  };
}
