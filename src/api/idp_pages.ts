import type { IdpSignInRefusal } from '../psu/idp_sign_in';
import { errorPage, text, type PageChrome } from './oauth_pages';

/**
 * What the PSU reads when the sign-in at the bank's identity provider did not work. Every text says that
 * nothing was shared, since the consent (or payment) is left exactly as it was.
 */
const STATUS: Record<IdpSignInRefusal, number> = {
  notStrong: 403,
  notFresh: 403,
  unavailable: 503,
  wrongIssuer: 502,
  invalid: 400,
  refused: 403,
  replayed: 400,
  otherBrowser: 403,
  noPsuId: 502,
};

/** Whether a value (from an address) names a refusal: the table above lists every one. */
export function isIdpRefusal(value: string | null): value is IdpSignInRefusal {
  return value !== null && Object.prototype.hasOwnProperty.call(STATUS, value);
}

export function idpRefusalPage(
  chrome: PageChrome,
  refusal: IdpSignInRefusal,
): { status: number; html: string } {
  const message = text(chrome).idpRefusals[refusal](chrome.bankName);
  return { status: STATUS[refusal], html: errorPage(chrome, message) };
}
