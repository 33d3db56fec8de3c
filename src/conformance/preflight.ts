/**
 * Before a run the suite checks its own credentials, so a FAIL is never caused by an expired or
 * mis-issued test identity: each identity that is supposed to be valid must be readable, within its
 * validity window, hold the private key for its leaf, and chain by signature to the given anchor.
 */
import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import { ParsedCertificate } from '../pki/certificate/parsed_certificate';
import { decodePemBlocks } from '../pki/asn1/pem';
import { formatName } from '../pki/certificate/x500_name';
import type { IdentityStore } from './identity_store';
import { verifyChainToAnchor } from './verify_chain_to_anchor';

export interface PreflightFinding {
  identity: string;
  usable: boolean;
  /** Required identities block the run when unusable; the others only disable their cases. */
  required: boolean;
  message: string;
}

export interface PreflightReport {
  ok: boolean;
  anchorSubject?: string;
  anchorFingerprint?: string;
  problems: string[];
  findings: PreflightFinding[];
}

export interface PreflightParams {
  anchorPem: string;
  identities: IdentityStore;
  /** Identities that must be valid for the run to make sense (the suite's good TPPs). */
  required: readonly string[];
  /** Identities that should be valid when present (e.g. a role-limited TPP). */
  optional?: readonly string[];
  at?: Date;
}

export function preflight(params: PreflightParams): PreflightReport {
  const at = params.at ?? new Date();
  const problems: string[] = [];
  let anchor: ParsedCertificate | undefined;
  try {
    const [anchorDer] = decodePemBlocks(params.anchorPem, 'CERTIFICATE');
    if (anchorDer === undefined) throw new Error('no CERTIFICATE block');
    anchor = ParsedCertificate.parse(anchorDer);
  } catch (error) {
    problems.push(`trust anchor unreadable: ${error instanceof Error ? error.message : String(error)}`);
  }
  const findings: PreflightFinding[] = [];
  const check = (id: string, required: boolean): void => {
    const loaded = params.identities.load(id);
    if (loaded instanceof Error) {
      findings.push({ identity: id, required, usable: false, message: loaded.message });
      return;
    }
    if (anchor === undefined) {
      findings.push({
        identity: id,
        required,
        usable: false,
        message: 'no usable trust anchor to check against',
      });
      return;
    }
    try {
      const leafKey = ParsedCertificate.parse(loaded.leafDer).verificationKey();
      if (!leafKey || !createPublicKey(createPrivateKey(loaded.keyPem)).equals(leafKey)) {
        findings.push({
          identity: id,
          required,
          usable: false,
          message: 'private key does not match the leaf',
        });
        return;
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      findings.push({ identity: id, required, usable: false, message: `unreadable leaf or key: ${message}` });
      return;
    }
    const chain = verifyChainToAnchor(loaded.chainDers, Buffer.from(anchor.der), at);
    findings.push(
      chain.ok
        ? {
            identity: id,
            required,
            usable: true,
            message: `chains to the anchor: ${chain.path.join(' <- ')}`,
          }
        : { identity: id, required, usable: false, message: chain.reason },
    );
  };
  for (const id of params.required) check(id, true);
  for (const id of params.optional ?? []) if (!params.required.includes(id)) check(id, false);
  const ok = problems.length === 0 && findings.every((f) => f.usable || !f.required);
  return {
    ok,
    ...(anchor !== undefined
      ? {
          anchorSubject: formatName(anchor.subject),
          anchorFingerprint: createHash('sha256').update(anchor.der).digest('hex'),
        }
      : {}),
    problems,
    findings,
  };
}
