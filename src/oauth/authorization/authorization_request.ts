import type { ConsentForAuthorisation } from '../consent_port';
import type { OAuthContext } from '../oauth_context';
import type { PaymentForAuthorisation } from '../payment_port';

/** The parameters `GET /oauth2/authorize` requires, each present once. */
export interface AuthorizationParams {
  response_type: string;
  client_id: string;
  redirect_uri: string;
  scope: string;
  state: string;
  code_challenge: string;
  code_challenge_method: string;
}

/** Passed through the checks in order; each check may rely on what the ones before it established. */
export interface AuthorizationRequest {
  query: Readonly<Record<string, unknown>>;
  params: AuthorizationParams;
  /** Set by checkConsent. */
  consent: ConsentForAuthorisation;
  /** Set by checkPayment (scope `PIS:<paymentId>`), instead of consent. */
  payment: PaymentForAuthorisation;
}

/** One check of the authorisation request; throws AuthorizationPageError to refuse. */
export type AuthorizationCheck = (request: AuthorizationRequest, ctx: OAuthContext) => Promise<void> | void;
