import { AuthorizationPageError } from '../oauth_error';
import type { AuthorizationCheck } from './authorization_request';

export const checkResponseType: AuthorizationCheck = (request) => {
  if (request.params.response_type !== 'code') {
    throw new AuthorizationPageError(400, 'Only response_type=code is supported.');
  }
};
