/**
 * A deliberately small chain check used by the suite on its own identities (pre-flight) and on the
 * server's chain: every link by signature, every certificate within its validity window, ending at the
 * anchor. It is not RFC 5280 path validation (no policy, constraints or revocation); the gateway's
 * validator is what is being tested, so the suite does not borrow it. Certificates are read with the
 * gateway's one certificate walk, so the suite and the gateway never disagree about what the bytes say.
 */
import { bytesEqual } from '../pki/asn1/der';
import { ParsedCertificate } from '../pki/certificate/parsed_certificate';
import { formatName } from '../pki/certificate/x500_name';

export type ChainCheck = { ok: true; path: string[] } | { ok: false; reason: string };

const MAX_DEPTH = 10;

function subjectOf(cert: ParsedCertificate): string {
  return formatName(cert.subject);
}

function validityProblem(cert: ParsedCertificate, at: Date): string | undefined {
  if (at < cert.notBefore) return `${subjectOf(cert)} is not valid before ${cert.notBefore.toISOString()}`;
  if (at > cert.notAfter) return `${subjectOf(cert)} expired on ${cert.notAfter.toISOString()}`;
  return undefined;
}

/** Names only find the candidate, the signature decides. */
function issuedBy(cert: ParsedCertificate, issuer: ParsedCertificate): boolean {
  return cert.issuer.key === issuer.subject.key && cert.isSignedBy(issuer);
}

/** `chain` is leaf first, then whatever else was presented, in any order. */
export function verifyChainToAnchor(
  chain: readonly Buffer[],
  anchorDer: Buffer,
  at = new Date(),
): ChainCheck {
  const [leafDer, ...rest] = chain;
  if (leafDer === undefined) return { ok: false, reason: 'no certificate' };
  let anchor: ParsedCertificate;
  let current: ParsedCertificate;
  let candidates: ParsedCertificate[];
  try {
    anchor = ParsedCertificate.parse(anchorDer);
    current = ParsedCertificate.parse(leafDer);
    candidates = rest.map((der) => ParsedCertificate.parse(der));
  } catch (error) {
    return {
      ok: false,
      reason: `unreadable certificate: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
  const path = [subjectOf(current)];
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const problem = validityProblem(current, at);
    if (problem !== undefined) return { ok: false, reason: problem };
    if (bytesEqual(current.der, anchor.der)) return { ok: true, path };
    if (issuedBy(current, anchor)) {
      const anchorProblem = validityProblem(anchor, at);
      if (anchorProblem !== undefined) return { ok: false, reason: `trust anchor: ${anchorProblem}` };
      path.push(subjectOf(anchor));
      return { ok: true, path };
    }
    const issuer = candidates.find((c) => !bytesEqual(c.der, current.der) && issuedBy(current, c));
    if (issuer === undefined) {
      return {
        ok: false,
        reason: `no certificate in the chain or the anchor signed ${subjectOf(current)} (issuer ${formatName(current.issuer)})`,
      };
    }
    candidates = candidates.filter((c) => c !== issuer);
    path.push(subjectOf(issuer));
    current = issuer;
  }
  return { ok: false, reason: `no path to the anchor within ${MAX_DEPTH} certificates` };
}
