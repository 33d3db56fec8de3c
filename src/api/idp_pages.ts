import type { IdpSignInRefusal } from '../psu/idp_sign_in';
import { errorPage, type PageChrome } from './oauth_pages';

/**
 * What the PSU reads when the sign-in at the bank's identity provider did not work. Every text says that
 * nothing was shared, since the consent (or payment) is left exactly as it was.
 */
const REFUSALS: Record<IdpSignInRefusal, { status: number; text: (bank: string) => string }> = {
  notStrong: {
    status: 403,
    text: (bank) =>
      `${bank}'s sign-in did not confirm two independent factors (for example your password and a code from your banking app). Without both, nothing can be authorised. Start again from the app you came from and complete both steps.`,
  },
  unavailable: {
    status: 503,
    text: (bank) =>
      `${bank}'s sign-in service cannot be reached at the moment. Please try again in a few minutes.`,
  },
  wrongIssuer: {
    status: 502,
    text: (bank) => `The sign-in answer did not come from ${bank}'s sign-in service, so it was not accepted.`,
  },
  invalid: {
    status: 400,
    text: (bank) => `The sign-in answer from ${bank} could not be verified, so it was not accepted.`,
  },
  refused: {
    status: 403,
    text: (bank) => `The sign-in at ${bank} was cancelled or refused.`,
  },
  replayed: {
    status: 400,
    text: () => 'This sign-in answer was already used or has expired.',
  },
  otherBrowser: {
    status: 403,
    text: () =>
      'This sign-in was started in another browser or window. Please finish it there, or start again.',
  },
  noPsuId: {
    status: 502,
    text: (bank) => `${bank}'s sign-in did not say which customer you are.`,
  },
};

export function idpRefusalPage(
  chrome: PageChrome,
  refusal: IdpSignInRefusal,
): { status: number; html: string } {
  const entry = REFUSALS[refusal];
  return { status: entry.status, html: errorPage(chrome, entry.text(chrome.bankName)) };
}
