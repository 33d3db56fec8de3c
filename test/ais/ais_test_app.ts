import type { ServerResponse } from 'node:http';
import express, { type Request, type Response } from 'express';
import { buildSandboxBank, readSandboxBankFixture } from '../../src/accounts/sandbox_bank';
import { createAisApi, type AisApiDeps } from '../../src/api/ais_api';
import { setTppIdentity } from '../../src/api/request_context';
import { createLogger } from '../../src/audit/logger';
import { ConsentService } from '../../src/consent/consent_service';
import type { TppIdentity } from '../../src/pki/identity/tpp_identity';
import { loadSandboxBank } from '../../src/store/load_sandbox_bank';
import { openStore, type Store } from '../../src/store/open_store';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from '../store/test_databases';
import { SandboxBankConnector } from '../../src/bank/sandbox_bank_connector';

// Must precede the import of ais_api (jest hoists it): see ref_parser_shim.ts.

export const PUBLIC_URL = 'https://localhost:8443';

function tpp(
  organizationIdentifier: string,
  name: string,
  roles: TppIdentity['roles'],
  thumb: string,
): TppIdentity {
  return {
    organizationIdentifier,
    name,
    roles,
    ncaName: 'Bundesanstalt fuer Finanzdienstleistungsaufsicht',
    ncaId: 'DE-BAFIN',
    thumbprintS256: thumb,
    notAfter: new Date('2030-01-01T00:00:00Z'),
  };
}

/** Stand-ins for what the trust gate derives from the fixture certificates. */
export const TPPS = {
  alice: {
    identity: tpp('PSDDE-BAFIN-111111', 'Bank of Alice', ['PSP_AI', 'PSP_PI'], 'alice-thumb'),
    dnsNames: ['tpp.bank-of-alice.example'],
  },
  carol: {
    identity: tpp('PSDDE-BAFIN-222222', 'Carol Payments', ['PSP_AI'], 'carol-thumb'),
    dnsNames: ['*.carol.example'],
  },
  pisp: {
    identity: tpp('PSDDE-BAFIN-333333', 'Pay Only GmbH', ['PSP_PI'], 'pisp-thumb'),
    dnsNames: ['pay-only.example'],
  },
  piisp: {
    identity: tpp('PSDDE-BAFIN-444444', 'Card Issuer AG', ['PSP_IC'], 'piisp-thumb'),
    dnsNames: ['card-issuer.example'],
  },
} as const;
export type TppName = keyof typeof TPPS;

export const ALICE_REDIRECT = 'https://tpp.bank-of-alice.example/callback';
export const SANDBOX = buildSandboxBank(readSandboxBankFixture());

export interface TestApp {
  app: express.Express;
  store: Store;
  consents: ConsentService;
  database: TestDatabase;
  clock: { now: Date };
  /** Re-open the store and rebuild the app on the same database, as a restarted gateway would. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function createTestApp(
  kind: DatabaseKind = 'sqlite',
  extra: Partial<Pick<AisApiDeps, 'accessCheck' | 'onConsentDeleted'>> = {},
): Promise<TestApp> {
  const database = await createTestDatabase(kind);
  const clock = { now: new Date('2026-11-22T12:00:00Z') };
  const logger = createLogger(process.env.AIS_TEST_LOG === '1' ? 'error' : 'silent');

  const build = async (store: Store) => {
    const bank = new SandboxBankConnector(store.db, { clock: () => clock.now });
    const consents = new ConsentService({
      repository: store.consents,
      accounts: bank,
      clock: () => clock.now,
    });
    const api = await createAisApi({
      consents,
      accounts: bank,
      payments: store.payments,
      logger,
      publicUrl: PUBLIC_URL,
      clock: () => clock.now,
      validateResponses: true,
      tppDnsNames: (res: ServerResponse) => (res as Response).locals.testDnsNames as string[] | undefined,
      ...extra,
    });
    const app = express();
    // What the trust gate does for a validated certificate; the test picks the certificate by header.
    app.use((req: Request, res: Response, next) => {
      const name = req.header('x-test-tpp') as TppName | undefined;
      const chosen = name === undefined ? undefined : TPPS[name];
      if (chosen !== undefined) {
        setTppIdentity(res, chosen.identity);
        res.locals.testDnsNames = [...chosen.dnsNames];
      }
      next();
    });
    app.use(api.router);
    return { app, consents };
  };

  let store: Store;
  let built: Awaited<ReturnType<typeof build>>;
  try {
    store = await openStore(database.url);
    await loadSandboxBank(store.db, SANDBOX);
    built = await build(store);
  } catch (error) {
    // A half-built app must not leave a throwaway database behind.
    await database.drop();
    throw error;
  }
  const testApp: TestApp = {
    app: built.app,
    store,
    consents: built.consents,
    database,
    clock,
    async restart() {
      await store.close();
      store = await openStore(database.url);
      const rebuilt = await build(store);
      testApp.app = rebuilt.app;
      testApp.consents = rebuilt.consents;
      testApp.store = store;
    },
    async close() {
      await store.close();
      await database.drop();
    },
  };
  return testApp;
}

let counter = 0;
/** A fresh X-Request-ID per call. */
export function requestId(): string {
  counter += 1;
  return `00000000-0000-4000-8000-${counter.toString(16).padStart(12, '0')}`;
}

export function account(psuId: string, index: number) {
  const found = SANDBOX.accounts.filter((a) => a.psuId === psuId)[index];
  if (found === undefined) throw new Error(`no account ${index} for ${psuId}`);
  return found;
}
