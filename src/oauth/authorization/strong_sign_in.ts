import type { AuthorisationSubject } from '../../sca/authorisation_subject';
import type { OneTimeCodeVerifier } from '../../sca/one_time_code_verifier';
import { usernameHash, type SignInLimiter } from '../../sca/sign_in_limiter';
import type { Logger } from '../../audit/logger';
import type { Psu, PsuDirectory } from '../consent_port';

export interface StrongSignInDeps {
  psus: PsuDirectory;
  secondFactor: OneTimeCodeVerifier;
  signInLimiter: SignInLimiter;
  now: () => Date;
  logger: Logger | undefined;
}

export interface StrongSignInParams {
  username: string | undefined;
  password: string | undefined;
  oneTimeCode: string | undefined;
  clientAddress: string;
  /** What the sign-in authorises; the factor may be bound to it (dynamic linking). */
  subject: AuthorisationSubject;
}

export type StrongSignInOutcome =
  | { ok: true; psu: Psu }
  | { ok: false; error: 'credentials' }
  | { ok: false; error: 'locked'; retryAfterMinutes: number };

/**
 * Strong customer authentication at the gateway's own sign-in forms (the authorisation page and the
 * consent dashboard): the cross-session limit first (it counts this attempt), then both factors, always
 * both, so neither the answer nor its timing tells which factor failed or whether the username exists.
 */
export async function strongSignIn(
  deps: StrongSignInDeps,
  params: StrongSignInParams,
): Promise<StrongSignInOutcome> {
  const now = deps.now();
  const username = params.username ?? '';
  const who = { clientAddress: params.clientAddress, usernameHash: usernameHash(username) };
  const admission = await deps.signInLimiter.admit({
    username,
    clientAddress: params.clientAddress,
    at: now,
  });
  if (!admission.admitted) {
    deps.logger?.warn({ event: 'oauth.psu_sign_in_locked', ...who, by: admission.by });
    const minutes = Math.ceil((admission.lockedUntil.getTime() - now.getTime()) / 60_000);
    return { ok: false, error: 'locked', retryAfterMinutes: Math.max(1, minutes) };
  }
  // Without passwords at the gateway (a real bank), nobody signs in here; both checks still run.
  const psu = deps.psus.passwordSignIn
    ? await deps.psus.authenticate(username, params.password ?? '')
    : undefined;
  const code = deps.secondFactor.verify({
    username,
    code: params.oneTimeCode ?? '',
    subject: params.subject,
    at: now,
  });
  if (psu === undefined || code === undefined) {
    deps.logger?.warn({ event: 'oauth.psu_sign_in_failed', ...who, subject: params.subject.kind });
    return { ok: false, error: 'credentials' };
  }
  // Spent only once both factors are right: a store write on a matching code alone would tell by its
  // timing that the code was right and the password wrong.
  if (!(await deps.secondFactor.spend(code))) {
    deps.logger?.warn({ event: 'oauth.psu_one_time_code_reused', ...who, subject: params.subject.kind });
    return { ok: false, error: 'credentials' };
  }
  await deps.signInLimiter.succeeded(admission.keys);
  return { ok: true, psu };
}
