/**
 * The server certificate chain, its key and the anchor advertised to clients, read from their files and
 * replaceable while the server runs: `reload` checks the new files form a usable context before
 * `setSecureContext` switches new handshakes to them. Connections already open keep the context they
 * were accepted with and finish normally.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type https from 'node:https';
import tls from 'node:tls';
import { buildTlsServerOptions, serverCertificateProblem, type TlsServerOptions } from './server_options';

export interface ServerKeyFiles {
  certChainFile: string;
  keyFile: string;
  anchorFile: string;
  rejectUntrustedAtHandshake: boolean;
}

export type KeyMaterialReload = { changed: boolean } | { changed: false; error: string };

export class ServerKeyMaterial {
  private material: TlsServerOptions;
  private certificateNotAfter: Date;

  private constructor(private readonly files: ServerKeyFiles) {
    this.material = ServerKeyMaterial.read(files);
    this.certificateNotAfter = ServerKeyMaterial.check(this.material);
  }

  /** Reads and checks the files; throws naming what is wrong. */
  static load(files: ServerKeyFiles): ServerKeyMaterial {
    return new ServerKeyMaterial(files);
  }

  get options(): TlsServerOptions {
    return this.material;
  }

  get serverCertificateNotAfter(): Date {
    return this.certificateNotAfter;
  }

  private static read(files: ServerKeyFiles): TlsServerOptions {
    return {
      certChainPem: readFileSync(files.certChainFile),
      keyPem: readFileSync(files.keyFile),
      anchorPem: readFileSync(files.anchorFile),
      rejectUntrustedAtHandshake: files.rejectUntrustedAtHandshake,
    };
  }

  /** The leaf's notAfter; throws when the chain, key and anchor do not make a context (e.g. a key of another certificate). */
  private static check(material: TlsServerOptions): Date {
    const problem = serverCertificateProblem(material.certChainPem);
    if (problem !== undefined) throw new Error(`${problem}`);
    tls.createSecureContext(buildTlsServerOptions(material));
    return new Date(new X509Certificate(material.certChainPem).validTo);
  }

  /**
   * Re-reads the files. Unchanged files change nothing; a broken set (unreadable, unparsable, key and
   * certificate that do not match) is refused and the material in use stays.
   */
  reload(server: https.Server): KeyMaterialReload {
    let next: TlsServerOptions;
    let notAfter: Date;
    try {
      next = ServerKeyMaterial.read(this.files);
      if (
        next.certChainPem.toString() === this.material.certChainPem.toString() &&
        next.keyPem.toString() === this.material.keyPem.toString() &&
        next.anchorPem.toString() === this.material.anchorPem.toString()
      )
        return { changed: false };
      notAfter = ServerKeyMaterial.check(next);
    } catch (error) {
      return { changed: false, error: (error as Error).message };
    }
    server.setSecureContext(buildTlsServerOptions(next));
    this.material = next;
    this.certificateNotAfter = notAfter;
    return { changed: true };
  }

  /** The files to watch for a change. */
  get paths(): string[] {
    return [this.files.certChainFile, this.files.keyFile, this.files.anchorFile];
  }
}
