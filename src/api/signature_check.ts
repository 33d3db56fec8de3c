/**
 * Request signatures in the API layer: hands the verifier (src/signature) the request's raw body, headers and
 * the identity the trust gate established, and sends each verified signature's evidence to the sink. Runs
 * after the body is read and before routing, validation and any consent, payment or token lookup.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../audit/logger';
import type { RequestSignatureVerifier, SignatureContext } from '../signature/request_signature_verifier';
import type { SignatureEvidence, SignatureEvidenceSink } from '../signature/signature_evidence';
import { getPresentedIntermediates, getRequestId, requireTppIdentity } from './request_context';
import type { RequestTarget } from './request_target';
import type { RoleRequirement } from './trust_gate';

/** Throws the GatewayError of the first failed check; resolves when the signature verified. */
export type SignatureCheck = (
  req: IncomingMessage,
  res: ServerResponse,
  body: Uint8Array,
  target: RequestTarget,
) => Promise<void>;

export interface SignatureCheckOptions {
  verifier: RequestSignatureVerifier;
  evidence: SignatureEvidenceSink;
  /** The same table as the trust gate's: the seal's roles must cover the endpoint as the QWAC's do. */
  roleRequirements: readonly RoleRequirement[];
}

export function createSignatureCheck(options: SignatureCheckOptions): SignatureCheck {
  return async (req, res, body, target) => {
    const requiredRole = options.roleRequirements.find((r) => r.path.test(target.path))?.role;
    const context: SignatureContext = {
      requestId: getRequestId(res) ?? '',
      connection: requireTppIdentity(res),
      intermediates: getPresentedIntermediates(res),
      ...(requiredRole !== undefined ? { requiredRole } : {}),
    };
    const evidence = await options.verifier.verify(
      { method: req.method ?? 'GET', target: req.url ?? target.path, rawHeaders: req.rawHeaders, body },
      context,
    );
    await options.evidence.record(evidence);
  };
}

/**
 * Until the audit trail takes it (operations issue), evidence goes to the log as one `signature_verified`
 * event per request: enough to re-verify the signature later from the log alone.
 */
export function loggingEvidenceSink(logger: Logger): SignatureEvidenceSink {
  return {
    record(evidence: SignatureEvidence): void {
      logger.info({ event: 'signature_verified', ...evidence }, 'request signature verified');
    },
  };
}
