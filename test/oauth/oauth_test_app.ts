import Database from 'better-sqlite3';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import request from 'supertest';
import { createOAuthRouter } from '../../src/api/oauth_routes';
import { requireTppIdentity, setTppIdentity } from '../../src/api/request_context';
import { GatewayError } from '../../src/errors/gateway_error';
import { toTppMessages } from '../../src/errors/tpp_messages';
import type { ConsentForAuthorisation } from '../../src/oauth/consent_port';
import { OAuthService } from '../../src/oauth/oauth_service';
import { pkce } from '../../src/oauth/pkce';
import { secretToken } from '../../src/oauth/secret_token';
import type { TppIdentity } from '../../src/pki/identity/tpp_identity';
import { oauthMigrations } from '../../src/store/oauth_migrations';
import { OAuthRepositoryKysely } from '../../src/store/oauth_repository_kysely';
import type { OAuthTables } from '../../src/store/oauth_schema';
import type { Logger } from '../../src/audit/logger';
import { SandboxOneTimeCodes } from '../../src/sca/sandbox_one_time_codes';
import { SignInLimiter } from '../../src/sca/sign_in_limiter';
import { KyselySignInAttemptRepository } from '../../src/store/kysely_sign_in_attempt_repository';
import { InMemoryConsents, InMemoryPsuDirectory, SANDBOX_PSUS } from './in_memory_ports';

/** The PSUs' authenticators; the sign-in form takes the username, so the seeds are keyed by it. */
export const SANDBOX_CODES = new SandboxOneTimeCodes(
  SANDBOX_PSUS.map((p) => ({ psuId: p.username, totpSeed: p.totpSeed })),
);

/** Sign-in form fields for a sandbox PSU, with the one-time code their authenticator shows now. */
export function credentials(
  t: { clock: TestClock },
  username: 'petra' | 'paul' = 'petra',
): { username: string; password: string; otp: string } {
  const psu = SANDBOX_PSUS.find((p) => p.username === username);
  if (psu === undefined) throw new Error(`no PSU ${username}`);
  const otp = SANDBOX_CODES.codeFor(username, { kind: 'consent', consentId: '' }, t.clock.now());
  return { username, password: psu.password, otp };
}

export const PUBLIC_URL = 'https://gateway.test';
export const ALICE_REDIRECT = 'https://alice.example/callback';
export const CAROL_REDIRECT = 'https://carol.example/cb';

function identity(organizationIdentifier: string, name: string, ncaName: string, ncaId: string): TppIdentity {
  return {
    organizationIdentifier,
    name,
    roles: ['PSP_AI'],
    ncaName,
    ncaId,
    // Stands in for base64url(SHA-256(leaf DER)): distinct per certificate, which is all the binding needs.
    thumbprintS256: secretToken.hash(`${organizationIdentifier}:${Math.random()}`),
    notAfter: new Date(Date.now() + 365 * 24 * 3600 * 1000),
  };
}

export const ALICE = identity(
  'PSDDE-BAFIN-111111',
  'Bank of Alice',
  'Federal Financial Supervisory Authority',
  'DE-BAFIN',
);
/** Alice after renewing her QWAC: same organisation, different certificate. */
export const ALICE_RENEWED: TppIdentity = { ...ALICE, thumbprintS256: secretToken.hash('alice renewed') };
export const CAROL = identity(
  'PSDFR-ACPR-222222',
  'Carol Payments',
  'Autorité de contrôle prudentiel et de résolution',
  'FR-ACPR',
);
const IDENTITIES: Record<string, TppIdentity> = {
  alice: ALICE,
  'alice-renewed': ALICE_RENEWED,
  carol: CAROL,
};

/** An injectable clock the tests move forward. */
export class TestClock {
  private t = Date.parse('2030-01-15T10:00:00Z');
  now = (): Date => new Date(this.t);
  advance(seconds: number): void {
    this.t += seconds * 1000;
  }
}

export interface TestApp {
  app: Express;
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
    secondFactor: SANDBOX_CODES,
    signInLimiter: new SignInLimiter(new KyselySignInAttemptRepository(db)),
    options: { issuer: PUBLIC_URL },
    now: clock.now,
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
  });

  const app = express();
  // Stands in for the trust gate: the TLS layer would put the validated identity here.
  app.use((req: Request, res: Response, next: NextFunction) => {
    const who = req.header('x-test-tpp');
    const tpp = who === undefined ? undefined : IDENTITIES[who];
    if (tpp !== undefined) setTppIdentity(res, tpp);
    next();
  });
  app.use(
    createOAuthRouter({
      service,
      publicUrl: PUBLIC_URL,
      ...(options.logger !== undefined ? { logger: options.logger } : {}),
    }),
  );
  // An AIS read as the integrator wires it.
  app.get('/v1/accounts', async (req, res, next) => {
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
  app.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (!(error instanceof GatewayError)) return next(error);
    res.status(error.status).json(toTppMessages(error));
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
export async function openAuthorize(app: Express, query: Record<string, string>): Promise<PageState> {
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
  app: Express,
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
    ...credentials(t),
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

export function tokenRequest(app: Express, who: string, fields: Record<string, string>) {
  return request(app)
    .post('/oauth2/token')
    .set('x-test-tpp', who)
    .type('form')
    .send(new URLSearchParams(fields).toString());
}

export function exchangeCode(
  app: Express,
  who: string,
  code: string,
  pair: PkcePair,
  overrides: Record<string, string> = {},
) {
  return tokenRequest(app, who, {
    grant_type: 'authorization_code',
    client_id: IDENTITIES[who]?.organizationIdentifier ?? who,
    code,
    redirect_uri: ALICE_REDIRECT,
    code_verifier: pair.verifier,
    ...overrides,
  });
}

export function readAccounts(
  app: Express,
  who: string,
  accessToken: string | undefined,
  consentId: string | undefined,
) {
  const req = request(app).get('/v1/accounts').set('x-test-tpp', who);
  if (accessToken !== undefined) req.set('Authorization', `Bearer ${accessToken}`);
  if (consentId !== undefined) req.set('Consent-ID', consentId);
  return req;
}
