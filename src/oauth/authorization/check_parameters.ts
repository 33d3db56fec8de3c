import { AuthorizationPageError } from '../oauth_error';
import type { AuthorizationCheck, AuthorizationParams } from './authorization_request';

const MAX_PARAM_LENGTH = 2048;
const REQUIRED: readonly (keyof AuthorizationParams)[] = [
  'response_type',
  'client_id',
  'redirect_uri',
  'scope',
  'state',
  'code_challenge',
  'code_challenge_method',
];

/** Every required parameter present, once, and of sane length. */
export const checkParameters: AuthorizationCheck = (request) => {
  for (const name of REQUIRED) {
    const value = request.query[name];
    if (value === undefined || value === '') {
      throw new AuthorizationPageError(400, `The request is missing the parameter ${name}.`);
    }
    if (typeof value !== 'string' || value.length > MAX_PARAM_LENGTH) {
      throw new AuthorizationPageError(400, `The parameter ${name} is malformed or repeated.`);
    }
    request.params[name] = value;
  }
};
