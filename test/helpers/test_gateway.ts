import type { Env } from '../../src/config/config';
import { startGateway, type RunningGateway } from '../../src/gateway';
import type { ServerLimitOverrides } from '../../src/tls/gateway_server';
import { testPkiFiles } from './test_pki';

/**
 * The real gateway on 127.0.0.1 (a free port), configured only through GATEWAY_* variables with the
 * run's fixture PKI and the given database.
 */
export function startTestGateway(
  databaseUrl: string,
  extraEnv: Env = {},
  serverLimits?: ServerLimitOverrides,
): Promise<RunningGateway> {
  const files = testPkiFiles();
  return startGateway({
    env: {
      GATEWAY_HOST: '127.0.0.1',
      GATEWAY_PORT: '0',
      GATEWAY_TRUST_ANCHOR: files.anchor,
      GATEWAY_TLS_CERT: files.serverChain,
      GATEWAY_TLS_KEY: files.serverKey,
      GATEWAY_CRL: files.crls.join(','),
      GATEWAY_DATABASE_URL: databaseUrl,
      GATEWAY_LOG_LEVEL: 'silent',
      ...extraEnv,
    },
    ...(serverLimits !== undefined ? { serverLimits } : {}),
  });
}
