import type { RequestListener } from 'node:http';
import Database from 'better-sqlite3';
import { Router } from 'express';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import request from 'supertest';
import { createOAuthRouter, OAUTH_BROWSER_PATH_PATTERNS } from '../../src/api/oauth_routes';
import { requireTppIdentity } from '../../src/api/request_context';
import { createApp, PUBLIC_PATHS } from '../../src/app';
import { createLogger } from '../../src/audit/logger';
import { ALICE as ALICE_PROFILE } from '../../src/fixtures/build_client_cases';
import type { ConsentForAuthorisation } from '../../src/oauth/consent_port';
import { OAuthService } from '../../src/oauth/oauth_service';
import { pkce } from '../../src/oauth/pkce';
import { secretToken } from '../../src/oauth/secret_token';
import { ParsedCertificate } from '../../src/pki/certificate/parsed_certificate';
import type { TppIdentity } from '../../src/pki/identity/tpp_identity';
import { TrustStore } from '../../src/pki/path/trust_store';
import { identityFromQwac } from '../../src/pki/qwac/qwac_identity';
import { oauthMigrations } from '../../src/store/oauth_migrations';
import { OAuthRepositoryKysely } from '../../src/store/oauth_repository_kysely';
import type { OAuthTables } from '../../src/store/oauth_schema';
import { TrustedProxies } from '../../src/tls/forwarded_certificate';
import type { PresentedChain } from '../../src/tls/presented_chain';
import { EMPTY_STOP_LIST } from '../helpers/empty_stop_list';
import { connectAs, fixtureChain, injectedChainOf, issueUnderTrent } from '../helpers/injected_chain';
import { testPkiFiles } from '../helpers/test_pki';
import { InMemoryConsents, InMemoryPsuDirectory, SANDBOX_PSUS } from './in_memory_ports';
import type { Logger } from '../../src/audit/logger';
import { SandboxAuthenticator, SandboxOneTimeCodes } from '../../src/sca/sandbox_one_time_codes';
import { KyselyUsedOneTimeCodes } from '../../src/store/kysely_used_one_time_codes';
import { SignInLimiter } from '../../src/sca/sign_in_limiter';
import { KyselySignInAttemptRepository } from '../../src/store/kysely_sign_in_attempt_repository';

/** The PSUs' authenticators; the sign-in form takes the username, so the seeds are keyed by it. */
export const SANDBOX_CODES = new SandboxAuthenticator(
  SANDBOX_PSUS.map((p) => ({ psuId: p.username, totpSeed: p.totpSeed })),
);

/** The gateway's check of those codes, each accepted once (remembered in `db`). */
export function sandboxSecondFactor(db: Kysely<OAuthTables>): SandboxOneTimeCodes {
  return new SandboxOneTimeCodes(SANDBOX_CODES, new KyselyUsedOneTimeCodes(db));
}

/** Sign-in form fields for a sandbox PSU, with the one-time code their authenticator shows now for the consent. */
export function credentials(
  t: { clock: TestClock },
  consent: Pick<ConsentForAuthorisation, 'consentId'>,
  username: 'petra' | 'paul' = 'petra',
): { username: string; password: string; otp: string } {
  const psu = SANDBOX_PSUS.find((p) => p.username === username);
  if (psu === undefined) throw new Error(`no PSU ${username}`);
  const otp = SANDBOX_CODES.codeFor(
    username,
    { kind: 'consent', consentId: consent.consentId },
    t.clock.now(),
  );
  return { username, password: psu.password, otp };
}

export const PUBLIC_URL = 'https://gateway.test';
export const ALICE_REDIRECT = 'https://alice.example/callback';
export const CAROL_REDIRECT = 'https://carol.example/cb';

/**
 * The certificate chains the TPPs present, by the name the tests use: the run's fixture QWACs, and
 * Alice's renewed QWAC (same organisation, another certificate), issued by Trent when the app is built.
 */
const CHAINS: Record<string, PresentedChain> = {
  alice: fixtureChain('alice'),
  carol: fixtureChain('carol'),
};

/** What the trust gate reads from a chain's leaf (the QWAC profile), for the tests' expectations. */
function identityOf(chain: PresentedChain): TppIdentity {
  const read = identityFromQwac(ParsedCertificate.parse(chain.leaf));
  if (!read.ok) throw new Error(`fixture QWAC refused: ${read.reason}`);
  return read.identity;
}

export const ALICE = identityOf(CHAINS.alice as PresentedChain);
export const CAROL = identityOf(CHAINS.carol as PresentedChain);

/** An injectable clock the tests move forward. */
export class TestClock {
  private t = Date.parse('2030-01-15T10:00:00Z');
  now = (): Date => new Date(this.t);
  advance(seconds: number): void {
    this.t += seconds * 1000;
  }
}

export interface TestApp {
  /** createApp with the real trust gate; the chain each connection presents is injected (see `as`). */
  app: RequestListener;
  service: OAuthService;
  consents: InMemoryConsents;
  clock: TestClock;
  db: Kysely<OAuthTables>;
  close(): Promise<void>;
}

export async function createTestApp(options: { logger?: Logger } = {}): Promise<TestApp> {
  const db = new Kysely<OAuthTables>({ dialect: new SqliteDialect({ database: new Database(':memory:') }) });
  const migrator = new Migrator({ db, provider: { getMigrations: async () => oauthMigrations } });
  const { error } = await migrator.migrateToLatest();
  if (error !== undefined) throw error;

  const clock = new TestClock();
  const consents = new InMemoryConsents();
  const service = new OAuthService({
    repository: new OAuthRepositoryKysely(db),
    consents,
    psus: new InMemoryPsuDirectory(SANDBOX_PSUS),
    secondFactor: sandboxSecondFactor(db),
    signInLimiter: new SignInLimiter(new KyselySignInAttemptRepository(db)),
    stopList: EMPTY_STOP_LIST,
    options: { issuer: PUBLIC_URL },
    now: clock.now,
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
  });

  CHAINS['alice-renewed'] ??= await issueUnderTrent(ALICE_PROFILE);

  const logger = createLogger('silent');
  const files = testPkiFiles();
  const trustStore = await TrustStore.load({ anchorFile: files.anchor, crlFiles: files.crls, logger });
  // An AIS read as the integrator wires it.
  const reads = Router();
  reads.get('/v1/accounts', async (req, res, next) => {
    try {
      const { consentId } = await service.verifyAccessToken({
        authorization: req.header('authorization'),
        consentIdHeader: req.header('consent-id'),
        presenter: requireTppIdentity(res),
      });
      res.json({ consentId, accounts: [] });
    } catch (error) {
      next(error);
    }
  });
  const app = createApp({
    logger,
    verifier: trustStore.verifier,
    trustedProxies: new TrustedProxies([]),
    routers: [
      createOAuthRouter({
        service,
        publicUrl: PUBLIC_URL,
        ...(options.logger !== undefined ? { logger: options.logger } : {}),
      }),
      reads,
    ],
    publicPaths: [...PUBLIC_PATHS, ...OAUTH_BROWSER_PATH_PATTERNS],
    stopList: EMPTY_STOP_LIST,
    tlsChainOf: injectedChainOf,
  });

  return { app, service, consents, clock, db, close: () => db.destroy() };
}

let consentCounter = 0;

export function aliceConsent(overrides: Partial<ConsentForAuthorisation> = {}): ConsentForAuthorisation {
  consentCounter += 1;
  return {
    consentId: `consent-${consentCounter}-${secretToken.generate().slice(0, 8)}`,
    status: 'received',
    tppOrganizationIdentifier: ALICE.organizationIdentifier,
    tppName: ALICE.name,
    tppNcaName: ALICE.ncaName,
    tppNcaId: ALICE.ncaId,
    tppCertificateThumbprint: ALICE.thumbprintS256,
    tppRedirectUri: ALICE_REDIRECT,
    access: {
      accounts: ['DE89370400440532013000'],
      balances: ['DE89370400440532013000'],
      transactions: ['DE89370400440532013000'],
    },
    validUntil: '2030-06-30',
    frequencyPerDay: 4,
    recurringIndicator: true,
    ...overrides,
  };
}

export interface PkcePair {
  verifier: string;
  challenge: string;
}

export function newPkce(): PkcePair {
  const verifier = secretToken.generate();
  return { verifier, challenge: pkce.s256(verifier) };
}

export function authorizeQuery(
  consent: ConsentForAuthorisation,
  pair: PkcePair,
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    response_type: 'code',
    client_id: consent.tppOrganizationIdentifier,
    redirect_uri: consent.tppRedirectUri,
    scope: `AIS:${consent.consentId}`,
    state: 'state-xyz',
    code_challenge: pair.challenge,
    code_challenge_method: 'S256',
    ...overrides,
  };
}

export interface PageState {
  cookie: string;
  csrf: string;
}

export function csrfOf(html: string): string {
  const m = /name="csrf_token" value="([^"]+)"/.exec(html);
  if (m?.[1] === undefined) throw new Error('no csrf_token in page');
  return m[1];
}

/** GET /oauth2/authorize; returns the session cookie (name=value) and the CSRF token of the page. */
export async function openAuthorize(app: RequestListener, query: Record<string, string>): Promise<PageState> {
  const res = await request(app).get('/oauth2/authorize').query(query).expect(200);
  const setCookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  const cookie = setCookie[0]?.split(';')[0];
  if (cookie === undefined) throw new Error('no session cookie');
  return { cookie, csrf: csrfOf(res.text) };
}

/**
 * POST /oauth2/authorize. Given the page state, the request carries its cookie and the state follows a
 * renewed session cookie (the gateway issues a new one at sign-in), as a browser's cookie jar would.
 */
export function postForm(
  app: RequestListener,
  session: PageState | string | undefined,
  fields: Record<string, string | string[]>,
) {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(fields))
    for (const item of ([] as string[]).concat(v)) body.append(k, item);
  const req = request(app).post('/oauth2/authorize').type('form');
  const cookie = typeof session === 'string' ? session : session?.cookie;
  if (cookie !== undefined) req.set('Cookie', cookie);
  if (typeof session === 'object') {
    req.on('response', (res: { headers: Record<string, unknown> }) => {
      const renewed = ([] as string[]).concat((res.headers['set-cookie'] as string[] | undefined) ?? [])[0];
      if (renewed !== undefined && !/Expires=Thu, 01 Jan 1970/i.test(renewed)) {
        session.cookie = renewed.split(';')[0] ?? session.cookie;
      }
    });
  }
  return req.send(body.toString());
}

/** The whole browser part: open, sign in as Petra, approve. Returns the authorization code. */
export async function obtainCode(
  t: TestApp,
  consent: ConsentForAuthorisation,
  pair: PkcePair,
): Promise<string> {
  const page = await openAuthorize(t.app, authorizeQuery(consent, pair));
  const signIn = await postForm(t.app, page, {
    csrf_token: page.csrf,
    ...credentials(t, consent),
  }).expect(200);
  const res = await postForm(t.app, page, {
    csrf_token: csrfOf(signIn.text),
    decision: 'approve',
  }).expect(303);
  const location = new URL(String(res.headers.location));
  const code = location.searchParams.get('code');
  if (code === null) throw new Error(`no code in ${location.toString()}`);
  return code;
}

/** supertest on connections presenting `who`'s certificate chain (none for an unknown name). */
export function as(app: RequestListener, who: string | undefined) {
  return connectAs(app, who === undefined ? undefined : CHAINS[who]);
}

export function tokenRequest(app: RequestListener, who: string, fields: Record<string, string>) {
  return as(app, who).post('/oauth2/token').type('form').send(new URLSearchParams(fields).toString());
}

export function exchangeCode(
  app: RequestListener,
  who: string,
  code: string,
  pair: PkcePair,
  overrides: Record<string, string> = {},
) {
  return tokenRequest(app, who, {
    grant_type: 'authorization_code',
    client_id:
      (CHAINS[who] !== undefined ? identityOf(CHAINS[who]).organizationIdentifier : undefined) ?? who,
    code,
    redirect_uri: ALICE_REDIRECT,
    code_verifier: pair.verifier,
    ...overrides,
  });
}

export function readAccounts(
  app: RequestListener,
  who: string,
  accessToken: string | undefined,
  consentId: string | undefined,
) {
  const req = as(app, who).get('/v1/accounts');
  if (accessToken !== undefined) req.set('Authorization', `Bearer ${accessToken}`);
  if (consentId !== undefined) req.set('Consent-ID', consentId);
  return req;
}
