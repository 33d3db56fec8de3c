import type { SignInParams } from '../oauth/authorization/sign_in';
import { strongSignIn, type StrongSignInDeps } from '../oauth/authorization/strong_sign_in';
import { secretToken } from '../oauth/secret_token';

/**
 * The PSU's own page of every consent they gave to any TPP, with a withdraw button each. The PSU signs in
 * with the same strong authentication as on the authorisation page; withdrawing makes the consent
 * `revokedByPsu` and ends its tokens at once. No express here: src/api/psu_dashboard_routes.ts adapts it.
 *
 * Nothing is stored before sign-in: anyone may open the page, so a session row per visit would let
 * anyone fill the store. Until then the cookie holds a random value the gateway keeps nowhere, and the
 * sign-in form's CSRF token is derived from it (a double-submit check: a page elsewhere can neither read
 * nor set the `__Host-` cookie). The session row is written once the PSU has signed in.
 */

export interface PsuConsentSummary {
  consentId: string;
  status: string;
  tppName: string;
  /** The TPP's licence number (organizationIdentifier from its QWAC). */
  tppOrganizationIdentifier: string;
  tppNcaName: string;
  /** Granted access per IBAN; empty with `listOnly` for an account-list-only consent. */
  accounts: { iban: string; balances: boolean; transactions: boolean }[];
  listOnly: boolean;
  validUntil: string;
  frequencyPerDay: number;
  recurringIndicator: boolean;
  /** YYYY-MM-DD of the last read counted against frequencyPerDay, if any. */
  lastUsedDay: string | undefined;
  givenOn: string;
}

/** The consent store as the dashboard sees it. */
export interface PsuConsentPort {
  consentsOfPsu(psuId: string): Promise<PsuConsentSummary[]>;
  /** valid → revokedByPsu, only for the PSU's own consent; false when it was not theirs or not valid. */
  withdraw(consentId: string, psuId: string): Promise<boolean>;
}

export interface DashboardSession {
  idHash: string;
  csrfToken: string;
  psuId: string | null;
  psuName: string | null;
  expiresAt: Date;
}

/** Signed-in sessions only; expired rows are also removed by the store's sweep (src/store/expired_rows.ts). */
export interface DashboardSessionStore {
  create(session: DashboardSession): Promise<void>;
  find(idHash: string): Promise<DashboardSession | undefined>;
  delete(idHash: string): Promise<void>;
}

/** The sign-in form's CSRF token for a browser whose cookie holds `id` and no session. */
function signInCsrfToken(id: string): string {
  return secretToken.hash(`psd2-gateway dashboard sign-in\n${id}`);
}

export interface ConsentDashboardDeps extends StrongSignInDeps {
  sessions: DashboardSessionStore;
  consents: PsuConsentPort;
  /** Ends every token of a consent (OAuthService.revokeTokensForConsent). */
  revokeTokens(consentId: string): Promise<void>;
  sessionTtlSeconds?: number;
}

export type DashboardPage =
  | {
      kind: 'signIn';
      csrfToken: string;
      error?: 'credentials' | 'locked' | 'expired';
      retryAfterMinutes?: number;
    }
  | {
      kind: 'consents';
      csrfToken: string;
      psuName: string;
      consents: PsuConsentSummary[];
      withdrawn?: string;
    };

export interface DashboardAnswer {
  page: DashboardPage;
  /** Set when the browser must store a new session cookie. */
  newSession?: { id: string; ttlSeconds: number };
}

export class ConsentDashboard {
  private readonly ttl: number;

  constructor(private readonly deps: ConsentDashboardDeps) {
    this.ttl = deps.sessionTtlSeconds ?? 900;
  }

  /** `GET /psu/consents`: the overview when signed in, else a sign-in form (nothing stored). */
  async open(sessionId: string | undefined, withdrawn?: string): Promise<DashboardAnswer> {
    return (await this.signedIn(sessionId, withdrawn)) ?? this.freshSignIn();
  }

  /** The overview when the session is signed in, else undefined. */
  async signedIn(sessionId: string | undefined, withdrawn?: string): Promise<DashboardAnswer | undefined> {
    const session = await this.session(sessionId);
    return session?.psuId != null ? { page: await this.overview(session, withdrawn) } : undefined;
  }

  /** `POST /psu/consents/sign-in`: the form's token must be the one derived from the browser's cookie. */
  async signIn(params: SignInParams): Promise<DashboardAnswer> {
    const id = params.sessionId ?? '';
    const csrfToken = signInCsrfToken(id);
    if (id === '' || params.csrfToken === undefined || !secretToken.equals(params.csrfToken, csrfToken)) {
      return this.freshSignIn('expired');
    }
    const outcome = await strongSignIn(this.deps, { ...params, subject: { kind: 'consentDashboard' } });
    if (!outcome.ok) {
      return {
        page: {
          kind: 'signIn',
          csrfToken,
          error: outcome.error,
          ...(outcome.error === 'locked' ? { retryAfterMinutes: outcome.retryAfterMinutes } : {}),
        },
      };
    }
    return this.startSignedIn(id, outcome.psu);
  }

  /**
   * The bank's identity provider vouched for the PSU of the browser whose cookie holds `sessionId`
   * (src/psu/idp_sign_in.ts compared it with the one that left).
   */
  async signedInAtIdentityProvider(
    sessionId: string | undefined,
    psu: { psuId: string; name: string },
  ): Promise<DashboardAnswer> {
    return this.startSignedIn(sessionId ?? '', psu);
  }

  /** A cookie value for a sign-in elsewhere (the bank's identity provider); nothing is stored. */
  async startSession(): Promise<{ id: string; ttlSeconds: number }> {
    const answer = await this.freshSignIn();
    if (answer.newSession === undefined) throw new Error('a fresh sign-in always sets a cookie');
    return answer.newSession;
  }

  /**
   * Signed in: the first row of the session, under a new id and CSRF token (so a cookie planted before
   * sign-in is worthless after it), and the overview. A session the cookie still named ends.
   */
  private async startSignedIn(
    previousId: string,
    psu: { psuId: string; name: string },
  ): Promise<DashboardAnswer> {
    if (previousId !== '') await this.deps.sessions.delete(secretToken.hash(previousId));
    const id = secretToken.generate();
    const session: DashboardSession = {
      idHash: secretToken.hash(id),
      csrfToken: secretToken.generate(),
      psuId: psu.psuId,
      psuName: psu.name,
      expiresAt: new Date(this.deps.now().getTime() + this.ttl * 1000),
    };
    await this.deps.sessions.create(session);
    this.deps.logger?.info({ event: 'psu.dashboard_signed_in' });
    return { page: await this.overview(session), newSession: { id, ttlSeconds: this.ttl } };
  }

  /** `POST /psu/consents/withdraw`. */
  async withdraw(params: {
    sessionId: string | undefined;
    csrfToken: string | undefined;
    consentId: string | undefined;
  }): Promise<DashboardAnswer> {
    const session = await this.session(params.sessionId);
    if (session?.psuId == null || !this.csrfMatches(session, params.csrfToken)) {
      return this.freshSignIn('expired');
    }
    const consentId = params.consentId ?? '';
    if (await this.deps.consents.withdraw(consentId, session.psuId)) {
      await this.deps.revokeTokens(consentId);
      this.deps.logger?.info({ event: 'psu.consent_withdrawn', consentId });
    }
    return { page: await this.overview(session, consentId) };
  }

  /** `POST /psu/consents/sign-out`. */
  async signOut(sessionId: string | undefined): Promise<void> {
    if (sessionId !== undefined && sessionId !== '')
      await this.deps.sessions.delete(secretToken.hash(sessionId));
  }

  private csrfMatches(session: DashboardSession, csrfToken: string | undefined): boolean {
    return csrfToken !== undefined && secretToken.equals(csrfToken, session.csrfToken);
  }

  private async session(sessionId: string | undefined): Promise<DashboardSession | undefined> {
    if (sessionId === undefined || sessionId === '') return undefined;
    const session = await this.deps.sessions.find(secretToken.hash(sessionId));
    if (session === undefined) return undefined;
    if (session.expiresAt.getTime() <= this.deps.now().getTime()) {
      await this.deps.sessions.delete(session.idHash);
      return undefined;
    }
    return session;
  }

  /** A sign-in form for a new cookie value; nothing is stored until the PSU has signed in. */
  private freshSignIn(error?: 'expired'): Promise<DashboardAnswer> {
    const id = secretToken.generate();
    return Promise.resolve({
      page: { kind: 'signIn', csrfToken: signInCsrfToken(id), ...(error !== undefined ? { error } : {}) },
      newSession: { id, ttlSeconds: this.ttl },
    });
  }

  private async overview(session: DashboardSession, withdrawn?: string): Promise<DashboardPage> {
    const consents = await this.deps.consents.consentsOfPsu(session.psuId ?? '');
    return {
      kind: 'consents',
      csrfToken: session.csrfToken,
      psuName: session.psuName ?? '',
      consents,
      ...(withdrawn !== undefined && withdrawn !== '' ? { withdrawn } : {}),
    };
  }
}
