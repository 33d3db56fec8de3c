/**
 * RFC 5280 certification path validation to a configured trust anchor.
 *
 * Path building: the presented intermediates are an unordered bag. Names (and AKI/SKI when both are
 * there) only pick candidate issuers; a link exists only when the candidate's key verifies the
 * signature. A path ends at a trust anchor, found the same way, or at a certificate byte-equal to one.
 * The search backtracks (a path that fails validation, e.g. an expired cross-certificate, does not
 * hide another that passes) under hard limits on bag size, path length, signature checks and search
 * steps, so a hostile bag costs bounded time. Cached links cost no signature check but still a step:
 * without that, a bag of same-named, same-key CAs signing each other makes depth-first search walk
 * every ordering of them. Two prunes keep honest bags far below the limits: a certificate whose
 * subject name and key are already on the path closes a loop (RFC 4158 section 2.4.2), and a
 * certificate from which no run of signatures reaches an anchor within the remaining length is never
 * descended into (memoised per certificate and remaining length). The search itself is synchronous and
 * yields complete paths; only revocation, which may wait, runs between them.
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
import type { RevocationBudget, RevocationChecker } from './revocation';
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
  /**
   * Candidate links and complete paths one validation may consider, cached links included. Past it the
   * chain is refused. Default 1000.
   */
  maxSearchSteps?: number;
}

/** Work done by path building since the validator was made, for tests and diagnostics. */
export interface ChainValidatorStats {
  validations: number;
  searchSteps: number;
  signatureChecks: number;
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
  | Failure;

type Failure = {
  valid: false;
  code: ChainFailureCode;
  reason: string;
  /**
   * Set when the leaf alone decides the refusal (unparseable, self-signed, wrong purpose, expired…):
   * no other set of candidate intermediates could change it, so a caller need not look for more.
   */
  leafDecides?: true;
  /** For the log only, never for the client: what went wrong inside the validator. */
  detail?: string;
};

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
  steps: number;
  /** Which limit stopped the search, if one did. */
  exhausted: string | undefined;
  firstFailure: Failure | undefined;
  /** Why the most promising link was refused, for the "does not lead to the anchor" reason. */
  linkNote: string | undefined;
  verified: Map<string, boolean>;
  /** `${certificate id}:${room}` -> whether some anchor is reachable by signatures within `room` more. */
  reachable: Map<string, boolean>;
}

export class ChainValidator {
  private readonly anchors: ParsedCertificate[];
  private readonly anchorsByName = new Map<string, ParsedCertificate[]>();
  private readonly cache = new ParsedCertificateCache(1000);
  private readonly configuredIntermediates: ParsedCertificate[];
  private readonly maxChainLength: number;
  private readonly maxIntermediates: number;
  private readonly maxSignatureChecks: number;
  private readonly maxSearchSteps: number;
  readonly stats: ChainValidatorStats = { validations: 0, searchSteps: 0, signatureChecks: 0 };
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
    this.maxSearchSteps = options.maxSearchSteps ?? 1000;
  }

  async validate(params: ChainValidationParams): Promise<ChainValidationResult> {
    try {
      return await this.run(params);
    } catch (error) {
      // Nothing a peer sends may turn into an exception; whatever slipped through is a refusal.
      // The exception text may describe our internals: the client gets a fixed sentence.
      return { ...invalid('certificate chain could not be validated'), detail: String(error) };
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
      return {
        ...invalid(`leaf certificate is not a valid X.509 certificate (${(error as Error).message})`),
        leafDecides: true,
      };
    }
    const refused = (failure: Failure): Failure =>
      this.leafAloneRefused(leaf, params.purpose, at) ? { ...failure, leafDecides: true } : failure;

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
      steps: 0,
      exhausted: undefined,
      firstFailure: undefined,
      linkNote: undefined,
      verified: new Map(),
      reachable: new Map(),
    };
    this.stats.validations++;
    try {
      for (const path of this.search([leaf], bag, state)) {
        // Structure and validity are synchronous; only revocation may wait, once per complete path.
        const checked = this.checkPath(path, at, params.purpose);
        const result =
          'valid' in checked ? checked : await this.checkRevocation(path, at, checked.validUntil);
        if (result.valid) return result;
        state.firstFailure ??= result;
      }
    } finally {
      this.stats.searchSteps += state.steps;
      this.stats.signatureChecks += state.signatureChecks;
    }
    if (state.firstFailure) return refused(state.firstFailure);
    if (state.exhausted) {
      return refused(
        invalid(`path building gave up after ${state.exhausted} without reaching the trust anchor`),
      );
    }
    return refused(
      invalid(`chain does not lead to the trust anchor${state.linkNote ? ` (${state.linkNote})` : ''}`),
    );
  }

  /**
   * Whether the leaf fails on its own, whatever path is built above it. A self-signed leaf counts: its
   * name and key would close a loop on any longer path. A copy of an anchor is judged as a path.
   */
  private leafAloneRefused(leaf: ParsedCertificate, purpose: ChainPurpose, at: Date): boolean {
    if (this.anchors.some((a) => bytesEqual(a.der, leaf.der))) return false;
    if (leaf.selfSigned || leaf.problems.length > 0 || leaf.keyProblem) return true;
    if (!signatureScheme(leaf.signatureAlgorithm).ok || !leaf.authorityKeyId) return true;
    if (leaf.nameConstraints && !leaf.isCa) return true;
    if ((leaf.subjectAltNames ?? []).some((name) => generalNameProblem(name))) return true;
    if (this.checkLeaf([leaf], purpose)) return true;
    const when = new Date(Math.floor(at.getTime() / 1000) * 1000);
    return when < leaf.notBefore || when > leaf.notAfter;
  }

  /** Charges one search step; false (and the search stops) once the limit is reached. */
  private step(state: SearchState): boolean {
    if (state.exhausted) return false;
    if (state.steps >= this.maxSearchSteps) {
      state.exhausted = `${this.maxSearchSteps} search steps`;
      return false;
    }
    state.steps++;
    return true;
  }

  private signedBy(child: ParsedCertificate, parent: ParsedCertificate, state: SearchState): boolean {
    if (!this.step(state)) return false;
    const key = `${this.id(child)}:${this.id(parent)}`;
    const hit = state.verified.get(key);
    if (hit !== undefined) return hit;
    if (state.signatureChecks >= this.maxSignatureChecks) {
      state.exhausted = `${this.maxSignatureChecks} signature checks`;
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

  /**
   * Whether some anchor signs `cert` directly or through bag certificates, with at most `room` more
   * certificates after it. Looks only at signatures and at loops of one step (a loop anywhere is refused
   * by the search anyway), so "no" is safe to prune on.
   */
  private canReachAnchor(
    cert: ParsedCertificate,
    room: number,
    bag: Map<string, ParsedCertificate[]>,
    state: SearchState,
  ): boolean {
    if (room < 1) return false;
    const key = `${this.id(cert)}:${room}`;
    const known = state.reachable.get(key);
    if (known !== undefined) return known;
    // No recursion returns to this entry: room shrinks by one at every level.
    let reachable = false;
    for (const anchor of this.anchorsByName.get(cert.issuer.key) ?? []) {
      if (anchor === cert || !this.keyIdsCompatible(cert, anchor)) continue;
      if (this.signedBy(cert, anchor, state)) {
        reachable = true;
        break;
      }
    }
    if (!reachable && room >= 2) {
      for (const candidate of bag.get(cert.issuer.key) ?? []) {
        if (this.closesLoop([cert], candidate) || !this.keyIdsCompatible(cert, candidate)) continue;
        if (!this.signedBy(cert, candidate, state)) continue;
        if (this.canReachAnchor(candidate, room - 1, bag, state)) {
          reachable = true;
          break;
        }
      }
    }
    if (state.exhausted) reachable = false;
    state.reachable.set(key, reachable);
    return reachable;
  }

  /** Whether a certificate with this subject name and key is already on the path (RFC 4158 loop). */
  private closesLoop(path: ParsedCertificate[], candidate: ParsedCertificate): boolean {
    return path.some(
      (c) =>
        c === candidate || (c.subject.key === candidate.subject.key && bytesEqual(c.spki, candidate.spki)),
    );
  }

  /** Depth-first over candidate issuers: every complete path (leaf … anchor) linked by signatures. */
  private *search(
    path: ParsedCertificate[],
    bag: Map<string, ParsedCertificate[]>,
    state: SearchState,
  ): Generator<ParsedCertificate[]> {
    const top = path[path.length - 1] as ParsedCertificate;

    if (path.length === 1) {
      const same = this.anchors.find((a) => bytesEqual(a.der, top.der));
      if (same && this.step(state)) yield [same];
    }

    const anchorCandidates = this.anchorsByName.get(top.issuer.key) ?? [];
    for (const anchor of anchorCandidates) {
      if (path.includes(anchor) || !this.keyIdsCompatible(top, anchor)) continue;
      if (path.length + 1 > this.maxChainLength) break;
      if (!this.signedBy(top, anchor, state)) continue;
      if (!this.step(state)) return;
      yield [...path, anchor];
    }

    if (path.length + 2 > this.maxChainLength) {
      if ((bag.get(top.issuer.key) ?? []).length > 0) {
        state.linkNote ??= `no path within ${this.maxChainLength} certificates`;
      }
      return;
    }
    for (const candidate of bag.get(top.issuer.key) ?? []) {
      if (state.exhausted) return;
      if (this.closesLoop(path, candidate) || !this.keyIdsCompatible(top, candidate)) continue;
      if (!this.signedBy(top, candidate, state)) continue;
      // The candidate sits at index path.length; room counts what may still follow it.
      if (!this.canReachAnchor(candidate, this.maxChainLength - path.length - 1, bag, state)) continue;
      path.push(candidate);
      yield* this.search(path, bag, state);
      path.pop();
    }
  }

  /**
   * Every synchronous RFC 5280 and gateway-profile check on one complete path (leaf first, anchor
   * last): a failure, or how long the path may be cached before revocation is considered.
   */
  private checkPath(
    path: ParsedCertificate[],
    at: Date,
    purpose: ChainPurpose,
  ): Failure | { validUntil: Date } {
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
    const validUntil = path.reduce(
      (min, c) => (c.notAfter < min ? c.notAfter : min),
      (path[0] as ParsedCertificate).notAfter,
    );
    return { validUntil };
  }

  private async checkRevocation(
    path: ParsedCertificate[],
    at: Date,
    notAfter: Date,
  ): Promise<ChainValidationResult> {
    let validUntil = notAfter;
    const revocation = this.options.revocation;
    if (revocation) {
      const budget: RevocationBudget = {};
      for (let i = 0; i < path.length - 1; i++) {
        const status = await revocation.check(
          path[i] as ParsedCertificate,
          path[i + 1] as ParsedCertificate,
          at,
          budget,
        );
        if (status.status === 'revoked')
          return { valid: false, code: 'CERTIFICATE_REVOKED', reason: status.reason };
        if (status.status === 'unknown')
          return status.detail === undefined
            ? invalid(status.reason)
            : { ...invalid(status.reason), detail: status.detail };
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
