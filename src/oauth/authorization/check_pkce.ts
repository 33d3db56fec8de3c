import { AuthorizationPageError } from '../oauth_error';
import { pkce } from '../pkce';
import type { AuthorizationCheck } from './authorization_request';

/** PKCE is mandatory, S256 only (RFC 7636; plain would defeat it). */
export const checkPkce: AuthorizationCheck = (request) => {
  if (request.params.code_challenge_method !== 'S256') {
    throw new AuthorizationPageError(400, 'Only code_challenge_method=S256 is supported.');
  }
  if (!pkce.isValidS256Challenge(request.params.code_challenge)) {
    throw new AuthorizationPageError(400, 'The code_challenge is not a valid S256 challenge.');
  }
};
