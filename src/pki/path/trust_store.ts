import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Logger } from '../../audit/logger';
import { CachedIdentityVerifier } from '../identity/cached_identity_verifier';
import { presentedChainKey } from './chain_key';
import { ChainValidator } from './chain_validator';
import type { ClientIdentityVerifier } from '../identity/client_identity';
import { readPemOrDerFile } from '../asn1/pem';
import { QSEAL_PROFILE, QwacIdentityVerifier } from '../identity/qwac_identity_verifier';
import { ParsedCertificate } from '../certificate/parsed_certificate';
import { CrlRevocationChecker } from './revocation';
import type { RevocationFetcher } from '../revocation/revocation_fetcher';
import { RevocationSources, type RevocationPolicy } from '../revocation/revocation_sources';

export interface TrustStoreOptions {
  anchorFile: string;
  crlFiles: readonly string[];
  /** PEM bundle of issuing CAs offered to path building (GATEWAY_INTERMEDIATES). */
  intermediatesFile?: string | undefined;
  logger: Logger;
  /** GATEWAY_CRL_GRACE_SECONDS: how long past nextUpdate a CRL still counts; default 0. */
  crlGraceSeconds?: number;
  /** When the anchor and intermediates are checked; default now. */
  now?: Date;
  /** GATEWAY_REVOCATION; default hard-fail. */
  revocationPolicy?: RevocationPolicy;
  /** GATEWAY_REVOCATION_TIMEOUT_MS: deadline of one OCSP or CRL fetch; default 5000. */
  revocationTimeoutMs?: number;
  /** Fetches OCSP answers and distribution-point CRLs; without it only GATEWAY_CRL files are consulted. */
  fetcher?: RevocationFetcher;
}

/** Which configured trust material is unusable, so the caller can name the setting. */
export class TrustMaterialError extends Error {
  constructor(
    readonly material: 'anchor' | 'intermediates',
    message: string,
  ) {
    super(message);
    this.name = 'TrustMaterialError';
  }
}

/** The anchor must be what an anchor is: a self-signed CA certificate, valid now. */
function checkAnchor(der: Buffer, file: string, now: Date): void {
  let anchor: ParsedCertificate;
  try {
    anchor = ParsedCertificate.parse(der);
  } catch (error) {
    throw new TrustMaterialError('anchor', `${file}: not a valid certificate (${(error as Error).message})`);
  }
  const problem = !anchor.isCa
    ? 'is not a CA certificate (basicConstraints cA is not set)'
    : !anchor.selfSigned
      ? 'is not self-signed: configure the root certificate, not an intermediate'
      : now < anchor.notBefore
        ? `is not valid before ${anchor.notBefore.toISOString()}`
        : now > anchor.notAfter
          ? `expired at ${anchor.notAfter.toISOString()}`
          : undefined;
  if (problem !== undefined) throw new TrustMaterialError('anchor', `${file}: ${anchor.label} ${problem}`);
}

/**
 * Every configured intermediate must be a CA that validates to the anchor now: the bundle only saves
 * clients (and proxies) from sending it, it never widens what is trusted.
 */
async function checkIntermediates(
  intermediates: readonly Buffer[],
  anchorDer: Buffer,
  revocation: CrlRevocationChecker,
  file: string,
  now: Date,
): Promise<void> {
  const validator = new ChainValidator({ anchors: [anchorDer], revocation });
  for (const [i, der] of intermediates.entries()) {
    let cert: ParsedCertificate;
    try {
      cert = ParsedCertificate.parse(der);
    } catch (error) {
      throw new TrustMaterialError(
        'intermediates',
        `${file}: certificate #${i + 1} is not a valid certificate (${(error as Error).message})`,
      );
    }
    if (!cert.isCa)
      throw new TrustMaterialError('intermediates', `${file}: ${cert.label} is not a CA certificate`);
    const others = intermediates.filter((_, j) => j !== i);
    const result = await validator.validate({ leaf: der, intermediates: others, at: now, purpose: 'any' });
    if (!result.valid) {
      throw new TrustMaterialError(
        'intermediates',
        `${file}: ${cert.label} does not validate to the trust anchor (${result.reason})`,
      );
    }
  }
}

/**
 * The one anchor, the revocation data, and the cached verifier built on them. Revocation data can
 * change while connections stay open: a reload drops every cached verdict, so the next request on any
 * connection is judged against the new CRLs.
 */
function readMaterial(material: TrustMaterialError['material'], file: string): Buffer[] {
  try {
    return readPemOrDerFile(file, 'CERTIFICATE');
  } catch (error) {
    throw new TrustMaterialError(material, `${file}: ${(error as Error).message}`);
  }
}

/** The CAs the operator configured (anchor and GATEWAY_INTERMEDIATES) that CRL files are matched against. */
function configuredIssuers(anchorDer: Buffer, intermediates: readonly Buffer[]): ParsedCertificate[] {
  return [anchorDer, ...intermediates].flatMap((der) => {
    try {
      return [ParsedCertificate.parse(der)];
    } catch {
      return []; // reported by checkIntermediates, which refuses the bundle
    }
  });
}

export class TrustStore {
  /** Stable across anchor reloads: the trust gate holds this object, the validator behind it changes. */
  readonly verifier: CachedIdentityVerifier;
  /** QSealCs of request signatures: the same validator and cache rules as QWACs, the seal profile. */
  readonly sealVerifier: CachedIdentityVerifier;
  private current: {
    anchorDer: Buffer;
    anchor: ParsedCertificate;
    validator: ChainValidator;
    inner: ClientIdentityVerifier;
    sealInner: ClientIdentityVerifier;
  };
  private fileStamps: string;
  /** Configured CRL files, OCSP and CRL distribution points, under the revocation policy. */
  readonly sources: RevocationSources;

  private constructor(
    anchorDer: Buffer,
    readonly intermediates: readonly Buffer[],
    private readonly revocation: CrlRevocationChecker,
    private readonly options: TrustStoreOptions,
  ) {
    this.sources = new RevocationSources({
      files: revocation,
      fetcher: options.fetcher,
      policy: options.revocationPolicy ?? 'hard-fail',
      timeoutMs: options.revocationTimeoutMs ?? 5000,
      crlGraceSeconds: options.crlGraceSeconds ?? 0,
      logger: options.logger,
      // A refresh that changed an answer (good turned revoked) must reach connections already open.
      onChange: () => this.dropVerdicts('revocation_answer_changed'),
    });
    this.current = this.build(anchorDer);
    this.sealVerifier = new CachedIdentityVerifier(
      { verify: (chain, at) => this.current.sealInner.verify(chain, at) },
      presentedChainKey,
    );
    this.verifier = new CachedIdentityVerifier(
      { verify: (chain, at) => this.current.inner.verify(chain, at) },
      presentedChainKey,
    );
    this.fileStamps = this.stampFiles();
  }

  private build(anchorDer: Buffer): TrustStore['current'] {
    const validator = new ChainValidator({
      anchors: [anchorDer],
      intermediates: [...this.intermediates],
      revocation: this.sources,
    });
    return {
      anchorDer,
      anchor: ParsedCertificate.parse(anchorDer),
      validator,
      inner: new QwacIdentityVerifier(validator),
      sealInner: new QwacIdentityVerifier(validator, QSEAL_PROFILE),
    };
  }

  /** Reads and checks the anchor file; throws TrustMaterialError. */
  private static readAnchorFile(options: TrustStoreOptions, now: Date): Buffer {
    const anchors = readMaterial('anchor', options.anchorFile);
    if (anchors.length !== 1) {
      throw new TrustMaterialError(
        'anchor',
        `${options.anchorFile}: expected exactly one trust anchor certificate, found ${anchors.length}`,
      );
    }
    const anchorDer = anchors[0] as Buffer;
    checkAnchor(anchorDer, options.anchorFile, now);
    return anchorDer;
  }

  /** Reads and checks the anchor file and the intermediates against it; throws TrustMaterialError. */
  private static async readAnchor(
    options: TrustStoreOptions,
    intermediates: readonly Buffer[],
    revocation: CrlRevocationChecker,
    now: Date,
  ): Promise<Buffer> {
    const anchorDer = TrustStore.readAnchorFile(options, now);
    if (options.intermediatesFile !== undefined)
      await checkIntermediates(intermediates, anchorDer, revocation, options.intermediatesFile, now);
    return anchorDer;
  }

  static async load(options: TrustStoreOptions): Promise<TrustStore> {
    const now = options.now ?? new Date();
    const intermediates =
      options.intermediatesFile === undefined ? [] : readMaterial('intermediates', options.intermediatesFile);
    const anchorDer = TrustStore.readAnchorFile(options, now);
    const revocation = CrlRevocationChecker.fromFiles(
      options.crlFiles,
      options.crlGraceSeconds ?? 0,
      configuredIssuers(anchorDer, intermediates),
    );
    if (options.intermediatesFile !== undefined)
      await checkIntermediates(intermediates, anchorDer, revocation, options.intermediatesFile, now);
    const store = new TrustStore(anchorDer, intermediates, revocation, options);
    store.reportCrlLoad();
    for (const stale of revocation.staleAt(now)) {
      // Loud, not fatal: the CA may publish any minute, and the old CRL refuses rather than admits.
      options.logger.error(
        { event: 'crl_stale_at_start', crl: stale.label, nextUpdate: stale.nextUpdate.toISOString() },
        `${stale.label} is already stale (nextUpdate ${stale.nextUpdate.toISOString()}): every certificate it covers is refused until a fresh CRL is installed`,
      );
    }
    const uncovered = configuredIssuers(anchorDer, intermediates).filter((ca) => !revocation.covers(ca));
    if (uncovered.length > 0) {
      options.logger.warn(
        { event: 'revocation_data_missing', cas: uncovered.map((ca) => ca.label) },
        `no CRL configured for ${uncovered.map((ca) => ca.label).join(', ')}: certificates they issue are checked only through the OCSP responders and CRL distribution points they name, and admitted unchecked when they name none`,
      );
    }
    options.logger.info(
      {
        event: 'trust_store_loaded',
        anchorFile: options.anchorFile,
        crls: revocation.size,
        crlFiles: options.crlFiles,
        intermediates: intermediates.length,
        revocationPolicy: store.sources.policy,
        onlineRevocation: options.fetcher !== undefined,
      },
      'trust anchor and CRLs loaded',
    );
    return store;
  }

  /** Warns about each configured CRL refused at load and names the unconfigured CAs whose CRLs were kept. */
  private reportCrlLoad(): void {
    const { refused, foreign } = this.revocation.loadReport;
    for (const crl of refused) {
      this.options.logger.warn(
        { event: 'crl_refused', file: crl.file, crl: crl.label },
        `GATEWAY_CRL ${crl.file}: ${crl.label} not loaded: ${crl.reason}`,
      );
    }
    if (foreign.length > 0) {
      this.options.logger.info(
        { event: 'crl_issuer_not_configured', issuers: foreign },
        `CRLs of CAs that are not configured (${foreign.join(', ')}) are kept: each counts only for a chain whose issuer's key verifies it`,
      );
    }
  }

  /** Stops background refreshes of revocation data. */
  close(): void {
    this.sources.close();
  }

  private dropVerdicts(event: string): void {
    this.verifier.invalidate();
    this.sealVerifier.invalidate();
    this.options.logger.info({ event }, 'cached verdicts dropped');
  }

  get anchorDer(): Buffer {
    return this.current.anchorDer;
  }

  get validator(): ChainValidator {
    return this.current.validator;
  }

  /** The anchor's expiry, for the metrics and readiness. */
  get anchorNotAfter(): Date {
    return this.current.anchor.notAfter;
  }

  /** The CRLs in force, each with its nextUpdate (freshness for /readyz and the metrics). */
  get crls(): { label: string; nextUpdate: Date | undefined }[] {
    return this.revocation.crls.map((crl) => ({ label: crl.label, nextUpdate: crl.nextUpdate }));
  }

  /**
   * Re-read the anchor file. A file that cannot be read, holds anything but one valid self-signed CA
   * certificate, or that the configured intermediates do not validate to, leaves the old anchor in force.
   * Returns whether the anchor changed (cached verdicts are then dropped).
   */
  async reloadAnchor(): Promise<boolean> {
    let anchorDer: Buffer;
    try {
      anchorDer = await TrustStore.readAnchor(this.options, this.intermediates, this.revocation, new Date());
    } catch (error) {
      this.options.logger.error(
        {
          event: 'trust_anchor_reload_failed',
          file: this.options.anchorFile,
          error: (error as Error).message,
        },
        'trust anchor reload refused; the previous anchor stays in force',
      );
      return false;
    }
    if (anchorDer.equals(this.current.anchorDer)) return false;
    this.current = this.build(anchorDer);
    this.verifier.invalidate();
    this.sealVerifier.invalidate();
    this.options.logger.info(
      { event: 'trust_anchor_reloaded', file: this.options.anchorFile },
      'trust anchor reloaded; cached verdicts dropped',
    );
    return true;
  }

  get identityVerifier(): ClientIdentityVerifier {
    return this.verifier;
  }

  /** Re-read the CRL files now. A file that cannot be parsed leaves the previous set in force. */
  reloadRevocation(): boolean {
    const result = this.revocation.reload(
      this.options.crlFiles,
      configuredIssuers(this.current.anchorDer, this.intermediates),
    );
    this.fileStamps = this.stampFiles();
    if (!result.ok) {
      this.options.logger.error(
        { event: 'crl_reload_failed', error: result.error },
        'CRL reload failed; previous CRLs stay in force',
      );
      return false;
    }
    this.verifier.invalidate();
    this.sealVerifier.invalidate();
    this.reportCrlLoad();
    this.options.logger.info(
      { event: 'crl_reloaded', crls: result.count },
      'CRLs reloaded; cached verdicts dropped',
    );
    return true;
  }

  /**
   * Reload when any CRL file's content changed. Compared by hash, not size and mtime: a file replaced with
   * `cp -p` or `rsync -t` can keep both, and a CRL of the same length is the usual case.
   */
  reloadIfChanged(): boolean {
    const stamps = this.stampFiles();
    if (stamps === this.fileStamps) return false;
    return this.reloadRevocation();
  }

  /** Poll the CRL files; returns a function that stops polling. */
  watch(intervalSeconds: number): () => void {
    const timer = setInterval(() => this.reloadIfChanged(), intervalSeconds * 1000);
    timer.unref();
    return () => clearInterval(timer);
  }

  private stampFiles(): string {
    return this.options.crlFiles
      .map((file) => {
        try {
          return `${file}:${createHash('sha256').update(readFileSync(file)).digest('hex')}`;
        } catch {
          return `${file}:missing`;
        }
      })
      .join('|');
  }
}
