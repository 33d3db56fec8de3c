/**
 * The real gateway (startGateway, configured from GATEWAY_* in the environment) as a child process.
 * argv[2]: JSON listener limit overrides. Prints `gateway-child-port=<port>` on stdout once listening;
 * SIGTERM stops it. Started by gateway_process.ts.
 */
import { startGateway } from '../../src/gateway';

const overrides = JSON.parse(process.argv[2] ?? '{}') as Record<string, number>;

startGateway({ serverLimits: overrides }).then(
  (gateway) => {
    process.stdout.write(`gateway-child-port=${gateway.port}\n`);
    process.once('SIGTERM', () => {
      gateway.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  },
  (error: unknown) => {
    process.stderr.write(`gateway child: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
