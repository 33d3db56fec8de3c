import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Logger } from '../../audit/logger';
import { CachedIdentityVerifier } from '../identity/cached_identity_verifier';
import { presentedChainKey } from './chain_key';
import { ChainValidator } from './chain_validator';
import type { ClientIdentityVerifier } from '../identity/client_identity';
import { readPemOrDerFile } from '../asn1/pem';
import { QwacIdentityVerifier } from '../identity/qwac_identity_verifier';
import { ParsedCertificate } from '../certificate/parsed_certificate';
import { CrlRevocationChecker } from './revocation';

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

export class TrustStore {
  readonly verifier: CachedIdentityVerifier;
  readonly validator: ChainValidator;
  private fileStamps: string;

  private constructor(
    readonly anchorDer: Buffer,
    readonly intermediates: readonly Buffer[],
    private readonly revocation: CrlRevocationChecker,
    private readonly options: TrustStoreOptions,
  ) {
    this.validator = new ChainValidator({
      anchors: [anchorDer],
      intermediates: [...intermediates],
      revocation,
    });
    this.verifier = new CachedIdentityVerifier(new QwacIdentityVerifier(this.validator), presentedChainKey);
    this.fileStamps = this.stampFiles();
  }

  static async load(options: TrustStoreOptions): Promise<TrustStore> {
    const now = options.now ?? new Date();
    const anchors = readMaterial('anchor', options.anchorFile);
    if (anchors.length !== 1) {
      throw new TrustMaterialError(
        'anchor',
        `${options.anchorFile}: expected exactly one trust anchor certificate, found ${anchors.length}`,
      );
    }
    const anchorDer = anchors[0] as Buffer;
    checkAnchor(anchorDer, options.anchorFile, now);
    const revocation = CrlRevocationChecker.fromFiles(options.crlFiles, options.crlGraceSeconds ?? 0);
    const intermediates =
      options.intermediatesFile === undefined ? [] : readMaterial('intermediates', options.intermediatesFile);
    if (options.intermediatesFile !== undefined)
      await checkIntermediates(intermediates, anchorDer, revocation, options.intermediatesFile, now);
    const store = new TrustStore(anchorDer, intermediates, revocation, options);
    for (const stale of revocation.staleAt(now)) {
      // Loud, not fatal: the CA may publish any minute, and the old CRL refuses rather than admits.
      options.logger.error(
        { event: 'crl_stale_at_start', crl: stale.label, nextUpdate: stale.nextUpdate.toISOString() },
        `${stale.label} is already stale (nextUpdate ${stale.nextUpdate.toISOString()}): every certificate it covers is refused until a fresh CRL is installed`,
      );
    }
    options.logger.info(
      {
        event: 'trust_store_loaded',
        anchorFile: options.anchorFile,
        crls: revocation.size,
        crlFiles: options.crlFiles,
        intermediates: intermediates.length,
      },
      'trust anchor and CRLs loaded',
    );
    return store;
  }

  get identityVerifier(): ClientIdentityVerifier {
    return this.verifier;
  }

  /** Re-read the CRL files now. A file that cannot be parsed leaves the previous set in force. */
  reloadRevocation(): boolean {
    const result = this.revocation.reload(this.options.crlFiles);
    this.fileStamps = this.stampFiles();
    if (!result.ok) {
      this.options.logger.error(
        { event: 'crl_reload_failed', error: result.error },
        'CRL reload failed; previous CRLs stay in force',
      );
      return false;
    }
    this.verifier.invalidate();
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
