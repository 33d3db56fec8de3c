import type { RequestListener } from 'node:http';
import { buildSandboxBank, readSandboxBankFixture } from '../../src/accounts/sandbox_bank';
import { createLogger } from '../../src/audit/logger';
import { SandboxBankConnector } from '../../src/bank/sandbox_bank_connector';
import { loadOperationsConfig } from '../../src/config/operations_config';
import type { ConsentService } from '../../src/consent/consent_service';
import { assembleGateway } from '../../src/gateway';
import { pkce } from '../../src/oauth/pkce';
import { GatewayMetrics } from '../../src/ops/gateway_metrics';
import { GatewayOperations } from '../../src/ops/gateway_operations';
import { secretToken } from '../../src/oauth/secret_token';
import type { TppIdentity } from '../../src/pki/identity/tpp_identity';
import { TrustStore } from '../../src/pki/path/trust_store';
import { KyselyTppStopList } from '../../src/store/kysely_tpp_stop_list';
import { loadSandboxBank } from '../../src/store/load_sandbox_bank';
import { openStore, type Store } from '../../src/store/open_store';
import { TrustedProxies } from '../../src/tls/forwarded_certificate';
import { StopListView } from '../../src/tpp/stop_list';
import type { PresentedChain } from '../../src/tls/presented_chain';
import { CAROL, type TppProfile } from '../../src/fixtures/build_client_cases';
import { psd2Role } from '../../src/fixtures/encode_qc_statements';
import { connectAs, fixtureChain, injectedChainOf, issueUnderTrent } from '../helpers/injected_chain';
import { consentCode } from '../helpers/sandbox_psu';
import { testPkiFiles } from '../helpers/test_pki';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from '../store/test_databases';

export const PUBLIC_URL = 'https://localhost:8443';

/** The fixture client certificates the AIS tests present, by the name the tests use. */
export const TPP_CASES = { alice: 'alice', carol: 'carol', pisp: 'psp-pi-only' } as const;
/** `piisp`: a card-issuing TPP (PSP_IC only), which no fixture case is; issued by Trent per gateway. */
export type TppName = keyof typeof TPP_CASES | 'piisp';

export const PIISP_PROFILE: TppProfile = {
  ...CAROL,
  organization: 'Card Issuer AG',
  organizationIdentifier: 'PSDDE-BAFIN-444444',
  commonName: 'api.card-issuer.example',
  dnsName: 'api.card-issuer.example',
  roles: [psd2Role('PSP_IC')],
  ncaName: 'Federal Financial Supervisory Authority',
  ncaId: 'DE-BAFIN',
};

/** A host Alice's QWAC names in its subjectAltName, as the TPP-Redirect-URI rule requires. */
export const ALICE_REDIRECT = 'https://api.bank-of-alice.example/callback';
export const SANDBOX = buildSandboxBank(readSandboxBankFixture());

export interface AisGateway {
  /** The gateway's request listener, as `startGateway` wires it, with the chain injected per connection. */
  app: RequestListener;
  store: Store;
  consents: ConsentService;
  database: TestDatabase;
  /** The clock of consents and reads. Certificates and token lifetimes run on the real time. */
  clock: { now: Date };
  /** The chain the TPP presents. */
  chainOf(tpp: TppName): PresentedChain;
  /** supertest on connections presenting the TPP's fixture certificate (or this chain); undefined: none. */
  as(tpp: TppName | PresentedChain | undefined): ReturnType<typeof connectAs>;
  /** What the trust gate makes of the TPP's certificate. */
  identity(tpp: TppName): Promise<TppIdentity>;
  /**
   * The PSU approves the consent on the gateway's OAuth pages (granting `accounts`, for consents that
   * let the PSU choose) and the TPP redeems the code: returns the access token, bound to its certificate.
   */
  authorise(consentId: string, psu: string, params?: { tpp?: TppName; accounts?: string[] }): Promise<string>;
  /** Re-open the store and rebuild the app on the same database, as a restarted gateway would. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

let piispChain: PresentedChain | undefined;

export async function startAisGateway(kind: DatabaseKind = 'sqlite'): Promise<AisGateway> {
  const database = await createTestDatabase(kind);
  const clock = { now: new Date('2026-11-22T12:00:00Z') };
  const logger = createLogger(process.env.AIS_TEST_LOG === '1' ? 'error' : 'silent');
  const files = testPkiFiles();
  const trustStore = await TrustStore.load({ anchorFile: files.anchor, crlFiles: files.crls, logger });

  // Everything startGateway plugs in, on the test's store: the sandbox bank behind the BankConnector port
  // (on the test clock), the stop list, the audit trail, metrics and statistics. No request signatures:
  // test/signature drives the gateway that requires them.
  const build = async (store: Store) => {
    const bank = new SandboxBankConnector(store.db, { clock: () => clock.now });
    const stopList = new StopListView(new KyselyTppStopList(store.db), { logger });
    await stopList.load();
    const operations = new GatewayOperations({
      config: loadOperationsConfig({}),
      logger,
      metrics: new GatewayMetrics(),
      store,
      trustStore,
    });
    const assembled = await assembleGateway({
      store,
      logger,
      publicUrl: PUBLIC_URL,
      verifier: trustStore.verifier,
      trustedProxies: new TrustedProxies([]),
      bank: { connector: bank, signIn: bank },
      stopList,
      operations,
      requestSignatures: 'not-required',
      clock: () => clock.now,
      tlsChainOf: injectedChainOf,
      validateResponses: true,
    });
    return { ...assembled, operations };
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
  // Writes the audit queue and the statistics before the store closes, as the gateway's drain does.
  const shutDown = async () => {
    await built.operations.drain(0);
    await built.paymentResend.close();
    await store.close();
  };

  piispChain ??= await issueUnderTrent(PIISP_PROFILE);
  const piisp = piispChain;
  const chainOf = (tpp: TppName): PresentedChain => (tpp === 'piisp' ? piisp : fixtureChain(TPP_CASES[tpp]));
  const as = (tpp: TppName | PresentedChain | undefined) =>
    connectAs(gateway.app, typeof tpp === 'string' ? chainOf(tpp) : tpp);

  const gateway: AisGateway = {
    app: built.app,
    store,
    consents: built.consents,
    database,
    clock,
    chainOf,
    as,
    async identity(tpp) {
      const chain = chainOf(tpp);
      const verdict = await trustStore.verifier.verify(chain, new Date());
      if (!verdict.ok) throw new Error(`fixture ${tpp} refused: ${verdict.reason}`);
      return verdict.identity;
    },
    async authorise(consentId, psuId, params = {}) {
      const tpp = params.tpp ?? 'alice';
      const psu = SANDBOX.psus.find((p) => p.psuId === psuId);
      if (psu === undefined) throw new Error(`no sandbox PSU ${psuId}`);
      const { organizationIdentifier } = await gateway.identity(tpp);
      const consent = await gateway.consents.findById(consentId);
      if (consent === undefined) throw new Error(`no consent ${consentId}`);
      const verifier = secretToken.generate();
      const browser = as(undefined);
      const page = await browser.get('/oauth2/authorize').query({
        response_type: 'code',
        client_id: organizationIdentifier,
        redirect_uri: consent.tppRedirectUri,
        scope: `AIS:${consentId}`,
        state: 'test',
        code_challenge: pkce.s256(verifier),
        code_challenge_method: 'S256',
      });
      if (page.status !== 200) throw new Error(`authorize page: ${page.status} ${page.text}`);
      const cookieOf = (res: { headers: Record<string, unknown> }) =>
        String(([] as string[]).concat((res.headers['set-cookie'] as string[] | undefined) ?? [])[0]).split(
          ';',
        )[0] ?? '';
      // The session cookie is renewed at sign-in, as a browser's cookie jar would follow it.
      let cookie = cookieOf(page);
      const post = async (fields: [string, string][]) => {
        const res = await as(undefined)
          .post('/oauth2/authorize')
          .set('Cookie', cookie)
          .type('form')
          .send(new URLSearchParams(fields).toString());
        if (res.status >= 400) throw new Error(`authorize form: ${res.status} ${res.text}`);
        return res;
      };
      const csrfOf = (html: string) => /name="csrf_token" value="([^"]+)"/.exec(html)?.[1] ?? '';
      const signedIn = await post([
        ['csrf_token', csrfOf(page.text)],
        ['username', psu.psuId],
        ['password', psu.password],
        ['otp', consentCode(psu.psuId, consentId)],
      ]);
      cookie = cookieOf(signedIn);
      const decided = await post([
        ['csrf_token', csrfOf(signedIn.text)],
        ['decision', 'approve'],
        ...(params.accounts ?? []).map((iban): [string, string] => ['accounts', iban]),
      ]);
      const code = new URL(String(decided.headers.location)).searchParams.get('code');
      if (code === null) throw new Error(`no code: ${decided.status} ${String(decided.headers.location)}`);
      const token = await as(tpp)
        .post('/oauth2/token')
        .type('form')
        .send(
          new URLSearchParams({
            grant_type: 'authorization_code',
            client_id: organizationIdentifier,
            code,
            redirect_uri: consent.tppRedirectUri,
            code_verifier: verifier,
          }).toString(),
        );
      if (token.status !== 200) throw new Error(`token: ${token.status} ${token.text}`);
      return (token.body as { access_token: string }).access_token;
    },
    async restart() {
      await shutDown();
      store = await openStore(database.url);
      built = await build(store);
      gateway.app = built.app;
      gateway.consents = built.consents;
      gateway.store = store;
    },
    async close() {
      await shutDown();
      await database.drop();
    },
  };
  return gateway;
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

/** Alice's consent to Anna's first account (details only), awaiting the PSU; its id. */
export async function annaAccountConsent(t: Pick<AisGateway, 'as'>): Promise<string> {
  const res = await t
    .as('alice')
    .post('/v1/consents')
    .set('X-Request-ID', requestId())
    .set('TPP-Redirect-URI', ALICE_REDIRECT)
    .send({
      access: { accounts: [{ iban: account('anna', 0).iban }] },
      recurringIndicator: true,
      validUntil: '2027-02-20',
      frequencyPerDay: 4,
      combinedServiceIndicator: false,
    });
  if (res.status !== 201) throw new Error(`consent: ${res.status} ${res.text}`);
  return (res.body as { consentId: string }).consentId;
}
