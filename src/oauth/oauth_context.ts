import type { AuditTrail } from '../audit/audit_trail';
import type { Logger } from '../audit/logger';
import type { OneTimeCodeVerifier } from '../sca/one_time_code_verifier';
import type { SignInLimiter } from '../sca/sign_in_limiter';
import type { TppStopList } from '../tpp/stop_list';
import type { ConsentAuthorisationPort, PsuDirectory } from './consent_port';
import type { OAuthRepository } from './oauth_repository';
import type { PaymentAuthorisationPort } from './payment_port';

export interface OAuthServiceOptions {
  /** The OAuth issuer: the gateway's public base URL (RFC 8414, RFC 9207 `iss`). */
  issuer: string;
  /** Authorisation code lifetime. Default 120. */
  codeTtlSeconds?: number;
  /** Access token lifetime. Default 300. */
  accessTokenTtlSeconds?: number;
  /** Refresh token lifetime, further capped at the end of the consent's validUntil. Default 90 days. */
  refreshTokenTtlSeconds?: number;
  /** How long the PSU has to sign in and decide. Default 600. */
  sessionTtlSeconds?: number;
  /** Failed sign-ins before the session is dropped. Default 5. */
  maxSignInAttempts?: number;
}

export interface OAuthServiceDeps {
  repository: OAuthRepository;
  consents: ConsentAuthorisationPort;
  /** Payments the PSU authorises with scope `PIS:<paymentId>`; without it only `AIS:` scopes exist. */
  payments?: PaymentAuthorisationPort;
  psus: PsuDirectory;
  /** The PSU's second factor (strong customer authentication). */
  secondFactor: OneTimeCodeVerifier;
  /** Failed sign-ins limited per PSU and per client address, across sessions and instances. */
  signInLimiter: SignInLimiter;
  /**
   * The bank's TPP stop list. The PSU's browser presents no TPP certificate, so the trust gate cannot stop
   * a blocked TPP's consent or payment from being authorised: the authorisation steps ask it themselves.
   */
  stopList: TppStopList;
  options: OAuthServiceOptions;
  now?: () => Date;
  logger?: Logger;
  /** Tokens issued and revoked are appended here (never the tokens themselves). */
  audit?: AuditTrail;
  /** Where the check in front of every read looks tokens up; default the repository (a cache may wrap it). */
  tokenLookup?: Pick<OAuthRepository, 'findToken'>;
}

/** What every authorisation step and grant works with: the ports and the settings with defaults applied. */
export interface OAuthContext {
  repo: OAuthRepository;
  consents: ConsentAuthorisationPort;
  payments: PaymentAuthorisationPort | undefined;
  psus: PsuDirectory;
  secondFactor: OneTimeCodeVerifier;
  signInLimiter: SignInLimiter;
  stopList: TppStopList;
  issuer: string;
  now: () => Date;
  logger: Logger | undefined;
  audit: AuditTrail | undefined;
  codeTtl: number;
  accessTtl: number;
  refreshTtl: number;
  sessionTtl: number;
  maxSignIns: number;
}

export function oauthContext(deps: OAuthServiceDeps): OAuthContext {
  const o = deps.options;
  return {
    repo: deps.repository,
    consents: deps.consents,
    payments: deps.payments,
    psus: deps.psus,
    secondFactor: deps.secondFactor,
    signInLimiter: deps.signInLimiter,
    stopList: deps.stopList,
    issuer: o.issuer,
    now: deps.now ?? (() => new Date()),
    logger: deps.logger,
    audit: deps.audit,
    codeTtl: o.codeTtlSeconds ?? 120,
    accessTtl: o.accessTokenTtlSeconds ?? 300,
    refreshTtl: o.refreshTokenTtlSeconds ?? 90 * 24 * 3600,
    sessionTtl: o.sessionTtlSeconds ?? 600,
    maxSignIns: o.maxSignInAttempts ?? 5,
  };
}
