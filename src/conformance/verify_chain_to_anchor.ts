/**
 * A deliberately small chain check used by the suite on its own identities (pre-flight) and on the
 * server's chain: every link by signature, every certificate within its validity window, ending at the
 * anchor. It is not RFC 5280 path validation (no policy, constraints or revocation); the gateway's
 * validator is what is being tested, so the suite does not borrow it.
 */
import { X509Certificate } from 'node:crypto';

export type ChainCheck = { ok: true; path: string[] } | { ok: false; reason: string };

const MAX_DEPTH = 10;

function subjectOf(cert: X509Certificate): string {
  return cert.subject.split('\n').join(', ');
}

function validityProblem(cert: X509Certificate, at: Date): string | undefined {
  const from = new Date(cert.validFrom);
  const to = new Date(cert.validTo);
  if (at < from) return `${subjectOf(cert)} is not valid before ${from.toISOString()}`;
  if (at > to) return `${subjectOf(cert)} expired on ${to.toISOString()}`;
  return undefined;
}

/**
 * Names only find the candidate, the signature decides. (OpenSSL's X509_check_issued, behind Node's
 * checkIssued, also applies extension heuristics that reject some well-formed test CAs.)
 */
function issuedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  if (cert.issuer !== issuer.subject) return false;
  try {
    return cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/** `chain` is leaf first, then whatever else was presented, in any order. */
export function verifyChainToAnchor(
  chain: readonly Buffer[],
  anchorDer: Buffer,
  at = new Date(),
): ChainCheck {
  const [leafDer, ...rest] = chain;
  if (leafDer === undefined) return { ok: false, reason: 'no certificate' };
  let anchor: X509Certificate;
  let current: X509Certificate;
  let candidates: X509Certificate[];
  try {
    anchor = new X509Certificate(anchorDer);
    current = new X509Certificate(leafDer);
    candidates = rest.map((der) => new X509Certificate(der));
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
    if (current.raw.equals(anchor.raw)) return { ok: true, path };
    if (issuedBy(current, anchor)) {
      const anchorProblem = validityProblem(anchor, at);
      if (anchorProblem !== undefined) return { ok: false, reason: `trust anchor: ${anchorProblem}` };
      path.push(subjectOf(anchor));
      return { ok: true, path };
    }
    const issuer = candidates.find((c) => !c.raw.equals(current.raw) && issuedBy(current, c));
    if (issuer === undefined) {
      return {
        ok: false,
        reason: `no certificate in the chain or the anchor signed ${subjectOf(current)} (issuer ${current.issuer.split('\n').join(', ')})`,
      };
    }
    candidates = candidates.filter((c) => c !== issuer);
    path.push(subjectOf(issuer));
    current = issuer;
  }
  return { ok: false, reason: `no path to the anchor within ${MAX_DEPTH} certificates` };
}
