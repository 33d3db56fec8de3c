import type { Env } from '../../src/config/config';
import { startGateway, type RunningGateway, type StartGatewayParams } from '../../src/gateway';
import { createTestDatabase, type TestDatabase } from '../store/test_databases';
import { testPkiFiles } from './test_pki';

/**
 * The real gateway on 127.0.0.1 (a free port), configured only through GATEWAY_* variables with the
 * run's fixture PKI and the given database.
 */
export function startTestGateway(
  databaseUrl: string,
  extraEnv: Env = {},
  params: Omit<StartGatewayParams, 'env'> = {},
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
    ...params,
  });
}

/**
 * A test gateway on a throwaway SQLite database for the enclosing `describe`: started before its tests,
 * closed and dropped after them. `gateway()` is valid inside the tests.
 */
export function useSqliteTestGateway(params: Omit<StartGatewayParams, 'env'> = {}): () => RunningGateway {
  let database: TestDatabase | undefined;
  let gateway: RunningGateway | undefined;
  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    gateway = await startTestGateway(database.url, {}, params);
  });
  afterAll(async () => {
    await gateway?.close();
    await database?.drop();
  });
  return () => {
    if (gateway === undefined) throw new Error('the test gateway starts in beforeAll');
    return gateway;
  };
}
