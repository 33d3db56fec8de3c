/**
 * The settings of the gateway's operational side: the admin listener, the drain on SIGTERM, the audit
 * trail's write queue and the file watch for key-material rotation. Read only here; each key is
 * documented once, here and in the README configuration table.
 */
import { nonEmpty, parseBoolean, parseInteger, type Env } from './config';
import { declaredOnly } from './variables';

export interface OperationsConfig {
  /** GATEWAY_ADMIN_HOST: where /healthz, /readyz and /metrics listen (plain HTTP, no client certificate). */
  adminHost: string;
  /** GATEWAY_ADMIN_PORT: 0 picks a free port (tests); default 9090. */
  adminPort: number;
  /** GATEWAY_SHUTDOWN_GRACE_SECONDS: how long requests in flight may take to finish after SIGTERM. */
  shutdownGraceSeconds: number;
  /** GATEWAY_AUDIT_QUEUE_MAX: audit events waiting for their batch write; beyond it events are dropped (counted). */
  auditQueueMax: number;
  /** GATEWAY_WATCH_KEY_FILES: reload certificate, key, anchor and CRLs when their files change. */
  watchKeyFiles: boolean;
}

export function loadOperationsConfig(environment: Env = process.env): OperationsConfig {
  const env = declaredOnly(environment);
  return {
    adminHost: nonEmpty(env, 'GATEWAY_ADMIN_HOST') ?? '127.0.0.1',
    adminPort: parseInteger(env, 'GATEWAY_ADMIN_PORT', 9090, 0, 65535),
    shutdownGraceSeconds: parseInteger(env, 'GATEWAY_SHUTDOWN_GRACE_SECONDS', 25, 0, 3600),
    auditQueueMax: parseInteger(env, 'GATEWAY_AUDIT_QUEUE_MAX', 50_000, 100, 10_000_000),
    watchKeyFiles: parseBoolean(env, 'GATEWAY_WATCH_KEY_FILES', true),
  };
}
