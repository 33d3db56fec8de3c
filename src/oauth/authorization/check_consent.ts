import { AuthorizationPageError } from '../oauth_error';
import type { AuthorizationCheck } from './authorization_request';

const SCOPE = /^AIS:([^\s]+)$/;

/** The scope names a consent, and the consent belongs to the client asking. */
export const checkConsent: AuthorizationCheck = async (request, ctx) => {
  const consentId = SCOPE.exec(request.params.scope)?.[1];
  if (consentId === undefined) {
    throw new AuthorizationPageError(
      400,
      ctx.payments !== undefined
        ? 'The scope must be AIS:<consentId> or PIS:<paymentId>.'
        : 'The scope must be AIS:<consentId>.',
    );
  }
  const consent = await ctx.consents.findForAuthorisation(consentId);
  // One answer for "no such consent" and "not this client's": the page must not confirm consent ids.
  if (consent === undefined || consent.tppOrganizationIdentifier !== request.params.client_id) {
    throw new AuthorizationPageError(
      400,
      'This request does not match any consent of the requesting provider.',
      `consent ${consentId} unknown or not owned by ${request.params.client_id}`,
    );
  }
  request.consent = consent;
};
