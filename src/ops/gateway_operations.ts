/**
 * The gateway's operational side, assembled in one place so gateway.ts only plugs it in: metrics,
 * readiness, the audit trail, the EBA statistics, key rotation and the drain on SIGTERM.
 */
import type https from 'node:https';
import { sql } from 'kysely';
import type { Logger } from '../audit/logger';
import type { OperationsConfig } from '../config/operations_config';
import type { TrustStore } from '../pki/path/trust_store';
import { KyselyAuditTrail } from '../store/kysely_audit_trail';
import { KyselyEbaStatistics } from '../store/kysely_eba_statistics';
import type { Store } from '../store/open_store';
import type { ServerKeyMaterial } from '../tls/server_key_material';
import { EbaStatistics } from './eba_statistics';
import type { GatewayMetrics } from './gateway_metrics';
import { KeyRotation, type RotationResult } from './key_rotation';
import { Readiness } from './readiness';

export interface GatewayOperationsDeps {
  config: OperationsConfig;
  logger: Logger;
  metrics: GatewayMetrics;
  store: Store;
  trustStore: TrustStore;
}

export interface AttachServerParams {
  server: https.Server;
  keyMaterial: ServerKeyMaterial;
  crlFiles: readonly string[];
  /** How often the key files are checked even without a file-watch event. */
  pollSeconds: number;
  /** See KeyRotationDeps.onReloaded. */
  onReloaded?: (trigger: string, result: RotationResult) => void;
}

/** How often idle keep-alive connections are closed while draining. */
const DRAIN_SWEEP_MS = 100;

export class GatewayOperations {
  readonly readiness = new Readiness();
  readonly auditTrail: KyselyAuditTrail;
  readonly statistics: EbaStatistics;
  readonly metrics: GatewayMetrics;
  private rotation: KeyRotation | undefined;
  private stopWatching: () => void = () => undefined;
  private server: https.Server | undefined;
  private drained: Promise<void> | undefined;

  constructor(private readonly deps: GatewayOperationsDeps) {
    const { config, logger, metrics, store, trustStore } = deps;
    this.metrics = metrics;
    this.auditTrail = new KyselyAuditTrail(store.db, {
      queueMax: config.auditQueueMax,
      logger,
      onDrop: () => metrics.auditDropped.inc(),
    });
    this.statistics = new EbaStatistics(new KyselyEbaStatistics(store.db), logger);

    metrics.verdictCache(trustStore.verifier.stats);
    metrics.auditQueueLength(() => this.auditTrail.queued);
    metrics.statusCounts('consents', async () => {
      const rows = await sql<{
        status: string;
        n: number | string;
      }>`select status, count(*) as n from consents group by status`.execute(store.db);
      return new Map(rows.rows.map((r) => [r.status, Number(r.n)]));
    });

    this.readiness.set({
      name: 'store',
      check: async () => {
        await sql`select 1`.execute(store.db);
        return undefined;
      },
    });
    this.readiness.set({
      name: 'trust_anchor',
      check: () =>
        Promise.resolve(
          trustStore.anchorNotAfter.getTime() > Date.now()
            ? undefined
            : `the trust anchor expired ${trustStore.anchorNotAfter.toISOString()}`,
        ),
    });
    this.readiness.set({
      name: 'crls_fresh',
      check: () => {
        const stale = trustStore.crls.filter(
          (c) => c.nextUpdate !== undefined && c.nextUpdate.getTime() <= Date.now(),
        );
        return Promise.resolve(
          stale.length === 0 ? undefined : `past nextUpdate: ${stale.map((c) => c.label).join('; ')}`,
        );
      },
    });
    // The embedded sandbox bank lives in the gateway's own store: reachable whenever the store is. A bank
    // connector replaces this check with its own under the same name.
    this.readiness.set({ name: 'bank_connector', check: () => Promise.resolve(undefined) });
    this.readiness.set({
      name: 'audit_queue',
      check: () =>
        Promise.resolve(this.auditTrail.healthy ? undefined : 'audit queue full: events are being dropped'),
    });
  }

  /** The TLS listener is up: watch its key material and report its expiry. */
  attachServer(params: AttachServerParams): void {
    const { trustStore, logger, config } = this.deps;
    this.server = params.server;
    this.rotation = new KeyRotation({
      trustStore,
      keyMaterial: params.keyMaterial,
      server: params.server,
      crlFiles: params.crlFiles,
      logger,
      ...(params.onReloaded !== undefined ? { onReloaded: params.onReloaded } : {}),
    });
    this.stopWatching = this.rotation.watch(params.pollSeconds, config.watchKeyFiles);
    this.metrics.expirySource({
      certificates: () => [
        { name: 'trust_anchor', notAfter: trustStore.anchorNotAfter },
        { name: 'server', notAfter: params.keyMaterial.serverCertificateNotAfter },
      ],
      crls: () => trustStore.crls.map((c) => ({ name: c.label, nextUpdate: c.nextUpdate })),
    });
  }

  /** SIGHUP: read the anchor, CRLs, server certificate and key again. */
  reloadKeyMaterial(trigger = 'SIGHUP'): Promise<RotationResult> | undefined {
    return this.rotation?.reload(trigger);
  }

  get draining(): boolean {
    return this.readiness.draining;
  }

  /**
   * SIGTERM: /readyz fails at once, the listener stops accepting, idle keep-alive connections are closed
   * as soon as they are idle, requests in flight get `graceSeconds` to finish; then the remaining
   * connections are cut and the audit queue and statistics are written.
   */
  drain(graceSeconds = this.deps.config.shutdownGraceSeconds): Promise<void> {
    this.drained ??= this.runDrain(graceSeconds);
    return this.drained;
  }

  private async runDrain(graceSeconds: number): Promise<void> {
    const { logger } = this.deps;
    this.readiness.startDraining();
    this.stopWatching();
    const server = this.server;
    if (server !== undefined) {
      logger.info(
        { event: 'draining', graceSeconds },
        'draining: no new connections, waiting for requests in flight',
      );
      await new Promise<void>((resolve) => {
        const sweep = setInterval(() => server.closeIdleConnections(), DRAIN_SWEEP_MS);
        const deadline = setTimeout(() => {
          logger.warn(
            { event: 'drain_grace_expired', graceSeconds },
            'grace period over: closing remaining connections',
          );
          server.closeAllConnections();
        }, graceSeconds * 1000);
        server.close(() => {
          clearInterval(sweep);
          clearTimeout(deadline);
          resolve();
        });
        server.closeIdleConnections();
      });
    }
    await this.statistics.flush();
    await this.auditTrail.close();
  }
}
