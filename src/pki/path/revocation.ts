/**
 * Revocation by CRL (RFC 5280 5 and 6.3, for complete, direct CRLs).
 *
 * CRLs are optional: an issuer for which no CRL is loaded counts as not revoking anything, because
 * the operator decides which CAs publish CRLs the gateway must honour. Once a CRL bearing an issuer's
 * name is loaded, though, that issuer is checked strictly: if none of its CRLs is usable (signature
 * does not verify with the issuer's key, past nextUpdate, malformed, out of scope) the answer is
 * `unknown` and the validator refuses. A CRL with the right name but a foreign key is never used, so
 * Mallory cannot un-revoke a certificate by loading her own "CRL of Trent".
 */
import { CRL_REASONS } from '../revocation/crl_reason';
import { readFileSync } from 'node:fs';
import {
  DerError,
  DerReader,
  Tag,
  children,
  decodeBitString,
  decodeBoolean,
  decodeOid,
  decodeTime,
  readSingle,
  toHex,
  type Tlv,
} from '../asn1/der';
import type { CrlDistributionPoint, ParsedCertificate } from '../certificate/parsed_certificate';
import { decodePemOrDer } from '../asn1/pem';
import {
  parseAlgorithmIdentifier,
  signatureScheme,
  verifyWithScheme,
  type AlgorithmIdentifier,
} from '../certificate/signature';
import { describeName, parseName, type X500Name } from '../certificate/x500_name';

/**
 * A serial number as the number it is: redundant leading sign octets dropped, so a CRL entry written
 * as 00 01 matches the certificate's 01 (serials are compared as numbers, RFC 5280 5.2.3).
 */
export function serialNumberKey(bytes: Uint8Array): string {
  let start = 0;
  while (
    start < bytes.length - 1 &&
    ((bytes[start] === 0x00 && ((bytes[start + 1] as number) & 0x80) === 0) ||
      (bytes[start] === 0xff && ((bytes[start + 1] as number) & 0x80) !== 0))
  ) {
    start++;
  }
  return toHex(bytes.subarray(start));
}

/**
 * For operators (`cert verify`), never for the client, and both may name a URL: `source`, which source
 * gave the answer; `unchecked`, why a certificate is let through without any source's answer (it names
 * none, fetching is off, or none answered under soft-fail).
 */
export type RevocationStatus =
  | { status: 'good'; nextUpdate?: Date; source?: string; unchecked?: string }
  | { status: 'revoked'; reason: string; revokedAt?: Date; source?: string }
  /** `detail`, for the log only: which source failed how (URLs, network errors). */
  | { status: 'unknown'; reason: string; detail?: string };

/**
 * One time limit shared by every revocation check of one path (one request): the first check that goes
 * online sets `deadline`, later ones only get what is left, so a chain naming many slow sources cannot
 * hold a request for the sum of their timeouts.
 */
export interface RevocationBudget {
  deadline?: number;
}

export interface RevocationChecker {
  /** Whether `cert`, issued by `issuer`, is revoked at `at`. Must not throw for bad input. */
  check(
    cert: ParsedCertificate,
    issuer: ParsedCertificate,
    at: Date,
    budget?: RevocationBudget,
  ): Promise<RevocationStatus>;
}

const CRL_EXT = {
  authorityKeyIdentifier: '2.5.29.35',
  issuerAltName: '2.5.29.18',
  crlNumber: '2.5.29.20',
  deltaCrlIndicator: '2.5.29.27',
  issuingDistributionPoint: '2.5.29.28',
  freshestCrl: '2.5.29.46',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
} as const;
const ENTRY_EXT = { reasonCode: '2.5.29.21', invalidityDate: '2.5.29.24', certificateIssuer: '2.5.29.29' };

interface RevokedEntry {
  revokedAt: Date;
  reason: string | undefined;
}

/** A CRL decoded once. `problem` marks a CRL that is never usable (it still shadows its issuer). */
export class ParsedCrl {
  readonly der: Uint8Array;
  readonly tbs: Uint8Array;
  readonly signatureAlgorithm: AlgorithmIdentifier;
  readonly signature: Uint8Array;
  readonly issuer: X500Name;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date | undefined;
  readonly revoked = new Map<string, RevokedEntry>();
  readonly onlyUserCerts: boolean = false;
  readonly onlyCaCerts: boolean = false;
  /**
   * The GeneralNames (hex DER) of the distribution point its issuingDistributionPoint names: such a CRL
   * covers only certificates naming that point (RFC 5280 6.3.3 (b)(2)(i)). Undefined: it names none.
   */
  readonly distributionPointNames: readonly string[] | undefined;
  problem: string | undefined;
  readonly label: string;
  private readonly verified = new Map<string, boolean>();

  constructor(der: Uint8Array) {
    this.der = der;
    const outer = new DerReader(readSingle(der, Tag.SEQUENCE).value);
    const tbsTlv = outer.read(Tag.SEQUENCE);
    this.signatureAlgorithm = parseAlgorithmIdentifier(outer.read(Tag.SEQUENCE));
    const bits = decodeBitString(outer.read(Tag.BIT_STRING).value);
    outer.end();
    if (bits.unusedBits !== 0) throw new DerError('signature BIT STRING has unused bits');
    this.tbs = tbsTlv.bytes;
    this.signature = bits.bytes;

    const tbs = new DerReader(tbsTlv.value);
    const version = tbs.readOptional(Tag.INTEGER);
    const innerAlg = parseAlgorithmIdentifier(tbs.read(Tag.SEQUENCE));
    this.issuer = parseName(tbs.read(Tag.SEQUENCE));
    this.label = `CRL of ${describeName(this.issuer)}`;
    this.thisUpdate = decodeTime(tbs.read());
    const next = tbs.peekTag();
    this.nextUpdate =
      next === Tag.UTC_TIME || next === Tag.GENERALIZED_TIME ? decodeTime(tbs.read()) : undefined;
    const revokedList = tbs.readOptional(Tag.SEQUENCE);
    const extField = tbs.readOptional(0xa0);
    tbs.end();

    if (Buffer.compare(Buffer.from(innerAlg.der), Buffer.from(this.signatureAlgorithm.der)) !== 0) {
      this.problem = 'has different signature algorithms inside and outside the signed part';
    }
    if (revokedList) for (const entry of children(revokedList)) this.readEntry(entry);

    const extensions = extField ? this.readExtensions(readSingle(extField.value, Tag.SEQUENCE)) : new Map();
    const isV2 = version !== undefined;
    const crlNumber = extensions.get(CRL_EXT.crlNumber);
    // RFC 5280 5.2.3: conforming CRL issuers MUST include a non-critical cRLNumber.
    if (!crlNumber) this.problem ??= 'has no cRLNumber extension';
    else if (crlNumber.critical) this.problem ??= 'has a critical cRLNumber extension';
    if (!isV2 && extensions.size > 0) this.problem ??= 'is a v1 CRL with extensions';
    if (extensions.has(CRL_EXT.deltaCrlIndicator)) this.problem ??= 'is a delta CRL, which is not supported';
    for (const [oid, ext] of extensions) {
      if (ext.critical && oid !== CRL_EXT.issuingDistributionPoint && oid !== CRL_EXT.deltaCrlIndicator) {
        this.problem ??= `has an unknown critical extension ${oid}`;
      }
    }
    const idp = extensions.get(CRL_EXT.issuingDistributionPoint);
    if (idp) {
      const scope = this.readIssuingDistributionPoint(idp.value);
      this.onlyUserCerts = scope.onlyUserCerts;
      this.onlyCaCerts = scope.onlyCaCerts;
      this.distributionPointNames = scope.distributionPointNames;
    }
    if (!this.nextUpdate) this.problem ??= 'has no nextUpdate, so its freshness cannot be judged';
  }

  private readEntry(entry: Tlv): void {
    const reader = new DerReader(entry.value);
    const serial = serialNumberKey(reader.read(Tag.INTEGER).value);
    const revokedAt = decodeTime(reader.read());
    const extField = reader.readOptional(Tag.SEQUENCE);
    reader.end();
    let reason: string | undefined;
    if (extField) {
      const extensions = this.readExtensions(extField);
      // An entry for another CA's certificate makes this an indirect CRL, which we do not evaluate.
      if (extensions.has(ENTRY_EXT.certificateIssuer))
        this.problem ??= 'is an indirect CRL, which is not supported';
      for (const [oid, ext] of extensions) {
        if (ext.critical && oid !== ENTRY_EXT.certificateIssuer) {
          this.problem ??= `has an entry with an unknown critical extension ${oid}`;
        }
      }
      const code = extensions.get(ENTRY_EXT.reasonCode);
      if (code) {
        const value = readSingle(code.value, Tag.ENUMERATED).value;
        reason = value.length === 1 ? CRL_REASONS[value[0] as number] : undefined;
      }
    }
    this.revoked.set(serial, { revokedAt, reason });
  }

  private readExtensions(list: Tlv): Map<string, { critical: boolean; value: Uint8Array }> {
    const out = new Map<string, { critical: boolean; value: Uint8Array }>();
    for (const entry of children(list)) {
      const reader = new DerReader(entry.value);
      const oid = decodeOid(reader.read(Tag.OID).value);
      const critical = reader.readOptional(Tag.BOOLEAN);
      const value = reader.read(Tag.OCTET_STRING).value;
      reader.end();
      if (out.has(oid)) this.problem ??= `has the ${oid} extension more than once`;
      out.set(oid, { critical: critical ? decodeBoolean(critical.value) : false, value });
    }
    return out;
  }

  private readIssuingDistributionPoint(value: Uint8Array): {
    onlyUserCerts: boolean;
    onlyCaCerts: boolean;
    distributionPointNames: string[] | undefined;
  } {
    const reader = new DerReader(readSingle(value, Tag.SEQUENCE).value);
    const point = reader.readOptional(0xa0);
    const user = reader.readOptional(0x81);
    const ca = reader.readOptional(0x82);
    if (reader.readOptional(0x83))
      this.problem ??= 'covers only some revocation reasons, which is not supported';
    const indirect = reader.readOptional(0x84);
    if (indirect && decodeBoolean(indirect.value))
      this.problem ??= 'is an indirect CRL, which is not supported';
    const attributes = reader.readOptional(0x85);
    if (attributes && decodeBoolean(attributes.value)) this.problem ??= 'covers only attribute certificates';
    reader.end();
    let distributionPointNames: string[] | undefined;
    if (point) {
      const name = readSingle(point.value);
      // A name relative to the CRL issuer would have to be resolved against it; we match full names only.
      if (name.tag !== 0xa0)
        this.problem ??= 'names its distribution point relative to its issuer, which is not supported';
      distributionPointNames = name.tag === 0xa0 ? children(name).map((g) => toHex(g.bytes)) : [];
    }
    return {
      onlyUserCerts: user ? decodeBoolean(user.value) : false,
      onlyCaCerts: ca ? decodeBoolean(ca.value) : false,
      distributionPointNames,
    };
  }

  /** Whether the issuer's key verifies this CRL (cached per issuer key). */
  verifiedBy(issuer: ParsedCertificate): boolean {
    const keyId = Buffer.from(issuer.spki).toString('base64');
    const hit = this.verified.get(keyId);
    if (hit !== undefined) return hit;
    const key = issuer.verificationKey();
    const scheme = signatureScheme(this.signatureAlgorithm);
    const ok =
      key !== undefined && scheme.ok && verifyWithScheme(scheme.scheme, this.tbs, this.signature, key);
    this.verified.set(keyId, ok);
    return ok;
  }
}

export type CrlReloadResult =
  { ok: true; count: number; refused: RefusedCrl[]; foreign: string[] } | { ok: false; error: string };

/** A configured CRL not loaded: it bears a configured CA's name but that CA's key does not verify it. */
export interface RefusedCrl {
  file: string;
  label: string;
  reason: string;
}

interface SourcedCrl {
  crl: ParsedCrl;
  /** The file it came from, for warnings; `#n` for CRLs given as bytes. */
  file: string;
}

function parseAll(ders: { der: Uint8Array; file: string }[]): SourcedCrl[] {
  return ders.map(({ der, file }) => {
    try {
      return { crl: new ParsedCrl(Uint8Array.from(der)), file };
    } catch (error) {
      throw new Error(
        `${file}${file.startsWith('CRL #') ? '' : ': CRL'} cannot be parsed: ${(error as Error).message}`,
      );
    }
  });
}

function readCrlFiles(paths: readonly string[]): { der: Uint8Array; file: string }[] {
  return paths.flatMap((file) => {
    try {
      return decodePemOrDer(readFileSync(file), 'X509 CRL').map((der) => ({
        der: new Uint8Array(der),
        file,
      }));
    } catch (error) {
      throw new Error(`${file}: ${(error as Error).message}`);
    }
  });
}

const numbered = (crls: Uint8Array[]) => crls.map((der, i) => ({ der, file: `CRL #${i + 1}` }));

/**
 * The configured CRL files. A CRL is tied to its issuer by signature: at load, a CRL bearing the name of a
 * configured CA (the anchor or a GATEWAY_INTERMEDIATES certificate) whose key does not verify it is refused
 * and reported (`refused`), because loading it would refuse every TPP of that CA (the usual cause: the CA
 * was re-keyed and only the old CRL was copied). A CRL whose issuer is no configured CA is kept
 * (`foreign`): its issuer may arrive in a TPP's chain, and at validation time the CRL counts only if that
 * issuer's key verifies it; a CRL with the right name and a foreign key makes the issuer's status unknown,
 * never good.
 */
export class CrlRevocationChecker implements RevocationChecker {
  private byIssuer = new Map<string, ParsedCrl[]>();
  private files: readonly string[] = [];
  private issuers: readonly ParsedCertificate[];
  private lastInstall: { refused: RefusedCrl[]; foreign: string[] } = { refused: [], foreign: [] };

  /**
   * @param graceSeconds how long past its nextUpdate a CRL still counts (GATEWAY_CRL_GRACE_SECONDS), for a
   *   CA that publishes late; 0 by default.
   * @param issuers the configured CAs CRLs are matched against at load (none: every CRL is kept).
   */
  constructor(
    crls: Uint8Array[] = [],
    private readonly graceSeconds = 0,
    issuers: readonly ParsedCertificate[] = [],
  ) {
    this.issuers = issuers;
    this.install(parseAll(numbered(crls)));
  }

  /** Reads PEM or DER CRL files; throws naming the file that cannot be read or parsed. */
  static fromFiles(
    paths: readonly string[],
    graceSeconds = 0,
    issuers: readonly ParsedCertificate[] = [],
  ): CrlRevocationChecker {
    const checker = new CrlRevocationChecker([], graceSeconds, issuers);
    checker.install(parseAll(readCrlFiles(paths)));
    checker.files = [...paths];
    return checker;
  }

  get size(): number {
    let n = 0;
    for (const list of this.byIssuer.values()) n += list.length;
    return n;
  }

  /** What the last load or reload refused, and the issuers of the CRLs kept for unconfigured CAs. */
  get loadReport(): { refused: RefusedCrl[]; foreign: string[] } {
    return this.lastInstall;
  }

  /** Whether a loaded CRL bears this issuer's name, so it is checked strictly. */
  covers(issuer: ParsedCertificate): boolean {
    return this.byIssuer.has(issuer.subject.key);
  }

  /** The loaded CRLs whose nextUpdate has passed at `at`: each one refuses every TPP of its issuer. */
  staleAt(at: Date): { label: string; nextUpdate: Date }[] {
    const stale: { label: string; nextUpdate: Date }[] = [];
    for (const list of this.byIssuer.values()) {
      for (const crl of list) {
        if (crl.nextUpdate !== undefined && crl.nextUpdate < at)
          stale.push({ label: crl.label, nextUpdate: crl.nextUpdate });
      }
    }
    return stale;
  }

  /** Every CRL in force. */
  get crls(): ParsedCrl[] {
    return [...this.byIssuer.values()].flat();
  }

  /** Replaces the whole CRL set, all or nothing: on any parse error the old set stays and this throws. */
  replace(crls: Uint8Array[]): void {
    this.install(parseAll(numbered(crls)));
  }

  /** Re-reads the files (by default those given to fromFiles). A failed reload keeps the old set. */
  reload(
    paths: readonly string[] = this.files,
    issuers: readonly ParsedCertificate[] = this.issuers,
  ): CrlReloadResult {
    try {
      const parsed = parseAll(readCrlFiles(paths));
      this.issuers = issuers;
      this.install(parsed);
      this.files = [...paths];
      return { ok: true, count: this.size, ...this.lastInstall };
    } catch (error) {
      return { ok: false, error: (error as Error).message };
    }
  }

  private install(crls: SourcedCrl[]): void {
    const byIssuer = new Map<string, ParsedCrl[]>();
    const refused: RefusedCrl[] = [];
    const foreign = new Set<string>();
    for (const { crl, file } of crls) {
      const named = this.issuers.filter((ca) => ca.subject.key === crl.issuer.key);
      if (named.length > 0 && !named.some((ca) => crl.verifiedBy(ca))) {
        refused.push({
          file,
          label: crl.label,
          reason: `its signature does not verify with the key of the configured ${describeName(crl.issuer)} (was the CA re-keyed and only the old CRL copied?)`,
        });
        continue;
      }
      if (this.issuers.length > 0 && named.length === 0) foreign.add(describeName(crl.issuer));
      const list = byIssuer.get(crl.issuer.key);
      if (list) list.push(crl);
      else byIssuer.set(crl.issuer.key, [crl]);
    }
    this.byIssuer = byIssuer;
    this.lastInstall = { refused, foreign: [...foreign] };
  }

  check(cert: ParsedCertificate, issuer: ParsedCertificate, at: Date): Promise<RevocationStatus> {
    return this.checkFor(cert, issuer, at, undefined);
  }

  /**
   * @param point the distribution point the CRLs were fetched from: a CRL scoped to a distribution point
   *   must then be scoped to this one. Undefined (CRL files): to any point the certificate names.
   */
  async checkFor(
    cert: ParsedCertificate,
    issuer: ParsedCertificate,
    at: Date,
    point: CrlDistributionPoint | undefined,
  ): Promise<RevocationStatus> {
    const candidates = this.byIssuer.get(issuer.subject.key);
    if (!candidates) return { status: 'good' };
    let firstProblem: string | undefined;
    let nextUpdate: Date | undefined;
    let usable = 0;
    for (const crl of candidates) {
      const problem = this.unusable(crl, cert, issuer, at, point);
      if (problem) {
        firstProblem ??= problem;
        continue;
      }
      usable++;
      const entry = crl.revoked.get(serialNumberKey(cert.serial));
      if (entry) {
        const why = entry.reason ? ` (${entry.reason})` : '';
        return {
          status: 'revoked',
          reason: `certificate ${cert.label} serial ${cert.serialHex} was revoked at ${entry.revokedAt.toISOString()}${why}`,
          revokedAt: entry.revokedAt,
        };
      }
      if (crl.nextUpdate && (!nextUpdate || crl.nextUpdate < nextUpdate)) nextUpdate = crl.nextUpdate;
    }
    if (usable === 0)
      return { status: 'unknown', reason: firstProblem ?? `no usable CRL of ${issuer.label}` };
    return nextUpdate ? { status: 'good', nextUpdate } : { status: 'good' };
  }

  /**
   * Why `crl` cannot speak for `issuer` at `at` whatever the certificate (name, signature, profile,
   * freshness), or undefined.
   */
  unusableFor(crl: ParsedCrl, issuer: ParsedCertificate, at: Date): string | undefined {
    if (crl.issuer.key !== issuer.subject.key) return `${crl.label} is not a CRL of ${issuer.label}`;
    if (!crl.verifiedBy(issuer))
      return `${crl.label} signature does not verify with the key of ${issuer.label}`;
    if (crl.problem) return `${crl.label} ${crl.problem}`;
    // RFC 5280 6.3.3 (f): the CRL signer must be allowed to sign CRLs.
    if (issuer.keyUsage && !issuer.keyUsage.has('cRLSign')) {
      return `${crl.label} is signed by a key whose keyUsage does not allow cRLSign`;
    }
    if (crl.thisUpdate > at)
      return `${crl.label} is not yet valid: thisUpdate ${crl.thisUpdate.toISOString()}`;
    if (crl.nextUpdate && crl.nextUpdate.getTime() + this.graceSeconds * 1000 < at.getTime()) {
      const grace = this.graceSeconds > 0 ? ` more than ${this.graceSeconds} s ago` : '';
      return `${crl.label} is stale: nextUpdate ${crl.nextUpdate.toISOString()} has passed${grace}`;
    }
    return undefined;
  }

  private unusable(
    crl: ParsedCrl,
    cert: ParsedCertificate,
    issuer: ParsedCertificate,
    at: Date,
    point: CrlDistributionPoint | undefined,
  ): string | undefined {
    const problem = this.unusableFor(crl, issuer, at);
    if (problem) return problem;
    // RFC 5280 6.3.3 (b)(2)(i): a CRL for one distribution point says nothing about certificates
    // published under another; a certificate naming no point is covered only by its issuer's full CRL.
    const scope = crl.distributionPointNames;
    if (scope !== undefined) {
      const named = point ? point.names : cert.crlDistributionPoints.flatMap((p) => p.names);
      if (!scope.some((name) => named.includes(name)))
        return `${crl.label} covers another distribution point than ${point ? 'the one it was fetched from' : `those ${cert.label} names`}`;
    }
    if (crl.onlyUserCerts && cert.isCa) return `${crl.label} covers only end-entity certificates`;
    if (crl.onlyCaCerts && !cert.isCa) return `${crl.label} covers only CA certificates`;
    return undefined;
  }
}
