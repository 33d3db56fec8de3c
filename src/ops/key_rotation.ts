/**
 * Rotation without restart: on SIGHUP, on a change the file watch sees, or when the periodic check finds
 * a file's size or mtime changed, the trust anchor, the CRLs and the server certificate and key are read
 * again. Each piece is refused on its own when its new file is broken, with a log line, and the old
 * material stays in force. Every worker does this for itself (the primary forwards SIGHUP; each watches).
 */
import { statSync, watch, type FSWatcher } from 'node:fs';
import type https from 'node:https';
import path from 'node:path';
import type { Logger } from '../audit/logger';
import type { TrustStore } from '../pki/path/trust_store';
import type { ServerKeyMaterial } from '../tls/server_key_material';

export interface KeyRotationDeps {
  trustStore: TrustStore;
  keyMaterial: ServerKeyMaterial;
  server: https.Server;
  crlFiles: readonly string[];
  logger: Logger;
  /** Told after every reload (other instances sharing the store are told the trust material changed). */
  onReloaded?: (trigger: string, result: RotationResult) => void;
}

export interface RotationResult {
  anchor: boolean;
  crls: boolean;
  serverCertificate: boolean;
  refused: string[];
}

/** Editors and `cp` write a file in several steps; one reload after the last of them. */
const SETTLE_MS = 300;

export class KeyRotation {
  private stamps: string;

  constructor(private readonly deps: KeyRotationDeps) {
    this.stamps = this.stampFiles();
  }

  private get files(): string[] {
    return [...new Set([...this.deps.keyMaterial.paths, ...this.deps.crlFiles])];
  }

  async reload(trigger: string): Promise<RotationResult> {
    const { trustStore, keyMaterial, server, logger } = this.deps;
    this.stamps = this.stampFiles();
    const refused: string[] = [];
    const anchor = await trustStore.reloadAnchor();
    const crls = this.deps.crlFiles.length > 0 && trustStore.reloadRevocation();
    const tls = keyMaterial.reload(server);
    if ('error' in tls) {
      refused.push('server certificate');
      logger.error(
        { event: 'server_certificate_reload_failed', error: tls.error },
        'new server certificate or key refused; the previous ones stay in use',
      );
    } else if (tls.changed) {
      logger.info(
        {
          event: 'server_certificate_reloaded',
          notAfter: keyMaterial.serverCertificateNotAfter.toISOString(),
        },
        'server certificate reloaded; new connections use it',
      );
    }
    logger.info(
      { event: 'key_material_checked', trigger, anchor, crls, serverCertificate: tls.changed },
      'key material checked',
    );
    const result = { anchor, crls, serverCertificate: tls.changed, refused };
    this.deps.onReloaded?.(trigger, result);
    return result;
  }

  /** Reload when any file's size or mtime changed since the last look. */
  reloadIfChanged(trigger: string): Promise<RotationResult> | undefined {
    return this.stampFiles() === this.stamps ? undefined : this.reload(trigger);
  }

  /**
   * Polls every `intervalSeconds` and, with `fileWatch`, reacts within a moment to changes in the files'
   * directories (a watch on the directory survives a file replaced by rename, as `mv` and Kubernetes do).
   */
  watch(intervalSeconds: number, fileWatch: boolean): () => void {
    const timer = setInterval(() => void this.reloadIfChanged('poll'), intervalSeconds * 1000);
    timer.unref();
    const watchers: FSWatcher[] = [];
    let settle: NodeJS.Timeout | undefined;
    if (fileWatch) {
      const names = new Set(this.files.map((f) => path.basename(f)));
      for (const dir of new Set(this.files.map((f) => path.dirname(f)))) {
        try {
          const watcher = watch(dir, { persistent: false }, (_event, name) => {
            if (name !== null && !names.has(name.toString())) return;
            clearTimeout(settle);
            settle = setTimeout(() => void this.reloadIfChanged('file change'), SETTLE_MS);
            settle.unref();
          });
          watcher.on('error', () => watcher.close());
          watchers.push(watcher);
        } catch (error) {
          this.deps.logger.warn(
            { event: 'key_file_watch_unavailable', dir, error: (error as Error).message },
            'cannot watch key files; the periodic check and SIGHUP still reload',
          );
        }
      }
    }
    return () => {
      clearInterval(timer);
      clearTimeout(settle);
      for (const watcher of watchers) watcher.close();
    };
  }

  private stampFiles(): string {
    return this.files
      .map((file) => {
        try {
          const s = statSync(file);
          return `${file}:${s.size}:${s.mtimeMs}:${s.ino}`;
        } catch {
          return `${file}:missing`;
        }
      })
      .join('|');
  }
}
