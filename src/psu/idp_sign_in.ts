import type { Logger } from '../audit/logger';
import type { PsuIdentityProviderConfig } from '../config/psu_identity_provider_config';
import { secretToken } from '../oauth/secret_token';
import { authorizationDetails, type AuthorisationSubject } from '../sca/authorisation_subject';
import { IdpFailure, type IdpFailureReason, type PsuIdentityProvider } from './psu_identity_provider';

/** Which page sent the PSU to the provider, and so which session the return signs in. */
export type IdpSignInPurpose = 'authorize' | 'dashboard';

/** A round trip to the provider in flight; found by its state's hash and used once. */
export interface PendingIdpSignIn {
  stateHash: string;
  nonce: string;
  codeVerifier: string;
  purpose: IdpSignInPurpose;
  /** The hash of the browser's session id: the return must come from the browser that left. */
  sessionHash: string;
  /** When the browser was sent to the provider: the PSU must have authenticated since. */
  startedAt: Date;
  expiresAt: Date;
}

export interface PendingIdpSignInStore {
  save(pending: PendingIdpSignIn): Promise<void>;
  /** Removes and returns it, atomically: a second return with the same state finds nothing. */
  take(stateHash: string): Promise<PendingIdpSignIn | undefined>;
}

export interface IdpSignInDeps {
  provider: PsuIdentityProvider;
  pending: PendingIdpSignInStore;
  policy: Pick<PsuIdentityProviderConfig, 'acrValues' | 'evidence' | 'amrCombinations' | 'psuIdClaim'>;
  now: () => Date;
  logger: Logger | undefined;
  /** How long the PSU may take at the provider. Default 600. */
  ttlSeconds?: number;
}

/**
 * Why a return was refused. On top of the provider's own failures: `replayed` (state unknown, used or
 * expired), `otherBrowser` (the session cookie is not the one that left), `notStrong` (the ID token does
 * not show two factors), `notFresh` (its auth_time is missing or older than this sign-in: an earlier
 * session at the provider), `noPsuId` (the configured claim is missing).
 */
export type IdpSignInRefusal =
  IdpFailureReason | 'replayed' | 'otherBrowser' | 'notStrong' | 'notFresh' | 'noPsuId';

/**
 * How far the provider's clock may run behind ours when its auth_time is compared with the moment the
 * browser left: well above the drift of hosts that keep synchronised time (RTS Art. 29), far below the
 * hours a single sign-on session at the provider lasts.
 */
export const AUTH_TIME_SKEW_SECONDS = 30;

export type IdpSignInOutcome =
  | { ok: true; purpose: IdpSignInPurpose; psu: { psuId: string; name: string } }
  | { ok: false; purpose: IdpSignInPurpose | undefined; refusal: IdpSignInRefusal };

/**
 * The PSU's sign-in at the bank's identity provider, for the authorisation page and the consent
 * dashboard: the state, nonce and PKCE verifier wait in the store (several instances share it), the
 * return is accepted once, from the same browser, and only with strong customer authentication shown in
 * the ID token as configured (acr, or an accepted combination of methods in amr), performed for this
 * sign-in: the provider is asked to authenticate afresh (prompt=login, max_age=0) and the ID token's
 * auth_time must not precede the moment the browser was sent there. An earlier session at the provider
 * authorises nothing here, since every sign-in here authorises something (PSD2 Art. 97(1)).
 */
export class IdpSignIn {
  constructor(private readonly deps: IdpSignInDeps) {}

  /** The provider's URL for this browser's session; throws IdpFailure when the provider is unreachable. */
  async start(purpose: IdpSignInPurpose, sessionId: string, subject: AuthorisationSubject): Promise<string> {
    const request = await this.deps.provider.authorizationRequest({
      authorizationDetails: authorizationDetails(subject),
    });
    const startedAt = this.deps.now();
    await this.deps.pending.save({
      stateHash: secretToken.hash(request.state),
      nonce: request.nonce,
      codeVerifier: request.codeVerifier,
      purpose,
      sessionHash: secretToken.hash(sessionId),
      startedAt,
      expiresAt: new Date(startedAt.getTime() + (this.deps.ttlSeconds ?? 600) * 1000),
    });
    return request.url;
  }

  /** The browser's return to IDP_CALLBACK_PATH; `sessionIdOf` reads the cookie of each purpose. */
  async finish(
    query: Readonly<Record<string, string>>,
    sessionIdOf: (purpose: IdpSignInPurpose) => string | undefined,
  ): Promise<IdpSignInOutcome> {
    const log = this.deps.logger;
    const state = query.state;
    const pending =
      state === undefined || state === '' ? undefined : await this.deps.pending.take(secretToken.hash(state));
    if (pending === undefined || pending.expiresAt.getTime() <= this.deps.now().getTime()) {
      log?.warn({ event: 'psu.idp_sign_in_refused', refusal: 'replayed' });
      return { ok: false, purpose: pending?.purpose, refusal: 'replayed' };
    }
    const refuse = (refusal: IdpSignInRefusal, detail?: string): IdpSignInOutcome => {
      log?.warn({ event: 'psu.idp_sign_in_refused', purpose: pending.purpose, refusal, detail });
      return { ok: false, purpose: pending.purpose, refusal };
    };
    const sessionId = sessionIdOf(pending.purpose);
    if (sessionId === undefined || !secretToken.equals(secretToken.hash(sessionId), pending.sessionHash)) {
      return refuse('otherBrowser');
    }
    let claims: Readonly<Record<string, unknown>>;
    try {
      ({ claims } = await this.deps.provider.identify({
        query,
        state: state ?? '',
        nonce: pending.nonce,
        codeVerifier: pending.codeVerifier,
      }));
    } catch (error) {
      if (error instanceof IdpFailure) return refuse(error.reason, error.detail);
      throw error;
    }
    if (!this.strong(claims)) {
      return refuse('notStrong', `acr ${JSON.stringify(claims.acr)} amr ${JSON.stringify(claims.amr)}`);
    }
    // Seconds since the epoch (OpenID Connect Core §2); the comparison allows for the provider's clock.
    const authTime = claims.auth_time;
    const earliest = pending.startedAt.getTime() / 1000 - AUTH_TIME_SKEW_SECONDS;
    if (typeof authTime !== 'number' || !Number.isFinite(authTime) || authTime < earliest) {
      return refuse(
        'notFresh',
        `auth_time ${JSON.stringify(authTime)}, sign-in started ${pending.startedAt.toISOString()}`,
      );
    }
    const psuId = claims[this.deps.policy.psuIdClaim];
    if (typeof psuId !== 'string' || psuId === '') return refuse('noPsuId', this.deps.policy.psuIdClaim);
    const name = typeof claims.name === 'string' && claims.name !== '' ? claims.name : psuId;
    log?.info({ event: 'psu.idp_signed_in', purpose: pending.purpose });
    return { ok: true, purpose: pending.purpose, psu: { psuId, name } };
  }

  private strong(claims: Readonly<Record<string, unknown>>): boolean {
    const { policy } = this.deps;
    if (policy.evidence === 'acr')
      return typeof claims.acr === 'string' && policy.acrValues.includes(claims.acr);
    const amr = Array.isArray(claims.amr) ? claims.amr.filter((m): m is string => typeof m === 'string') : [];
    return policy.amrCombinations.some((combination) => showsEveryFactor(new Set(amr), combination));
  }
}

/**
 * Whether the methods show every factor of the combination, each by a method of its own (a factor is a
 * list of methods that show it): two factors are never shown by one method, however the lists overlap.
 */
export function showsEveryFactor(
  methods: ReadonlySet<string>,
  factors: readonly (readonly string[])[],
): boolean {
  const assign = (index: number, used: ReadonlySet<string>): boolean => {
    const factor = factors[index];
    if (factor === undefined) return true;
    return factor.some((m) => methods.has(m) && !used.has(m) && assign(index + 1, new Set([...used, m])));
  };
  return assign(0, new Set());
}
