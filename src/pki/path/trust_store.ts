import { statSync } from 'node:fs';
import type { Logger } from '../../audit/logger';
import { CachedIdentityVerifier } from '../identity/cached_identity_verifier';
import { presentedChainKey } from './chain_key';
import { ChainValidator } from './chain_validator';
import type { ClientIdentityVerifier } from '../identity/client_identity';
import { readPemOrDerFile } from '../asn1/pem';
import { QwacIdentityVerifier } from '../identity/qwac_identity_verifier';
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
  readonly verifier: CachedIdentityVerifier;
  readonly validator: ChainValidator;
  private fileStamps: string;

  private constructor(
    readonly anchorDer: Buffer,
    private readonly revocation: CrlRevocationChecker,
    private readonly options: TrustStoreOptions,
  ) {
    this.validator = new ChainValidator({ anchors: [anchorDer], revocation });
    this.verifier = new CachedIdentityVerifier(new QwacIdentityVerifier(this.validator), presentedChainKey);
    this.fileStamps = this.stampFiles();
  }

  static load(options: TrustStoreOptions): TrustStore {
    const anchors = readPemOrDerFile(options.anchorFile, 'CERTIFICATE');
    if (anchors.length !== 1) {
      throw new Error(
        `${options.anchorFile}: expected exactly one trust anchor certificate, found ${anchors.length}`,
      );
    }
    const revocation = CrlRevocationChecker.fromFiles(options.crlFiles);
    const store = new TrustStore(anchors[0] as Buffer, revocation, options);
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
