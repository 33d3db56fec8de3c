/**
 * The PSU's authorisation of a payment (scope PIS:<paymentId>) in the OAuth service: the checks before the
 * page, the dynamic link, the debtor account, the decision and the code it buys. The payment store is an
 * in-memory port here; the real one, the bank and Chromium are in test/e2e/payment_browser_gateway.test.ts.
 */
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { AuthorizationPageError, OAuthError } from '../../src/oauth/oauth_error';
import { OAuthService, type SignInResult } from '../../src/oauth/oauth_service';
import type { PaymentApprovalView } from '../../src/oauth/payment_approval_view';
import { paymentSubject } from '../../src/oauth/authorization/payment_subject';
import { SignInLimiter } from '../../src/sca/sign_in_limiter';
import { KyselySignInAttemptRepository } from '../../src/store/kysely_sign_in_attempt_repository';
import type { PaymentAuthorisationPort, PaymentForAuthorisation } from '../../src/oauth/payment_port';
import type { PsuAccount } from '../../src/oauth/consent_port';
import { secretToken } from '../../src/oauth/secret_token';
import { oauthMigrations } from '../../src/store/oauth_migrations';
import { OAuthRepositoryKysely } from '../../src/store/oauth_repository_kysely';
import type { OAuthTables } from '../../src/store/oauth_schema';
import { EMPTY_STOP_LIST } from '../helpers/empty_stop_list';
import { ALICE, CAROL, SANDBOX_CODES, sandboxSecondFactor, TestClock } from './oauth_gateway';
import { InMemoryConsents, InMemoryPsuDirectory, SANDBOX_PSUS } from './in_memory_ports';

const REDIRECT = 'https://alice.example/callback';
const PETRA_GIRO = 'DE89370400440532013000';

class InMemoryPayments implements PaymentAuthorisationPort {
  readonly payments = new Map<string, PaymentForAuthorisation>();
  readonly decisions: { paymentId: string; psuId: string; decision: string; debtorIban?: string }[] = [];

  add(overrides: Partial<PaymentForAuthorisation> = {}): PaymentForAuthorisation {
    const payment: PaymentForAuthorisation = {
      paymentId: `pay-${this.payments.size + 1}`,
      awaitingAuthorisation: true,
      tppOrganizationIdentifier: ALICE.organizationIdentifier,
      tppName: ALICE.name,
      tppNcaName: ALICE.ncaName,
      tppNcaId: ALICE.ncaId,
      tppCertificateThumbprint: ALICE.thumbprintS256,
      tppRedirectUri: REDIRECT,
      instructedAmount: { currency: 'EUR', amount: '42.00' },
      creditorName: 'Bob Builder',
      creditorIban: 'DE75512108001245126199',
      remittanceInformationUnstructured: 'Invoice 4711',
      requestedExecutionDate: undefined,
      standingOrder: undefined,
      debtorIban: PETRA_GIRO,
      ...overrides,
    };
    this.payments.set(payment.paymentId, payment);
    return payment;
  }

  async findForAuthorisation(paymentId: string): Promise<PaymentForAuthorisation | undefined> {
    const p = this.payments.get(paymentId);
    return p === undefined ? undefined : { ...p };
  }

  async debtorAccountsOf(psuId: string): Promise<PsuAccount[]> {
    return SANDBOX_PSUS.find((p) => p.psuId === psuId)?.accounts ?? [];
  }

  async approve(paymentId: string, psuId: string, debtorIban: string) {
    return this.decide(paymentId, psuId, 'approve', debtorIban);
  }

  async reject(paymentId: string, psuId: string) {
    return this.decide(paymentId, psuId, 'reject');
  }

  private decide(paymentId: string, psuId: string, decision: string, debtorIban?: string) {
    const p = this.payments.get(paymentId);
    if (p === undefined || !p.awaitingAuthorisation) return 'notAwaiting' as const;
    p.awaitingAuthorisation = false;
    this.decisions.push({ paymentId, psuId, decision, ...(debtorIban !== undefined ? { debtorIban } : {}) });
    return 'decided' as const;
  }
}

let db: Kysely<OAuthTables>;
let payments: InMemoryPayments;
let service: OAuthService;
let clock: TestClock;

function deps(): Pick<
  ConstructorParameters<typeof OAuthService>[0],
  'secondFactor' | 'signInLimiter' | 'stopList'
> {
  return {
    secondFactor: sandboxSecondFactor(db),
    signInLimiter: new SignInLimiter(new KyselySignInAttemptRepository(db)),
    stopList: EMPTY_STOP_LIST,
  };
}

beforeEach(async () => {
  db = new Kysely<OAuthTables>({ dialect: new SqliteDialect({ database: new Database(':memory:') }) });
  const { error } = await new Migrator({
    db,
    provider: { getMigrations: async () => oauthMigrations },
  }).migrateToLatest();
  if (error !== undefined) throw error;
  payments = new InMemoryPayments();
  clock = new TestClock();
  service = new OAuthService({
    repository: new OAuthRepositoryKysely(db),
    consents: new InMemoryConsents(),
    payments,
    psus: new InMemoryPsuDirectory(SANDBOX_PSUS),
    ...deps(),
    options: { issuer: 'https://gateway.test' },
    now: clock.now,
  });
});
afterEach(async () => {
  await db.destroy();
});

const verifier = 'v'.repeat(64);
const query = (paymentId: string, overrides: Record<string, string> = {}) => ({
  response_type: 'code',
  client_id: ALICE.organizationIdentifier,
  redirect_uri: REDIRECT,
  scope: `PIS:${paymentId}`,
  state: 'st',
  code_challenge: createHash('sha256').update(verifier).digest('base64url'),
  code_challenge_method: 'S256',
  ...overrides,
});

/** Petra's one-time code for this payment: bound to its amount and payee (dynamic linking). */
function paymentCode(payment: PaymentForAuthorisation): string {
  return SANDBOX_CODES.codeFor('petra', paymentSubject(payment), clock.now());
}

async function signInWith(paymentId: string, oneTimeCode: string): Promise<SignInResult> {
  const begun = await service.beginAuthorization(query(paymentId));
  return service.signIn({
    sessionId: begun.sessionId,
    csrfToken: begun.prompt.csrfToken,
    username: 'petra',
    password: 'correct horse battery staple',
    oneTimeCode,
    clientAddress: '192.0.2.10',
  });
}

/** Signed in with the payment-bound code: the session's new id and the payment page. */
async function signedIn(
  paymentId: string,
): Promise<{ sessionId: string; result: { kind: 'payment'; view: PaymentApprovalView } }> {
  const payment = payments.payments.get(paymentId);
  if (payment === undefined) throw new Error(`no payment ${paymentId}`);
  const result = await signInWith(paymentId, paymentCode(payment));
  if (result.kind !== 'signedIn' || result.payment === undefined) throw new Error('no payment page');
  return { sessionId: result.sessionId, result: { kind: 'payment', view: result.payment } };
}

async function pageError(promise: Promise<unknown>): Promise<AuthorizationPageError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AuthorizationPageError);
  return error as AuthorizationPageError;
}

describe('before the page', () => {
  it("another client's payment and an unknown one get the same page", async () => {
    const p = payments.add();
    const foreign = await pageError(
      service.beginAuthorization(query(p.paymentId, { client_id: CAROL.organizationIdentifier })),
    );
    const unknown = await pageError(service.beginAuthorization(query('no-such-payment')));
    expect(foreign.text).toBe(unknown.text);
    expect(foreign.status).toBe(400);
  });

  it.each([
    [
      'a redirect_uri other than the payment’s',
      { tppRedirectUri: REDIRECT },
      { redirect_uri: 'https://alice.example/other' },
    ],
    ['a payment initiated without TPP-Redirect-URI', { tppRedirectUri: undefined }, {}],
    ['a payment no longer awaiting authorisation', { awaitingAuthorisation: false }, {}],
  ])('%s is refused on a page', async (_name, overrides, queryOverrides) => {
    const p = payments.add(overrides);
    await pageError(service.beginAuthorization(query(p.paymentId, queryOverrides)));
  });

  it('the sign-in step carries the payment, so amount and payee are shown before the one-time code', async () => {
    const p = payments.add();
    const begun = await service.beginAuthorization(query(p.paymentId));
    expect(begun.prompt.subject).toEqual({
      kind: 'payment',
      paymentId: p.paymentId,
      amount: '42.00',
      currency: 'EUR',
      creditorName: 'Bob Builder',
      creditorIban: 'DE75512108001245126199',
    });
  });

  it('without a payment port only AIS scopes exist', async () => {
    const aisOnly = new OAuthService({
      repository: new OAuthRepositoryKysely(db),
      consents: new InMemoryConsents(),
      psus: new InMemoryPsuDirectory(SANDBOX_PSUS),
      ...deps(),
      options: { issuer: 'https://gateway.test' },
    });
    const error = await pageError(aisOnly.beginAuthorization(query(payments.add().paymentId)));
    expect(error.text).toBe('The scope must be AIS:<consentId>.');
  });
});

describe('dynamic linking at sign-in', () => {
  it('the plain code (not bound to this payment) does not sign in', async () => {
    const p = payments.add();
    const plain = SANDBOX_CODES.codeFor('petra', { kind: 'consent', consentId: '' }, clock.now());
    const result = await signInWith(p.paymentId, plain);
    expect(result.kind === 'signIn' && result.prompt.error).toBe('credentials');
  });

  it('a code for another amount or another payee does not sign in', async () => {
    const p = payments.add();
    for (const changed of [
      { ...p, instructedAmount: { currency: 'EUR', amount: '42.01' } },
      { ...p, creditorIban: 'DE02120300000000202051' },
      { ...p, creditorName: 'Mallory' },
    ]) {
      const result = await signInWith(p.paymentId, paymentCode(changed));
      expect(result.kind === 'signIn' && result.prompt.error).toBe('credentials');
    }
  });

  it('a payment changed after the code was computed invalidates the code', async () => {
    const p = payments.add();
    const code = paymentCode(p);
    payments.add({ ...p, instructedAmount: { currency: 'EUR', amount: '4200.00' } });
    const result = await signInWith(p.paymentId, code);
    expect(result.kind === 'signIn' && result.prompt.error).toBe('credentials');
  });
});

describe('the decision', () => {
  it('sign-in shows the payment to approve with amount, payee and the dynamic link', async () => {
    const p = payments.add();
    const { result } = await signedIn(p.paymentId);
    expect(result.kind).toBe('payment');
    if (result.kind !== 'payment') return;
    expect(result.view).toMatchObject({
      amount: { currency: 'EUR', amount: '42.00' },
      creditorName: 'Bob Builder',
      creditorIban: 'DE75512108001245126199',
      remittanceInformation: 'Invoice 4711',
      debtor: { kind: 'given', iban: PETRA_GIRO },
    });
    expect(result.view.dynamicLink).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('approve: the port executes from the debtor account; the code buys a PIS token without refresh token, once', async () => {
    const p = payments.add();
    const { sessionId, result } = await signedIn(p.paymentId);
    if (result.kind !== 'payment') throw new Error('no payment page');
    const decided = await service.decide({
      sessionId,
      csrfToken: result.view.csrfToken,
      decision: 'approve',
      accounts: [],
      dynamicLink: result.view.dynamicLink,
    });
    expect(decided.kind).toBe('redirect');
    if (decided.kind !== 'redirect') return;
    expect(payments.decisions).toEqual([
      { paymentId: p.paymentId, psuId: 'psu-1', decision: 'approve', debtorIban: PETRA_GIRO },
    ]);
    const code = new URL(decided.location).searchParams.get('code') as string;
    const form = {
      grant_type: 'authorization_code',
      client_id: ALICE.organizationIdentifier,
      code,
      redirect_uri: REDIRECT,
      code_verifier: verifier,
    };
    const token = await service.token({ client: ALICE, form });
    expect(token).toMatchObject({ token_type: 'Bearer', scope: `PIS:${p.paymentId}` });
    expect(token.refresh_token).toBeUndefined();
    await expect(service.token({ client: ALICE, form })).rejects.toBeInstanceOf(OAuthError);
  });

  it('an approval whose dynamic link does not match the payment is refused and nothing is paid', async () => {
    const p = payments.add();
    const { sessionId, result } = await signedIn(p.paymentId);
    if (result.kind !== 'payment') throw new Error('no payment page');
    const error = await pageError(
      service.decide({
        sessionId,
        csrfToken: result.view.csrfToken,
        decision: 'approve',
        accounts: [],
        dynamicLink: secretToken.generate(),
      }),
    );
    expect(error.text).toMatch(/does not match the payment/);
    expect(payments.decisions).toEqual([]);
  });

  it('a payment from an account that is not the PSU’s cannot be approved', async () => {
    const p = payments.add({ debtorIban: 'DE75512108001245126199' });
    const { sessionId, result } = await signedIn(p.paymentId);
    if (result.kind !== 'payment') throw new Error('no payment page');
    expect(result.view.debtor.kind).toBe('notYours');
    const error = await pageError(
      service.decide({
        sessionId,
        csrfToken: result.view.csrfToken,
        decision: 'approve',
        accounts: [],
        dynamicLink: result.view.dynamicLink,
      }),
    );
    expect(error.status).toBe(403);
    expect(payments.decisions).toEqual([]);
  });

  it('no debtor account named: the PSU must pick exactly one of theirs', async () => {
    const p = payments.add({ debtorIban: undefined });
    const { sessionId, result } = await signedIn(p.paymentId);
    if (result.kind !== 'payment') throw new Error('no payment page');
    expect(result.view.debtor.kind).toBe('choose');
    const base = {
      sessionId,
      csrfToken: result.view.csrfToken,
      decision: 'approve',
      dynamicLink: result.view.dynamicLink,
    };
    const none = await service.decide({ ...base, accounts: [] });
    expect(none.kind === 'payment' && none.view.error).toBe('noAccountSelected');
    await pageError(service.decide({ ...base, accounts: ['DE75512108001245126199'] }));
    await pageError(service.decide({ ...base, accounts: [PETRA_GIRO, 'DE02120300000000202051'] }));
    const picked = await service.decide({ ...base, accounts: [PETRA_GIRO] });
    expect(picked.kind).toBe('redirect');
    expect(payments.decisions[0]?.debtorIban).toBe(PETRA_GIRO);
  });

  it('deny: access_denied to the TPP and the port rejects the payment', async () => {
    const p = payments.add();
    const { sessionId, result } = await signedIn(p.paymentId);
    if (result.kind !== 'payment') throw new Error('no payment page');
    const decided = await service.decide({
      sessionId,
      csrfToken: result.view.csrfToken,
      decision: 'deny',
      accounts: [],
    });
    expect(decided.kind === 'redirect' && new URL(decided.location).searchParams.get('error')).toBe(
      'access_denied',
    );
    expect(payments.decisions).toEqual([{ paymentId: p.paymentId, psuId: 'psu-1', decision: 'reject' }]);
  });
});
