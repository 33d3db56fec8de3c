/**
 * RFC 5280 certification path validation to a configured trust anchor.
 *
 * Path building: the presented intermediates are an unordered bag. Names (and AKI/SKI when both are
 * there) only pick candidate issuers; a link exists only when the candidate's key verifies the
 * signature. A path ends at a trust anchor, found the same way, or at a certificate byte-equal to one.
 * The search backtracks (a path that fails validation, e.g. an expired cross-certificate, does not
 * hide another that passes) under hard limits on bag size, path length and signature checks, so a
 * hostile bag costs bounded time.
 *
 * Decisions beyond the letter of RFC 5280 (each matches what x509-limbo expects):
 * - The trust anchor is a certificate and is held to the same rules as the rest of the path except
 *   revocation and its own self-signature: validity period, basicConstraints cA (critical), keyCertSign,
 *   subjectKeyIdentifier, key strength, no unknown critical extension; its pathLenConstraint and name
 *   constraints apply to the path below it.
 * - `notBefore`/`notAfter` are whole seconds and inclusive, so the validation time is truncated to
 *   the second before comparing.
 * - For a TLS purpose (clientAuth/serverAuth) the leaf must not be a CA, must carry
 *   extendedKeyUsage with that purpose (anyExtendedKeyUsage alone is not enough: the gateway wants the
 *   CA to have said "TLS client"), and its keyUsage, if present, must allow digitalSignature. A CA on
 *   the path that carries extendedKeyUsage must include the purpose or anyExtendedKeyUsage (the EKU
 *   chaining browsers and Go apply). Purpose `any` imposes none of these.
 * - Certificates below the anchor, other than self-signed ones, need an authorityKeyIdentifier (the
 *   anchor's issuer is never looked for, so its AKI does not matter); CA certificates need a
 *   subjectKeyIdentifier and a critical basicConstraints (RFC 5280 4.2.1.1, 4.2.1.2, 4.2.1.9 MUSTs).
 * - Certificate policies are not evaluated: a policyConstraints requireExplicitPolicy is refused.
 */
import { checkNameConstraints, generalNameProblem } from './name_constraints';
import { OID, ParsedCertificate, ParsedCertificateCache } from '../certificate/parsed_certificate';
import type { RevocationChecker } from './revocation';
import { bytesEqual } from '../asn1/der';
import { signatureScheme } from '../certificate/signature';

/**
 * What the leaf is for. `seal`: an electronic seal (QSealC) signing requests, not a TLS endpoint: no
 * extendedKeyUsage is asked of it, and its keyUsage must be present and allow digitalSignature or
 * nonRepudiation (ETSI EN 319 412-3 lets a seal assert either).
 */
export type ChainPurpose = 'clientAuth' | 'serverAuth' | 'seal' | 'any';

export interface ChainValidatorOptions {
  /** Trust anchors, DER. The gateway passes exactly one. */
  anchors: Uint8Array[];
  /**
   * Issuing CAs (GATEWAY_INTERMEDIATES) offered to every path search beside what the client sent, for
   * proxies that forward only the leaf. Candidates only: a path through one still ends at an anchor.
   */
  intermediates?: Uint8Array[];
  revocation?: RevocationChecker;
  /** Most certificates a path may have, leaf and anchor included. Default 10. */
  maxChainLength?: number;
  /**
   * Most intermediates between leaf and anchor, self-issued ones not counted (the way
   * pathLenConstraint counts). Default: no limit beyond maxChainLength and pathLenConstraints.
   */
  maxIntermediateDepth?: number;
  /** Larger bags are refused without looking at them. Default 32. */
  maxIntermediates?: number;
  /** Signature verifications one validation may spend on path building. Default 100. */
  maxSignatureChecks?: number;
}

export interface ChainValidationParams {
  leaf: Uint8Array;
  /** Candidate intermediates in any order; copies of the anchor and unrelated extras are fine. */
  intermediates: Uint8Array[];
  at?: Date;
  purpose: ChainPurpose;
}

export type ChainFailureCode = 'CERTIFICATE_INVALID' | 'CERTIFICATE_EXPIRED' | 'CERTIFICATE_REVOKED';

export type ChainValidationResult =
  | {
      valid: true;
      /** Leaf … anchor, DER. */
      path: Uint8Array[];
      /** The same path as parsed for validation, for readers of the leaf (the QWAC profile) to share. */
      certificates: ParsedCertificate[];
      /** Earliest notAfter on the path and nextUpdate of every consulted CRL: cacheable until then. */
      validUntil: Date;
    }
  | { valid: false; code: ChainFailureCode; reason: string };

type Failure = { valid: false; code: ChainFailureCode; reason: string };

const PURPOSE_OID = { clientAuth: OID.clientAuth, serverAuth: OID.serverAuth } as const;

const invalid = (reason: string): Failure => ({ valid: false, code: 'CERTIFICATE_INVALID', reason });

/** Position-aware label: "leaf certificate CN=…", "intermediate CN=…", "trust anchor CN=…". */
function role(path: ParsedCertificate[], index: number): string {
  const cert = path[index] as ParsedCertificate;
  if (index === path.length - 1) return `trust anchor ${cert.label}`;
  if (index === 0) return `leaf certificate ${cert.label}`;
  return `intermediate ${cert.label}`;
}

interface SearchState {
  signatureChecks: number;
  exhausted: boolean;
  firstFailure: Failure | undefined;
  /** Why the most promising link was refused, for the "does not lead to the anchor" reason. */
  linkNote: string | undefined;
  verified: Map<string, boolean>;
}

export class ChainValidator {
  private readonly anchors: ParsedCertificate[];
  private readonly anchorsByName = new Map<string, ParsedCertificate[]>();
  private readonly cache = new ParsedCertificateCache(1000);
  private readonly configuredIntermediates: ParsedCertificate[];
  private readonly maxChainLength: number;
  private readonly maxIntermediates: number;
  private readonly maxSignatureChecks: number;
  private readonly ids = new WeakMap<ParsedCertificate, number>();
  private nextId = 0;

  constructor(private readonly options: ChainValidatorOptions) {
    this.anchors = options.anchors.map((der, i) => {
      try {
        return ParsedCertificate.parse(Uint8Array.from(der));
      } catch (error) {
        throw new Error(`trust anchor #${i + 1} is not a valid certificate: ${(error as Error).message}`);
      }
    });
    for (const anchor of this.anchors) {
      // Pay the anchor's key import and self-signature check at startup, not on the first handshake.
      anchor.verificationKey();
      void anchor.selfSigned;
      const list = this.anchorsByName.get(anchor.subject.key);
      if (list) list.push(anchor);
      else this.anchorsByName.set(anchor.subject.key, [anchor]);
    }
    this.configuredIntermediates = (options.intermediates ?? []).map((der, i) => {
      try {
        return ParsedCertificate.parse(Uint8Array.from(der));
      } catch (error) {
        throw new Error(`intermediate #${i + 1} is not a valid certificate: ${(error as Error).message}`);
      }
    });
    this.maxChainLength = options.maxChainLength ?? 10;
    this.maxIntermediates = options.maxIntermediates ?? 32;
    this.maxSignatureChecks = options.maxSignatureChecks ?? 100;
  }

  async validate(params: ChainValidationParams): Promise<ChainValidationResult> {
    try {
      return await this.run(params);
    } catch (error) {
      // Nothing a peer sends may turn into an exception; whatever slipped through is a refusal.
      return invalid(`certificate chain could not be validated: ${(error as Error).message}`);
    }
  }

  private id(cert: ParsedCertificate): number {
    let id = this.ids.get(cert);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(cert, id);
    }
    return id;
  }

  private async run(params: ChainValidationParams): Promise<ChainValidationResult> {
    const at = params.at ?? new Date();
    if (Number.isNaN(at.getTime())) return invalid('validation time is not a valid date');
    if (params.intermediates.length > this.maxIntermediates) {
      return invalid(
        `too many certificates offered: ${params.intermediates.length} intermediates (at most ${this.maxIntermediates})`,
      );
    }
    let leaf: ParsedCertificate;
    try {
      leaf = this.cache.get(params.leaf);
    } catch (error) {
      return invalid(`leaf certificate is not a valid X.509 certificate (${(error as Error).message})`);
    }

    const bag = new Map<string, ParsedCertificate[]>();
    const seen = new Set<ParsedCertificate>([leaf]);
    const offered: (Uint8Array | ParsedCertificate)[] = [
      ...params.intermediates,
      ...this.configuredIntermediates,
    ];
    for (const item of offered) {
      let cert: ParsedCertificate;
      try {
        cert = item instanceof ParsedCertificate ? item : this.cache.get(item);
      } catch {
        continue; // an unparseable extra cannot be a link; it is simply not a candidate
      }
      if (seen.has(cert) || this.anchors.some((a) => bytesEqual(a.der, cert.der))) continue;
      // A configured intermediate the client also sent is one candidate, not two.
      if (item instanceof ParsedCertificate && [...seen].some((c) => bytesEqual(c.der, cert.der))) continue;
      seen.add(cert);
      const list = bag.get(cert.subject.key);
      if (list) list.push(cert);
      else bag.set(cert.subject.key, [cert]);
    }

    const state: SearchState = {
      signatureChecks: 0,
      exhausted: false,
      firstFailure: undefined,
      linkNote: undefined,
      verified: new Map(),
    };
    const found = await this.search([leaf], bag, state, at, params.purpose);
    if (found) return found;
    if (state.firstFailure) return state.firstFailure;
    if (state.exhausted) {
      return invalid(
        `path building gave up after ${this.maxSignatureChecks} signature checks without reaching the trust anchor`,
      );
    }
    return invalid(`chain does not lead to the trust anchor${state.linkNote ? ` (${state.linkNote})` : ''}`);
  }

  private signedBy(child: ParsedCertificate, parent: ParsedCertificate, state: SearchState): boolean {
    const key = `${this.id(child)}:${this.id(parent)}`;
    const hit = state.verified.get(key);
    if (hit !== undefined) return hit;
    if (state.signatureChecks >= this.maxSignatureChecks) {
      state.exhausted = true;
      return false;
    }
    state.signatureChecks++;
    const ok = child.isSignedBy(parent);
    state.verified.set(key, ok);
    if (!ok) {
      // An algorithm the validator cannot check is not a bad signature: say which it is.
      const scheme = signatureScheme(child.signatureAlgorithm, { allowWeak: true });
      state.linkNote ??= scheme.ok
        ? `the signature of ${child.label} does not verify with the key of ${parent.label}`
        : `${child.label} is signed with an algorithm the validator cannot check (${scheme.reason})`;
    }
    return ok;
  }

  private keyIdsCompatible(child: ParsedCertificate, parent: ParsedCertificate): boolean {
    return (
      !child.authorityKeyId || !parent.subjectKeyId || bytesEqual(child.authorityKeyId, parent.subjectKeyId)
    );
  }

  /** Depth-first over candidate issuers; returns the first path that validates completely. */
  private async search(
    path: ParsedCertificate[],
    bag: Map<string, ParsedCertificate[]>,
    state: SearchState,
    at: Date,
    purpose: ChainPurpose,
  ): Promise<ChainValidationResult | undefined> {
    const top = path[path.length - 1] as ParsedCertificate;

    if (path.length === 1) {
      const same = this.anchors.find((a) => bytesEqual(a.der, top.der));
      if (same) {
        const result = await this.evaluate([same], at, purpose);
        if (result.valid) return result;
        state.firstFailure ??= result;
      }
    }

    const anchorCandidates = this.anchorsByName.get(top.issuer.key) ?? [];
    for (const anchor of anchorCandidates) {
      if (path.includes(anchor) || !this.keyIdsCompatible(top, anchor)) continue;
      if (path.length + 1 > this.maxChainLength) break;
      if (!this.signedBy(top, anchor, state)) continue;
      const result = await this.evaluate([...path, anchor], at, purpose);
      if (result.valid) return result;
      state.firstFailure ??= result;
    }

    if (path.length + 2 > this.maxChainLength) {
      if ((bag.get(top.issuer.key) ?? []).length > 0) {
        state.linkNote ??= `no path within ${this.maxChainLength} certificates`;
      }
      return undefined;
    }
    for (const candidate of bag.get(top.issuer.key) ?? []) {
      if (state.exhausted) return undefined;
      if (path.includes(candidate) || !this.keyIdsCompatible(top, candidate)) continue;
      if (!this.signedBy(top, candidate, state)) continue;
      path.push(candidate);
      const result = await this.search(path, bag, state, at, purpose);
      path.pop();
      if (result) return result;
    }
    return undefined;
  }

  /** Every RFC 5280 and gateway-profile check on one complete path (leaf first, anchor last). */
  private async evaluate(
    path: ParsedCertificate[],
    at: Date,
    purpose: ChainPurpose,
  ): Promise<ChainValidationResult> {
    const structural = this.checkStructure(path, purpose);
    if (structural) return invalid(structural);

    // Validity is whole seconds and inclusive at both ends (RFC 5280 4.1.2.5).
    const when = new Date(Math.floor(at.getTime() / 1000) * 1000);
    for (let i = 0; i < path.length; i++) {
      const cert = path[i] as ParsedCertificate;
      if (when < cert.notBefore) {
        return invalid(`${role(path, i)} is not valid before ${cert.notBefore.toISOString()}`);
      }
      if (when > cert.notAfter) {
        return {
          valid: false,
          code: 'CERTIFICATE_EXPIRED',
          reason: `certificate expired at ${cert.notAfter.toISOString()} (${role(path, i)})`,
        };
      }
    }

    let validUntil = path.reduce(
      (min, c) => (c.notAfter < min ? c.notAfter : min),
      (path[0] as ParsedCertificate).notAfter,
    );
    const revocation = this.options.revocation;
    if (revocation) {
      for (let i = 0; i < path.length - 1; i++) {
        const status = await revocation.check(
          path[i] as ParsedCertificate,
          path[i + 1] as ParsedCertificate,
          at,
        );
        if (status.status === 'revoked')
          return { valid: false, code: 'CERTIFICATE_REVOKED', reason: status.reason };
        if (status.status === 'unknown') return invalid(status.reason);
        if (status.nextUpdate && status.nextUpdate < validUntil) validUntil = status.nextUpdate;
      }
    }
    return { valid: true, path: path.map((c) => c.der), certificates: [...path], validUntil };
  }

  /** The first structural reason this path is unacceptable, or undefined. */
  private checkStructure(path: ParsedCertificate[], purpose: ChainPurpose): string | undefined {
    const last = path.length - 1;
    for (let i = 0; i <= last; i++) {
      const cert = path[i] as ParsedCertificate;
      const who = role(path, i);
      const problem = cert.problems[0];
      if (problem) return `${who} ${problem}`;
      const keyProblem = cert.keyProblem;
      if (keyProblem) return `${who}: ${keyProblem}`;
      if (i < last) {
        const scheme = signatureScheme(cert.signatureAlgorithm);
        if (!scheme.ok) return `${who} is signed with an unacceptable algorithm: ${scheme.reason}`;
      }
      if (i < last && !cert.authorityKeyId && !cert.selfSigned) return `${who} has no authorityKeyIdentifier`;
      if (cert.nameConstraints && !cert.isCa) return `${who} has nameConstraints but is not a CA`;
      for (const name of cert.subjectAltNames ?? []) {
        const nameProblem = generalNameProblem(name);
        if (nameProblem) return `${who} has a ${nameProblem}`;
      }
      if (i > 0) {
        const bc = cert.basicConstraints;
        if (!bc?.ca) return `${who} is not a CA`;
        if (!bc.critical) return `${who} has a non-critical basicConstraints extension`;
        if (cert.keyUsage && !cert.keyUsage.has('keyCertSign'))
          return `${who} keyUsage does not allow keyCertSign`;
        if (!cert.subjectKeyId) return `${who} has no subjectKeyIdentifier`;
        if ((purpose === 'clientAuth' || purpose === 'serverAuth') && cert.extKeyUsage) {
          const eku = cert.extKeyUsage;
          if (!eku.includes(PURPOSE_OID[purpose]) && !eku.includes(OID.anyExtendedKeyUsage)) {
            return `${who} extendedKeyUsage does not allow ${purpose}`;
          }
        }
      }
    }

    const leafProblem = this.checkLeaf(path, purpose);
    if (leafProblem) return leafProblem;

    // Path length (RFC 5280 6.1.4 (l)/(m)), starting from the anchor's own constraint.
    let remaining = this.options.maxIntermediateDepth ?? Number.POSITIVE_INFINITY;
    let limitedBy = 'the configured maximum depth';
    const anchor = path[last] as ParsedCertificate;
    if (
      last > 0 &&
      anchor.basicConstraints?.pathLen !== undefined &&
      anchor.basicConstraints.pathLen < remaining
    ) {
      remaining = anchor.basicConstraints.pathLen;
      limitedBy = role(path, last);
    }
    for (let i = last - 1; i >= 1; i--) {
      const cert = path[i] as ParsedCertificate;
      if (!cert.selfIssued) {
        if (remaining <= 0) return `path length constraint of ${limitedBy} is exceeded by ${role(path, i)}`;
        remaining--;
      }
      const pathLen = cert.basicConstraints?.pathLen;
      if (pathLen !== undefined && pathLen < remaining) {
        remaining = pathLen;
        limitedBy = role(path, i);
      }
    }

    // Name constraints of each CA apply to every certificate below it; self-issued intermediates are
    // exempt (RFC 5280 6.1.3 (b)), the leaf never is.
    for (let i = last; i >= 1; i--) {
      const constraints = (path[i] as ParsedCertificate).nameConstraints;
      if (!constraints) continue;
      for (let j = i - 1; j >= 0; j--) {
        const cert = path[j] as ParsedCertificate;
        if (j > 0 && cert.selfIssued) continue;
        const problem = checkNameConstraints(constraints, role(path, i), cert);
        if (problem) return problem;
      }
    }
    return undefined;
  }

  private checkLeaf(path: ParsedCertificate[], purpose: ChainPurpose): string | undefined {
    if (purpose === 'any') return undefined;
    const leaf = path[0] as ParsedCertificate;
    const who = role(path, 0);
    if (leaf.isCa) return `${who} is a CA certificate, not an end entity`;
    if (purpose === 'seal') {
      if (!leaf.keyUsage) return `${who} has no keyUsage (a seal needs digitalSignature or nonRepudiation)`;
      if (!leaf.keyUsage.has('digitalSignature') && !leaf.keyUsage.has('nonRepudiation')) {
        return `${who} keyUsage allows neither digitalSignature nor nonRepudiation`;
      }
      return undefined;
    }
    if (!leaf.extKeyUsage) return `${who} has no extendedKeyUsage (${purpose} required)`;
    if (!leaf.extKeyUsage.includes(PURPOSE_OID[purpose]))
      return `${who} extendedKeyUsage does not allow ${purpose}`;
    if (leaf.keyUsage && !leaf.keyUsage.has('digitalSignature')) {
      return `${who} keyUsage does not allow digitalSignature`;
    }
    return undefined;
  }
}
