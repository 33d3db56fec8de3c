import type { AuthorisationSubject } from '../../sca/authorisation_subject';
import type { ConsentForAuthorisation, PsuAccount } from '../consent_port';
import type { RequestingTpp } from './authorisation_target';
import type { OAuthContext } from '../oauth_context';
import type { PsuSession } from '../oauth_repository';

/** What the sign-in page needs; src/api turns it into the page's view model. */
export interface SignInPrompt {
  csrfToken: string;
  requester: RequestingTpp;
  /** What the PSU signs in for; a payment's amount and payee are shown before the one-time code. */
  subject: AuthorisationSubject;
  /** False when the gateway holds no passwords (a real bank): the form is not offered. */
  passwordSignIn: boolean;
  error?: 'credentials' | 'locked';
  /** With `locked`: how long until the PSU may try again, rounded up. */
  retryAfterMinutes?: number;
}

/** What the consent page needs once the PSU has signed in. */
export interface ConsentReview {
  csrfToken: string;
  consent: ConsentForAuthorisation;
  psuName: string;
  /** Where the decision will send the browser. */
  redirectUri: string;
  /** The PSU's own accounts. */
  accounts: PsuAccount[];
  /** IBANs ticked when the page is shown again. */
  selected: string[];
  error?: 'noAccountSelected';
}

/** Every IBAN the consent names, in first-mention order. */
export function namedIbans(consent: ConsentForAuthorisation): string[] {
  const { accounts = [], balances = [], transactions = [] } = consent.access;
  return [...new Set([...accounts, ...balances, ...transactions])];
}

export async function consentReview(
  ctx: OAuthContext,
  session: PsuSession,
  consent: ConsentForAuthorisation,
  psu: { psuId: string; name: string },
  selected: string[],
): Promise<ConsentReview> {
  return {
    csrfToken: session.csrfToken,
    consent,
    psuName: psu.name,
    redirectUri: session.redirectUri,
    accounts: await ctx.psus.accountsOf(psu.psuId, consent),
    selected,
  };
}
