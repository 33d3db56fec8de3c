/**
 * Issue 17.5: on PostgreSQL an authenticated AIS read costs the gateway one round trip of its own: the
 * statement that confirms consent and token and counts the read. Every statement the pg driver sends is
 * counted (a wrapper around Client.prototype.query, in this process, where the gateway runs); the embedded
 * sandbox bank's own statements (accounts, balances) are the bank's, not the gateway's.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client } from 'pg';
import { authorisedReadSession, type ReadSession } from '../../src/bench/gateway_session';
import { TppClient } from '../../src/client/tpp_client';
import type { RunningGateway } from '../../src/gateway';
import { READ_ADMISSION_SQL } from '../../src/store/postgres_read_admission';
import { startTestGateway } from '../helpers/test_gateway';
import { clientCredentials, testPkiFiles } from '../helpers/test_pki';
import { createTestDatabase, describeForDatabase, type TestDatabase } from './test_databases';

const statements: string[] = [];
const originalQuery = Client.prototype.query;

function textOf(config: unknown): string {
  if (typeof config === 'string') return config;
  const text = (config as { text?: unknown } | null)?.text;
  return typeof text === 'string' ? text : '';
}

const BANK_TABLES = /\b(accounts|balances|transactions|psus)\b/;
/**
 * Off the request path: the stop list's version row, polled at most once a second whatever the traffic,
 * and the audit trail's and statistics' batch writes (queued, written in one transaction per batch).
 */
const BACKGROUND = /tpp_stop_list_version|audit_|eba_|^(begin|commit)$/;

describeForDatabase('postgres')('PostgreSQL read path', () => {
  let database: TestDatabase;
  let gateway: RunningGateway;
  let session: ReadSession;
  let alice: TppClient;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    gateway = await startTestGateway(database.url);
    const anchorPem = readFileSync(testPkiFiles().anchor).toString();
    const credentials = clientCredentials('alice');
    session = await authorisedReadSession(
      {
        anchorPem,
        alice: { id: 'alice', certChainPem: credentials.cert.toString(), keyPem: credentials.key.toString() },
      },
      gateway.url,
    );
    alice = new TppClient({
      baseUrl: gateway.url,
      anchorPem,
      certChainPem: credentials.cert,
      keyPem: credentials.key,
      serverName: 'localhost',
    });
    // Test instrumentation only: every statement any pg client of this process sends is recorded.
    Client.prototype.query = function (this: Client, ...args: unknown[]) {
      statements.push(textOf(args[0]));
      return (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof Client.prototype.query;
  }, 120_000);

  afterAll(async () => {
    Client.prototype.query = originalQuery;
    await gateway?.close();
    await database?.drop();
  });

  it.each([
    ['the PSU asking (not counted)', true],
    ['a counted read', false],
  ])(
    '%s: one statement of the gateway per read',
    async (_name, psuActive) => {
      const headers: Record<string, string> = { ...session.headers };
      if (!psuActive) delete headers['PSU-IP-Address'];
      // Warm: the consent and token are cached after the first read.
      await alice.request({ path: session.path, headers: { ...headers, 'X-Request-ID': randomUUID() } });
      const reads = psuActive ? 5 : 2;
      statements.length = 0;
      for (let i = 0; i < reads; i++) {
        const res = await alice.request({
          path: session.path,
          headers: { ...headers, 'X-Request-ID': randomUUID() },
        });
        expect(res.status).toBe(200);
      }
      const own = statements.filter((sql) => !BANK_TABLES.test(sql) && !BACKGROUND.test(sql));
      expect(own).toEqual(Array(reads).fill(READ_ADMISSION_SQL));
    },
    60_000,
  );
});
