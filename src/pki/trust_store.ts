import { statSync } from 'node:fs';
import type { Logger } from '../audit/logger';
import { presentedChainKey } from '../tls/presented_chain';
import { CachedIdentityVerifier } from './cached_identity_verifier';
import { ChainValidator } from './chain_validator';
import type { ClientIdentityVerifier } from './client_identity';
import { ParsedCertificate } from './parsed_certificate';
import { readPemOrDerFile } from './pem';
import { QwacIdentityVerifier } from './qwac_identity_verifier';
import { CrlRevocationChecker } from './revocation';

export interface TrustStoreOptions {
  anchorFile: string;
  crlFiles: readonly string[];
  logger: Logger;
}

/**
 * The one anchor, the revocation data, and the cached verifier built on them. Revocation data can
 * change while connections stay open: a reload drops every cached verdict, so the next request on any
 * connection is judged against the new CRLs.
 */
export class TrustStore {
  /** Stable across anchor reloads: the trust gate holds this object, the validator behind it changes. */
  readonly verifier: CachedIdentityVerifier;
  private current: {
    anchorDer: Buffer;
    anchor: ParsedCertificate;
    validator: ChainValidator;
    inner: ClientIdentityVerifier;
  };
  private fileStamps: string;

  private constructor(
    anchorDer: Buffer,
    private readonly revocation: CrlRevocationChecker,
    private readonly options: TrustStoreOptions,
  ) {
    this.current = TrustStore.build(anchorDer, revocation);
    this.verifier = new CachedIdentityVerifier(
      { verify: (chain, at) => this.current.inner.verify(chain, at) },
      presentedChainKey,
    );
    this.fileStamps = this.stampFiles();
  }

  private static build(anchorDer: Buffer, revocation: CrlRevocationChecker): TrustStore['current'] {
    const validator = new ChainValidator({ anchors: [anchorDer], revocation });
    return {
      anchorDer,
      anchor: new ParsedCertificate(anchorDer),
      validator,
      inner: new QwacIdentityVerifier(validator),
    };
  }

  private static readAnchor(anchorFile: string): Buffer {
    const anchors = readPemOrDerFile(anchorFile, 'CERTIFICATE');
    if (anchors.length !== 1) {
      throw new Error(
        `${anchorFile}: expected exactly one trust anchor certificate, found ${anchors.length}`,
      );
    }
    // Parsed here so a file that is not a certificate is refused before anything switches to it.
    new ParsedCertificate(anchors[0] as Buffer);
    return anchors[0] as Buffer;
  }

  static load(options: TrustStoreOptions): TrustStore {
    const anchorDer = TrustStore.readAnchor(options.anchorFile);
    const revocation = CrlRevocationChecker.fromFiles(options.crlFiles);
    const store = new TrustStore(anchorDer, revocation, options);
    options.logger.info(
      {
        event: 'trust_store_loaded',
        anchorFile: options.anchorFile,
        crls: revocation.size,
        crlFiles: options.crlFiles,
      },
      'trust anchor and CRLs loaded',
    );
    return store;
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
   * Re-read the anchor file. A file that cannot be read or holds anything but one certificate leaves the
   * old anchor in force. Returns whether the anchor changed (cached verdicts are then dropped).
   */
  reloadAnchor(): boolean {
    let anchorDer: Buffer;
    try {
      anchorDer = TrustStore.readAnchor(this.options.anchorFile);
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
    this.current = TrustStore.build(anchorDer, this.revocation);
    this.verifier.invalidate();
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

  /** Reload when any CRL file's size or modification time changed. */
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
          const s = statSync(file);
          return `${file}:${s.size}:${s.mtimeMs}`;
        } catch {
          return `${file}:missing`;
        }
      })
      .join('|');
  }
}
