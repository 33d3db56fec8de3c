#!/usr/bin/env node
/** Process entry: start the gateway from the environment, its admin listener, and handle signals. */
import cluster from 'node:cluster';
import { ConfigError } from './config/config';
import { loadOperationsConfig, type OperationsConfig } from './config/operations_config';
import { runClustered } from './cluster';
import { startGateway } from './gateway';
import { startAdminServer, type AdminServer, type AdminSources } from './ops/admin_server';
import { answerPrimary, clusterAdminSources, localAdminSources } from './ops/admin_sources';

async function startAdmin(config: OperationsConfig, sources: AdminSources): Promise<AdminServer> {
  try {
    return await startAdminServer(config.adminHost, config.adminPort, sources);
  } catch (error) {
    throw new ConfigError(
      'GATEWAY_ADMIN_PORT',
      `cannot listen on ${config.adminHost}:${config.adminPort}: ${(error as Error).message}`,
    );
  }
}

async function main(): Promise<void> {
  const operationsConfig = loadOperationsConfig(process.env);
  const gateway = await startGateway();
  const { operations, logger } = gateway;
  let admin: AdminServer | undefined;
  // With several workers the primary owns the admin listener and asks the workers.
  if (cluster.isWorker) answerPrimary(operations);
  else {
    admin = await startAdmin(operationsConfig, localAdminSources(operations));
    logger.info({ event: 'admin_listening', url: admin.url }, `admin listener on ${admin.url}`);
  }
  const stop = (signal: string) => {
    logger.info({ event: 'stopping', signal }, 'stopping');
    gateway
      .close()
      .then(() => admin?.close())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  // Rotation: new certificate, key, anchor or CRLs without a restart (see README "Rotating key material").
  process.on('SIGHUP', () => void operations.reloadKeyMaterial('SIGHUP'));
}

const operationsConfig = loadOperationsConfig(process.env);
let primarySources: ReturnType<typeof clusterAdminSources> | undefined;

// GATEWAY_WORKERS=N runs N such processes sharing the port; the default 1 runs main() right here.
runClustered({
  env: process.env,
  runWorker: main,
  // Workers drain for the grace period; the primary waits a little longer before it kills them.
  stopGraceMs: (operationsConfig.shutdownGraceSeconds + 5) * 1000,
  onStop: () => primarySources?.startDraining(),
  onListening: () => {
    primarySources = clusterAdminSources();
    startAdmin(operationsConfig, primarySources).then(
      (admin) => process.stderr.write(`psd2-gateway primary: admin listener on ${admin.url}\n`),
      (error: unknown) => {
        process.stderr.write(`psd2-gateway: cannot start: ${(error as Error).message}\n`);
        process.kill(process.pid, 'SIGTERM');
      },
    );
  },
}).catch((error: unknown) => {
  const message =
    error instanceof ConfigError ? error.message : error instanceof Error ? error.message : String(error);
  process.stderr.write(`psd2-gateway: cannot start: ${message}\n`);
  process.exit(1);
});
