#!/usr/bin/env node
/** Process entry: start the gateway from the environment, stop cleanly on signals. */
import { ConfigError } from './config/config';
import { runClustered } from './cluster';
import { startGateway } from './gateway';

async function main(): Promise<void> {
  const gateway = await startGateway();
  const stop = (signal: string) => {
    gateway.logger.info({ event: 'stopping', signal }, 'stopping');
    gateway.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  // Operators push a new CRL and ask for it at once instead of waiting for the poll.
  process.on('SIGHUP', () => gateway.trustStore.reloadRevocation());
}

// GATEWAY_WORKERS=N runs N such processes sharing the port; the default 1 runs main() right here.
runClustered({ env: process.env, runWorker: main }).catch((error: unknown) => {
  const message =
    error instanceof ConfigError ? error.message : error instanceof Error ? error.message : String(error);
  process.stderr.write(`psd2-gateway: cannot start: ${message}\n`);
  process.exit(1);
});
