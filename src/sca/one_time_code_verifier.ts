import type { AuthorisationSubject } from './authorisation_subject';

/** The PSU's possession factor as the sign-in step sees it; the sandbox implements it with TOTP. */
export interface OneTimeCodeVerifier {
  /** Runs the full check even for an unknown username, so timing does not reveal which exist. */
  verify(params: { username: string; code: string; subject: AuthorisationSubject; at: Date }): boolean;
}
