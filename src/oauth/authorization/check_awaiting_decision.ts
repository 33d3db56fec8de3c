import type { ConsentForAuthorisation } from '../consent_port';
import { AuthorizationPageError } from '../oauth_error';
import type { AuthorizationCheck } from './authorization_request';

export function assertAwaitingDecision(consent: ConsentForAuthorisation): void {
  if (consent.status !== 'received') {
    throw new AuthorizationPageError(
      400,
      'This consent has already been answered or has ended, so it cannot be authorised again.',
      `consent ${consent.consentId} in status ${consent.status}`,
    );
  }
}

/** A consent is authorised once: only a `received` one can be. */
export const checkAwaitingDecision: AuthorizationCheck = (request) => assertAwaitingDecision(request.consent);
