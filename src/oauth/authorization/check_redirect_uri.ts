import { AuthorizationPageError } from '../oauth_error';
import type { AuthorizationCheck } from './authorization_request';

/** Exactly the `TPP-Redirect-URI` of the consent: the only redirect target ever used. */
export const checkRedirectUri: AuthorizationCheck = (request) => {
  const registered = request.consent.tppRedirectUri;
  if (registered !== request.params.redirect_uri) {
    throw new AuthorizationPageError(
      400,
      'The redirect address does not match the one registered with the consent.',
      `redirect_uri ${request.params.redirect_uri} differs from TPP-Redirect-URI ${registered}`,
    );
  }
};
