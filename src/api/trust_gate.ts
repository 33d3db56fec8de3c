import { randomUUID } from 'node:crypto';
import type { RequestHandler, Request, Response, NextFunction } from 'express';
import type { TLSSocket } from 'node:tls';
import type { Logger } from '../audit/logger';
import {
  CertificateExpired,
  CertificateInvalid,
  CertificateMissing,
  CertificateRevoked,
  GatewayError,
  RoleInvalid,
} from '../errors/gateway_error';
import type { ClientIdentityVerifier, CertificateRefusalCode } from '../pki/client_identity';
import type { PspRole } from '../pki/tpp_identity';
import { presentedChainOf } from '../tls/peer_certificate';
import {
  ForwardedCertificateError,
  TrustedProxies,
  forwardedChainFrom,
  stripForwardedCertificateHeaders,
} from '../tls/forwarded_certificate';
import { leafThumbprintOf, type PresentedChain } from '../tls/presented_chain';
import { setRequestId, setTppIdentity } from './request_context';

export interface RoleRequirement {
  /** Matches the request path (without query). */
  path: RegExp;
  role: PspRole;
}

/** Berlin Group AIS needs the account-information role on every consent and account endpoint. */
export const AIS_ROLE_REQUIREMENTS: readonly RoleRequirement[] = [
  { path: /^\/v1\/consents(\/|$)/, role: 'PSP_AI' },
  { path: /^\/v1\/accounts(\/|$)/, role: 'PSP_AI' },
];

export interface TrustGateOptions {
  verifier: ClientIdentityVerifier;
  trustedProxies: TrustedProxies;
  logger: Logger;
  /** Paths a browser reaches without a client certificate (the PSU's authorisation page, metadata). */
  publicPaths: readonly RegExp[];
  roleRequirements: readonly RoleRequirement[];
  clock?: () => Date;
  /** Where the presented chain comes from; tests replace it, production reads the TLS socket. */
  tlsChainOf?: (req: Request) => PresentedChain | undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const REFUSALS: Record<CertificateRefusalCode, new (text: string) => GatewayError> = {
  CERTIFICATE_INVALID: CertificateInvalid,
  CERTIFICATE_EXPIRED: CertificateExpired,
  CERTIFICATE_REVOKED: CertificateRevoked,
};

const defaultTlsChainOf = (req: Request): PresentedChain | undefined =>
  presentedChainOf(req.socket as TLSSocket);

/**
 * The first middleware: establishes who is calling from the certificate chain presented for this
 * request, or refuses before any route, consent lookup or handler runs.
 */
export function trustGate(options: TrustGateOptions): RequestHandler {
  const clock = options.clock ?? (() => new Date());
  const tlsChainOf = options.tlsChainOf ?? defaultTlsChainOf;

  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const headerId = req.headers['x-request-id'];
    const requestId = typeof headerId === 'string' && UUID.test(headerId) ? headerId : randomUUID();
    setRequestId(res, requestId);
    res.setHeader('X-Request-ID', requestId);

    const fromProxy = options.trustedProxies.includes(req.socket.remoteAddress);
    let chain: PresentedChain | undefined;
    /** Set once the chain got as far as validation: from then on its thumbprint belongs in the log. */
    let checked = false;

    const refuse = (error: GatewayError): void => {
      // A refusal flood is what this gate must absorb: no log object is built for a disabled level.
      if (options.logger.isLevelEnabled('warn')) {
        options.logger.warn(
          {
            event: 'tpp_refused',
            requestId,
            code: error.code,
            reason: error.detail ?? error.text,
            thumbprint: checked && chain !== undefined ? leafThumbprintOf(chain) : undefined,
            source: chain?.source,
            remoteAddress: req.socket.remoteAddress,
            method: req.method,
            path: req.path,
          },
          'request refused by the trust gate',
        );
      }
      next(error);
    };

    try {
      if (fromProxy) {
        try {
          chain = forwardedChainFrom(req.headers);
        } catch (error) {
          if (error instanceof ForwardedCertificateError) {
            refuse(new CertificateInvalid(`Forwarded client certificate unreadable: ${error.message}`));
            return;
          }
          throw error;
        }
      } else if (stripForwardedCertificateHeaders(req.headers) && options.logger.isLevelEnabled('info')) {
        options.logger.info(
          { event: 'forwarded_certificate_stripped', requestId },
          'forwarded certificate header ignored on a direct connection',
        );
      }
      chain ??= tlsChainOf(req);

      if (options.publicPaths.some((p) => p.test(req.path))) {
        next();
        return;
      }
      if (chain === undefined) {
        refuse(new CertificateMissing('No client certificate was presented'));
        return;
      }
      checked = true;

      const verdict = await options.verifier.verify(chain, clock());
      if (!verdict.ok) {
        refuse(new REFUSALS[verdict.code](verdict.reason));
        return;
      }
      const identity = verdict.identity;
      const needed = options.roleRequirements.find((r) => r.path.test(req.path));
      if (needed !== undefined && !identity.roles.includes(needed.role)) {
        refuse(
          new RoleInvalid(
            `The certificate's PSD2 roles (${identity.roles.join(', ')}) do not include ${needed.role}, which this endpoint requires`,
          ),
        );
        return;
      }
      setTppIdentity(res, identity);
      next();
    } catch (error) {
      next(error);
    }
  };
}
