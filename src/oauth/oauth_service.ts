import { randomUUID } from 'node:crypto';
import type { Logger } from '../audit/logger';
import type { AuditTrail } from '../audit/audit_trail';
import type { TppIdentity } from '../pki/identity/tpp_identity';
import {
  AccessTokenVerifier,
  type PresentedAccessToken,
  type VerifyAccessTokenParams,
} from './access_token_verifier';
import type {
  ConsentAuthorisationPort,
  ConsentForAuthorisation,
  PsuAccount,
  PsuDirectory,
} from './consent_port';
import { AuthorizationPageError, OAuthError } from './oauth_error';
import type { PaymentAuthorisationPort, PaymentForAuthorisation } from './payment_port';
import { dynamicLinkOf, paymentApprovalView, type PaymentApprovalView } from './payment_approval_view';
import type { Grant, OAuthRepository, PsuSession, StoredToken } from './oauth_repository';
import { pkce } from './pkce';
import { secretToken } from './secret_token';

/**
 * Token format: opaque random strings, stored as SHA-256 hashes, not JWTs. Every AIS read must learn
 * whether the token was revoked (consent DELETE, RFC 7009, replayed code, reused refresh token), so the
 * verifier reads the store anyway and a self-contained JWT would save nothing. Opaque tokens also need no
 * signing key to generate, protect, back up and rotate, and disclose nothing (consent id, TPP id) to
 * whoever sees one. The RFC 8705 binding (`x5t#S256`) lives in the token's row instead of a `cnf` claim.
 */

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
  options: OAuthServiceOptions;
  now?: () => Date;
  logger?: Logger;
  /** Tokens issued and revoked are appended here (never the tokens themselves). */
  audit?: AuditTrail;
  /** Where the check in front of every read looks tokens up; default the repository (a cache may wrap it). */
  tokenLookup?: Pick<OAuthRepository, 'findToken'>;
}

/** Who is asking, as recorded on the consent from the TPP's QWAC. */
export interface TppView {
  name: string;
  organizationIdentifier: string;
  ncaName: string;
  ncaId: string;
}

export interface SignInView {
  csrfToken: string;
  tpp: TppView;
  /** False: no password form, the page says the bank's identity provider is required. */
  passwordSignIn: boolean;
  /** What the PSU signs in for; absent: account information. */
  purpose?: 'payment';
  error?: 'credentials';
}

export interface NamedAccountView {
  iban: string;
  /** Undefined when the account is not the PSU's. */
  account: PsuAccount | undefined;
  details: boolean;
  balances: boolean;
  transactions: boolean;
}

export type ConsentAccessView =
  /** The consent names IBANs, all of them the PSU's. */
  | { kind: 'named'; accounts: NamedAccountView[] }
  /** The consent names IBANs that are not the PSU's: the PSU can only refuse. */
  | { kind: 'notYours'; ibans: string[] }
  /** availableAccounts / allPsd2 / bank-offered: the PSU picks. */
  | {
      kind: 'choose';
      scope: 'availableAccounts' | 'allPsd2' | 'bankOffered';
      accounts: PsuAccount[];
      selected: string[];
    };

export interface ConsentView {
  csrfToken: string;
  tpp: TppView;
  psuName: string;
  /** Where the decision will send the browser; the page's CSP must allow it as a form target. */
  redirectUri: string;
  access: ConsentAccessView;
  validUntil: string;
  frequencyPerDay: number;
  recurringIndicator: boolean;
  error?: 'noAccountSelected';
}

export interface BeginAuthorizationResult {
  /** The browser's session secret, for the cookie. */
  sessionId: string;
  view: SignInView;
  sessionTtlSeconds: number;
}

export type SignInResult =
  | { kind: 'signIn'; view: SignInView }
  | { kind: 'consent'; view: ConsentView }
  | { kind: 'payment'; view: PaymentApprovalView };
export type DecisionResult =
  | { kind: 'redirect'; location: string }
  | { kind: 'consent'; view: ConsentView }
  | { kind: 'payment'; view: PaymentApprovalView };

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  /** Absent for a payment's token: it serves the one payment and is not renewed. */
  refresh_token?: string;
  scope: string;
}

/** An `application/x-www-form-urlencoded` body with every parameter at most once. */
export type OAuthForm = Readonly<Record<string, string | undefined>>;

const SCOPE = /^AIS:([^\s]+)$/;
const PIS_SCOPE = /^PIS:([^\s]+)$/;

/**
 * Sessions and grants name what they authorise in their `consentId` field: a consent id as such, a
 * payment as `PIS:<paymentId>` (consent ids never contain a colon), so one flow and one set of tables
 * serve both.
 */
const PAYMENT_SUBJECT = 'PIS:';

function paymentIdOf(subject: string): string | undefined {
  return subject.startsWith(PAYMENT_SUBJECT) ? subject.slice(PAYMENT_SUBJECT.length) : undefined;
}
const MAX_PARAM_LENGTH = 2048;

/**
 * The authorisation server: the PSU's authorisation steps, the token endpoint, revocation and the check
 * behind every AIS read. Knows nothing of HTTP; src/api/oauth_routes.ts adapts it.
 */
export class OAuthService {
  private readonly repo: OAuthRepository;
  private readonly now: () => Date;
  private readonly codeTtl: number;
  private readonly accessTtl: number;
  private readonly refreshTtl: number;
  private readonly sessionTtl: number;
  private readonly maxSignIns: number;
  private readonly verifier: AccessTokenVerifier;

  constructor(private readonly deps: OAuthServiceDeps) {
    this.repo = deps.repository;
    this.now = deps.now ?? (() => new Date());
    this.codeTtl = deps.options.codeTtlSeconds ?? 120;
    this.accessTtl = deps.options.accessTokenTtlSeconds ?? 300;
    this.refreshTtl = deps.options.refreshTokenTtlSeconds ?? 90 * 24 * 3600;
    this.sessionTtl = deps.options.sessionTtlSeconds ?? 600;
    this.maxSignIns = deps.options.maxSignInAttempts ?? 5;
    this.verifier = new AccessTokenVerifier({ repository: deps.tokenLookup ?? this.repo, now: this.now });
  }

  get issuer(): string {
    return this.deps.options.issuer;
  }

  // ---------------------------------------------------------------- the PSU's browser

  /**
   * Step 1, `GET /oauth2/authorize`. Every parameter is checked against the consent before anything is
   * rendered; any mismatch is a page for the PSU, never a redirect, because the redirect target is only
   * trustworthy once it matched the consent.
   */
  async beginAuthorization(query: Readonly<Record<string, unknown>>): Promise<BeginAuthorizationResult> {
    const param = (name: string): string => {
      const value = query[name];
      if (value === undefined || value === '') {
        throw new AuthorizationPageError(400, `The request is missing the parameter ${name}.`);
      }
      if (typeof value !== 'string' || value.length > MAX_PARAM_LENGTH) {
        throw new AuthorizationPageError(400, `The parameter ${name} is malformed or repeated.`);
      }
      return value;
    };
    const responseType = param('response_type');
    const clientId = param('client_id');
    const redirectUri = param('redirect_uri');
    const scope = param('scope');
    const state = param('state');
    const codeChallenge = param('code_challenge');
    const codeChallengeMethod = param('code_challenge_method');

    const paymentId = this.deps.payments !== undefined ? PIS_SCOPE.exec(scope)?.[1] : undefined;
    if (paymentId !== undefined) {
      return this.beginPaymentAuthorization(paymentId, {
        responseType,
        clientId,
        redirectUri,
        state,
        codeChallenge,
        codeChallengeMethod,
      });
    }
    const consentId = SCOPE.exec(scope)?.[1];
    if (consentId === undefined) {
      throw new AuthorizationPageError(
        400,
        this.deps.payments !== undefined
          ? 'The scope must be AIS:<consentId> or PIS:<paymentId>.'
          : 'The scope must be AIS:<consentId>.',
      );
    }
    const consent = await this.deps.consents.findForAuthorisation(consentId);
    // One answer for "no such consent" and "not this client's": the page must not confirm consent ids.
    if (consent === undefined || consent.tppOrganizationIdentifier !== clientId) {
      throw new AuthorizationPageError(
        400,
        'This request does not match any consent of the requesting provider.',
        `consent ${consentId} unknown or not owned by ${clientId}`,
      );
    }
    if (consent.tppRedirectUri !== redirectUri) {
      throw new AuthorizationPageError(
        400,
        'The redirect address does not match the one registered with the consent.',
        `redirect_uri ${redirectUri} differs from TPP-Redirect-URI ${consent.tppRedirectUri}`,
      );
    }
    if (responseType !== 'code') {
      throw new AuthorizationPageError(400, 'Only response_type=code is supported.');
    }
    if (codeChallengeMethod !== 'S256') {
      throw new AuthorizationPageError(400, 'Only code_challenge_method=S256 is supported.');
    }
    if (!pkce.isValidS256Challenge(codeChallenge)) {
      throw new AuthorizationPageError(400, 'The code_challenge is not a valid S256 challenge.');
    }
    assertAwaitingDecision(consent);
    return this.openSession(
      { clientId, redirectUri, subject: consentId, state, codeChallenge },
      tppView(consent),
    );
  }

  private async openSession(
    request: { clientId: string; redirectUri: string; subject: string; state: string; codeChallenge: string },
    tpp: TppView,
    purpose?: 'payment',
  ): Promise<BeginAuthorizationResult> {
    const sessionId = secretToken.generate();
    const now = this.now();
    const csrfToken = secretToken.generate();
    await this.repo.createSession({
      idHash: secretToken.hash(sessionId),
      csrfToken,
      clientId: request.clientId,
      redirectUri: request.redirectUri,
      consentId: request.subject,
      state: request.state,
      codeChallenge: request.codeChallenge,
      psuId: null,
      psuName: null,
      failedSignIns: 0,
      expiresAt: new Date(now.getTime() + this.sessionTtl * 1000),
      createdAt: now,
    });
    return {
      sessionId,
      sessionTtlSeconds: this.sessionTtl,
      view: {
        csrfToken,
        tpp,
        passwordSignIn: this.deps.psus.passwordSignIn,
        ...(purpose !== undefined ? { purpose } : {}),
      },
    };
  }

  /** Step 1 for a payment: the same checks as for a consent, against what the payment recorded. */
  private async beginPaymentAuthorization(
    paymentId: string,
    request: {
      responseType: string;
      clientId: string;
      redirectUri: string;
      state: string;
      codeChallenge: string;
      codeChallengeMethod: string;
    },
  ): Promise<BeginAuthorizationResult> {
    const payment = await this.findPayment(paymentId);
    if (payment === undefined || payment.tppOrganizationIdentifier !== request.clientId) {
      throw new AuthorizationPageError(
        400,
        'This request does not match any payment of the requesting provider.',
        `payment ${paymentId} unknown or not owned by ${request.clientId}`,
      );
    }
    if (payment.tppRedirectUri === undefined || payment.tppRedirectUri !== request.redirectUri) {
      throw new AuthorizationPageError(
        400,
        'The redirect address does not match the one registered with the payment.',
        `redirect_uri ${request.redirectUri} differs from TPP-Redirect-URI ${payment.tppRedirectUri ?? '(none)'}`,
      );
    }
    if (request.responseType !== 'code') {
      throw new AuthorizationPageError(400, 'Only response_type=code is supported.');
    }
    if (request.codeChallengeMethod !== 'S256') {
      throw new AuthorizationPageError(400, 'Only code_challenge_method=S256 is supported.');
    }
    if (!pkce.isValidS256Challenge(request.codeChallenge)) {
      throw new AuthorizationPageError(400, 'The code_challenge is not a valid S256 challenge.');
    }
    assertPaymentAwaitingDecision(payment);
    return this.openSession(
      { ...request, subject: `${PAYMENT_SUBJECT}${paymentId}` },
      paymentTppView(payment),
      'payment',
    );
  }

  /** Step 2, the sign-in form. */
  async signIn(params: {
    sessionId: string | undefined;
    csrfToken: string | undefined;
    username: string | undefined;
    password: string | undefined;
  }): Promise<SignInResult> {
    const session = await this.loadSession(params.sessionId, params.csrfToken);
    const paymentId = paymentIdOf(session.consentId);
    const subject =
      paymentId !== undefined
        ? { kind: 'payment' as const, payment: await this.loadPayment(session, paymentId) }
        : { kind: 'consent' as const, consent: await this.loadConsent(session) };
    const tpp = subject.kind === 'payment' ? paymentTppView(subject.payment) : tppView(subject.consent);
    const purpose = subject.kind === 'payment' ? { purpose: 'payment' as const } : {};
    if (!this.deps.psus.passwordSignIn) {
      return {
        kind: 'signIn',
        view: { csrfToken: session.csrfToken, tpp, passwordSignIn: false, ...purpose },
      };
    }
    const psu =
      params.username !== undefined && params.password !== undefined
        ? await this.deps.psus.authenticate(params.username, params.password)
        : undefined;
    if (psu === undefined) {
      const failures = await this.repo.recordFailedSignIn(session.idHash);
      this.deps.logger?.info({ event: 'oauth.psu_sign_in_failed', subject: session.consentId });
      if (failures >= this.maxSignIns) {
        await this.repo.deleteSession(session.idHash);
        throw new AuthorizationPageError(
          403,
          'Too many failed sign-in attempts. Return to the app you came from and start again.',
        );
      }
      return {
        kind: 'signIn',
        view: {
          csrfToken: session.csrfToken,
          tpp,
          passwordSignIn: true,
          ...purpose,
          error: 'credentials',
        },
      };
    }
    await this.repo.setSessionPsu(session.idHash, psu);
    if (subject.kind === 'payment') {
      return { kind: 'payment', view: await this.paymentView(session, subject.payment, psu.psuId, psu.name) };
    }
    return {
      kind: 'consent',
      view: await this.consentView(session, subject.consent, psu.psuId, psu.name, []),
    };
  }

  /** Step 3, the decision. */
  async decide(params: {
    sessionId: string | undefined;
    csrfToken: string | undefined;
    decision: string | undefined;
    accounts: string[];
    /** The payment page's dynamic link (see payment_approval_view.ts); ignored for consents. */
    dynamicLink?: string | undefined;
  }): Promise<DecisionResult> {
    const session = await this.loadSession(params.sessionId, params.csrfToken);
    const psuId = session.psuId;
    if (psuId === null) {
      throw new AuthorizationPageError(403, 'Please sign in first.', 'decision before sign-in');
    }
    const paymentId = paymentIdOf(session.consentId);
    if (paymentId !== undefined) return this.decidePayment(session, psuId, paymentId, params);
    if (params.decision !== 'approve' && params.decision !== 'deny') {
      throw new AuthorizationPageError(400, 'Choose whether to allow or deny access.');
    }
    const consent = await this.loadConsent(session);
    const redirect = new URL(session.redirectUri);

    if (params.decision === 'deny') {
      await this.claimSession(session);
      await this.deps.consents.reject(consent.consentId, psuId);
      this.deps.logger?.info({ event: 'oauth.consent_denied', consentId: consent.consentId });
      redirect.searchParams.set('error', 'access_denied');
      redirect.searchParams.set('error_description', 'The PSU refused the consent');
      redirect.searchParams.set('state', session.state);
      redirect.searchParams.set('iss', this.issuer);
      return { kind: 'redirect', location: redirect.toString() };
    }

    const ownAccounts = await this.deps.psus.accountsOf(psuId, consent);
    const own = new Set(ownAccounts.map((a) => a.iban));
    const named = namedIbans(consent);
    let granted: string[];
    if (named.length > 0) {
      // The PSU cannot approve a consent that names someone else's account; the page offered only "deny".
      if (named.some((iban) => !own.has(iban))) {
        throw new AuthorizationPageError(
          403,
          'This request names accounts that are not yours, so it cannot be approved.',
          'approve attempted on a consent naming foreign IBANs',
        );
      }
      granted = named;
    } else {
      const picked = [...new Set(params.accounts)];
      if (picked.some((iban) => !own.has(iban))) {
        throw new AuthorizationPageError(400, 'You can only share your own accounts.', 'foreign IBAN posted');
      }
      if (picked.length === 0) {
        return {
          kind: 'consent',
          view: {
            ...(await this.consentView(session, consent, psuId, session.psuName ?? '', [])),
            error: 'noAccountSelected',
          },
        };
      }
      granted = picked;
    }

    await this.claimSession(session);
    await this.deps.consents.approve(consent.consentId, psuId, granted);
    const code = secretToken.generate();
    const now = this.now();
    await this.repo.createGrant({
      id: randomUUID(),
      codeHash: secretToken.hash(code),
      clientId: session.clientId,
      redirectUri: session.redirectUri,
      codeChallenge: session.codeChallenge,
      consentId: consent.consentId,
      psuId,
      codeExpiresAt: new Date(now.getTime() + this.codeTtl * 1000),
      codeUsedAt: null,
      revokedAt: null,
      createdAt: now,
    });
    this.deps.logger?.info({ event: 'oauth.consent_approved', consentId: consent.consentId });
    redirect.searchParams.set('code', code);
    redirect.searchParams.set('state', session.state);
    redirect.searchParams.set('iss', this.issuer);
    return { kind: 'redirect', location: redirect.toString() };
  }

  // ---------------------------------------------------------------- the TPP over mutual TLS

  /** `POST /oauth2/token`, client authenticated by `tls_client_auth` (RFC 8705 §2.1). */
  async token(params: { client: TppIdentity; form: OAuthForm }): Promise<TokenResponse> {
    const { client, form } = params;
    authenticateClient(client, form);
    switch (form.grant_type) {
      case undefined:
      case '':
        throw new OAuthError('invalid_request', 'grant_type is required');
      case 'authorization_code':
        return this.redeemCode(client, form);
      case 'refresh_token':
        return this.refresh(client, form);
      default:
        throw new OAuthError('unsupported_grant_type', 'Supported: authorization_code, refresh_token');
    }
  }

  /**
   * `POST /oauth2/revoke` (RFC 7009). Unknown tokens and other clients' tokens are answered like a
   * success and left alone, so the endpoint cannot be used to probe for tokens.
   */
  async revoke(params: { client: TppIdentity; form: OAuthForm }): Promise<void> {
    const { client, form } = params;
    authenticateClient(client, form);
    const token = form.token;
    if (token === undefined || token === '') throw new OAuthError('invalid_request', 'token is required');
    // token_type_hint is only an optimisation (RFC 7009 §2.1); one lookup covers both kinds.
    const tokenHash = secretToken.hash(token);
    const record = await this.repo.findToken(tokenHash);
    if (record === undefined || record.clientId !== client.organizationIdentifier) return;
    const now = this.now();
    if (record.kind === 'refresh') {
      // RFC 7009 §2.1: revoking a refresh token also ends the access tokens of the same grant.
      await this.repo.revokeGrant(record.grantId, now, 'revoked_by_client');
    } else {
      await this.repo.revokeToken(tokenHash, now);
    }
    this.deps.logger?.info({ event: 'oauth.token_revoked', kind: record.kind, consentId: record.consentId });
    this.deps.audit?.append({
      type: 'token.revoked',
      tpp: client.organizationIdentifier,
      thumbprint: client.thumbprintS256,
      subject: record.consentId,
      detail: { kind: record.kind, by: 'client' },
    });
  }

  /** For `DELETE /v1/consents/{consentId}` and any other end of a consent: no token of it works after. */
  async revokeTokensForConsent(consentId: string): Promise<void> {
    const count = await this.repo.revokeGrantsForConsent(consentId, this.now());
    if (count > 0) {
      this.deps.logger?.info({ event: 'oauth.consent_tokens_revoked', consentId, count });
      this.deps.audit?.append({
        type: 'token.revoked',
        subject: consentId,
        detail: { grants: count, by: 'consent end' },
      });
    }
  }

  /** A request's bearer token, for checks that must share one lookup (see AccessTokenVerifier). */
  presentedAccessToken(authorization: string | undefined, presenter: TppIdentity): PresentedAccessToken {
    return this.verifier.presented(authorization, presenter);
  }

  /** See AccessTokenVerifier for the codes. */
  refuseTokenOfAnotherCertificate(
    params: Pick<VerifyAccessTokenParams, 'authorization' | 'presenter'>,
  ): Promise<void> {
    return this.verifier.refuseTokenOfAnotherCertificate(params);
  }

  verifyAccessToken(params: VerifyAccessTokenParams): Promise<{ consentId: string }> {
    return this.verifier.verifyAccessToken(params);
  }

  // ---------------------------------------------------------------- internals

  private async redeemCode(client: TppIdentity, form: OAuthForm): Promise<TokenResponse> {
    const code = required(form, 'code');
    const redirectUri = required(form, 'redirect_uri');
    const verifier = required(form, 'code_verifier');
    if (!pkce.isValidVerifier(verifier)) {
      throw new OAuthError(
        'invalid_request',
        'code_verifier must be 43 to 128 characters of [A-Za-z0-9-._~]',
      );
    }
    const grant = await this.repo.findGrantByCodeHash(secretToken.hash(code));
    if (grant === undefined) throw new OAuthError('invalid_grant', 'Unknown authorization code');
    // Another client's code is refused without touching it: the rightful client may still redeem it.
    if (grant.clientId !== client.organizationIdentifier) {
      this.deps.logger?.warn({
        event: 'oauth.code_foreign_client',
        consentId: grant.consentId,
        presenter: client.organizationIdentifier,
      });
      throw new OAuthError('invalid_grant', 'The authorization code was not issued to this client');
    }
    const now = this.now();
    if (grant.codeUsedAt !== null) {
      await this.revokeForReplay(grant);
      throw new OAuthError(
        'invalid_grant',
        'The authorization code was already used; its tokens are revoked',
      );
    }
    if (grant.revokedAt !== null) throw new OAuthError('invalid_grant', 'The authorization was revoked');
    if (grant.codeExpiresAt.getTime() <= now.getTime()) {
      throw new OAuthError('invalid_grant', 'The authorization code has expired');
    }
    if (grant.redirectUri !== redirectUri) {
      throw new OAuthError('invalid_grant', 'redirect_uri differs from the authorization request');
    }
    if (!pkce.matches(verifier, grant.codeChallenge)) {
      throw new OAuthError('invalid_grant', 'code_verifier does not match the code_challenge');
    }
    const paymentId = paymentIdOf(grant.consentId);
    const consent = paymentId === undefined ? await this.usableConsent(grant.consentId) : undefined;
    if (!(await this.repo.claimCode(grant.id, now))) {
      // Lost a race against another redemption of the same code: that is a replay too.
      await this.revokeForReplay(grant);
      throw new OAuthError(
        'invalid_grant',
        'The authorization code was already used; its tokens are revoked',
      );
    }
    if (consent === undefined) return this.issuePaymentToken(grant, client, now);
    return this.issueTokens(grant.id, client, consent, now);
  }

  /**
   * A payment's code gives one certificate-bound access token with scope `PIS:<paymentId>` and no
   * refresh token: the PSU authorised this payment once, there is nothing to renew.
   */
  private async issuePaymentToken(grant: Grant, client: TppIdentity, now: Date): Promise<TokenResponse> {
    const accessToken = secretToken.generate('psd2at');
    await this.repo.insertTokens([this.accessTokenRow(accessToken, grant.id, client, now)]);
    this.noteTokensIssued(grant.id, client, grant.consentId);
    return {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: this.accessTtl,
      scope: grant.consentId,
    };
  }

  /** The stored form of an access token, bound to the certificate it was issued on (RFC 8705). */
  private accessTokenRow(accessToken: string, grantId: string, client: TppIdentity, now: Date): StoredToken {
    return {
      tokenHash: secretToken.hash(accessToken),
      grantId,
      kind: 'access',
      cnfThumbprint: client.thumbprintS256,
      expiresAt: new Date(now.getTime() + this.accessTtl * 1000),
      rotatedAt: null,
      revokedAt: null,
      createdAt: now,
    };
  }

  private noteTokensIssued(grantId: string, client: TppIdentity, subject: string): void {
    this.deps.logger?.info({ event: 'oauth.tokens_issued', consentId: subject });
    this.deps.audit?.append({
      type: 'token.issued',
      tpp: client.organizationIdentifier,
      thumbprint: client.thumbprintS256,
      subject,
      detail: { grant: grantId },
    });
  }

  private async refresh(client: TppIdentity, form: OAuthForm): Promise<TokenResponse> {
    const refreshToken = required(form, 'refresh_token');
    const tokenHash = secretToken.hash(refreshToken);
    const record = await this.repo.findToken(tokenHash);
    if (record === undefined || record.kind !== 'refresh') {
      throw new OAuthError('invalid_grant', 'Unknown refresh token');
    }
    if (record.clientId !== client.organizationIdentifier) {
      throw new OAuthError('invalid_grant', 'The refresh token was not issued to this client');
    }
    if (form.scope !== undefined && form.scope !== `AIS:${record.consentId}`) {
      throw new OAuthError('invalid_scope', 'A refresh cannot change the scope');
    }
    if (record.revokedAt !== null || record.grantRevokedAt !== null) {
      throw new OAuthError('invalid_grant', 'The refresh token was revoked');
    }
    const now = this.now();
    if (record.rotatedAt !== null) {
      await this.revokeForReuse(record.grantId, record.consentId);
      throw new OAuthError('invalid_grant', 'The refresh token was already used; the grant is revoked');
    }
    if (record.expiresAt.getTime() <= now.getTime()) {
      throw new OAuthError('invalid_grant', 'The refresh token has expired');
    }
    const consent = await this.usableConsent(record.consentId);
    if (!(await this.repo.claimRefreshToken(tokenHash, now))) {
      await this.revokeForReuse(record.grantId, record.consentId);
      throw new OAuthError('invalid_grant', 'The refresh token was already used; the grant is revoked');
    }
    // The new access token is bound to the certificate presented now, so a TPP can renew its QWAC
    // without a new consent; the refresh token itself is bound to the client (RFC 8705 §4).
    return this.issueTokens(record.grantId, client, consent, now);
  }

  private async issueTokens(
    grantId: string,
    client: TppIdentity,
    consent: ConsentForAuthorisation,
    now: Date,
  ): Promise<TokenResponse> {
    const accessToken = secretToken.generate('psd2at');
    const refreshToken = secretToken.generate('psd2rt');
    const refreshEnd = Math.min(now.getTime() + this.refreshTtl * 1000, endOfDay(consent.validUntil));
    const tokens: StoredToken[] = [
      this.accessTokenRow(accessToken, grantId, client, now),
      {
        tokenHash: secretToken.hash(refreshToken),
        grantId,
        kind: 'refresh',
        cnfThumbprint: null,
        expiresAt: new Date(refreshEnd),
        rotatedAt: null,
        revokedAt: null,
        createdAt: now,
      },
    ];
    await this.repo.insertTokens(tokens);
    this.noteTokensIssued(grantId, client, consent.consentId);
    return {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: this.accessTtl,
      refresh_token: refreshToken,
      scope: `AIS:${consent.consentId}`,
    };
  }

  private async revokeForReplay(grant: Grant): Promise<void> {
    await this.repo.revokeGrant(grant.id, this.now(), 'code_replayed');
    this.deps.logger?.warn({ event: 'oauth.code_replayed', consentId: grant.consentId });
  }

  private async revokeForReuse(grantId: string, consentId: string): Promise<void> {
    await this.repo.revokeGrant(grantId, this.now(), 'refresh_token_reused');
    this.deps.logger?.warn({ event: 'oauth.refresh_token_reused', consentId });
  }

  private async usableConsent(consentId: string): Promise<ConsentForAuthorisation> {
    const consent = await this.deps.consents.findForAuthorisation(consentId);
    if (consent === undefined || consent.status !== 'valid') {
      throw new OAuthError('invalid_grant', 'The consent is no longer valid');
    }
    return consent;
  }

  private async loadSession(
    sessionId: string | undefined,
    csrfToken: string | undefined,
  ): Promise<PsuSession> {
    const expired = new AuthorizationPageError(
      403,
      'Your session has expired or your browser did not send its cookie. Return to the app you came from and start again.',
      'missing, unknown or expired session',
    );
    if (sessionId === undefined || sessionId === '') throw expired;
    const session = await this.repo.findSession(secretToken.hash(sessionId));
    if (session === undefined) throw expired;
    if (session.expiresAt.getTime() <= this.now().getTime()) {
      await this.repo.deleteSession(session.idHash);
      throw expired;
    }
    if (csrfToken === undefined || !secretToken.equals(csrfToken, session.csrfToken)) {
      throw new AuthorizationPageError(
        403,
        'This form could not be verified. Return to the app you came from and start again.',
        'CSRF token missing or wrong',
      );
    }
    return session;
  }

  /** The consent again, since it may have changed while the PSU was on the page. */
  private async loadConsent(session: PsuSession): Promise<ConsentForAuthorisation> {
    const consent = await this.deps.consents.findForAuthorisation(session.consentId);
    if (
      consent === undefined ||
      consent.tppOrganizationIdentifier !== session.clientId ||
      consent.tppRedirectUri !== session.redirectUri
    ) {
      throw new AuthorizationPageError(400, 'This consent no longer exists.');
    }
    assertAwaitingDecision(consent);
    return consent;
  }

  private paymentPort(): PaymentAuthorisationPort {
    const payments = this.deps.payments;
    // Sessions for payments are only opened when the port exists.
    if (payments === undefined) throw new AuthorizationPageError(400, 'Payments cannot be authorised here.');
    return payments;
  }

  private findPayment(paymentId: string): Promise<PaymentForAuthorisation | undefined> {
    return this.paymentPort().findForAuthorisation(paymentId);
  }

  /** The payment again, since it may have changed (cancelled) while the PSU was on the page. */
  private async loadPayment(session: PsuSession, paymentId: string): Promise<PaymentForAuthorisation> {
    const payment = await this.findPayment(paymentId);
    if (
      payment === undefined ||
      payment.tppOrganizationIdentifier !== session.clientId ||
      payment.tppRedirectUri !== session.redirectUri
    ) {
      throw new AuthorizationPageError(400, 'This payment no longer exists.');
    }
    assertPaymentAwaitingDecision(payment);
    return payment;
  }

  private async paymentView(
    session: PsuSession,
    payment: PaymentForAuthorisation,
    psuId: string,
    psuName: string,
    error?: 'noAccountSelected',
  ): Promise<PaymentApprovalView> {
    return paymentApprovalView({
      csrfToken: session.csrfToken,
      redirectUri: session.redirectUri,
      psuName,
      payment,
      accounts: await this.paymentPort().debtorAccountsOf(psuId, payment),
      ...(error !== undefined ? { error } : {}),
    });
  }

  /** Step 3 for a payment: deny (RJCT), or approve from one of the PSU's accounts (executed at once). */
  private async decidePayment(
    session: PsuSession,
    psuId: string,
    paymentId: string,
    params: { decision: string | undefined; accounts: string[]; dynamicLink?: string | undefined },
  ): Promise<DecisionResult> {
    if (params.decision !== 'approve' && params.decision !== 'deny') {
      throw new AuthorizationPageError(400, 'Choose whether to approve or deny the payment.');
    }
    const payments = this.paymentPort();
    const payment = await this.loadPayment(session, paymentId);
    const redirect = new URL(session.redirectUri);
    const notAwaiting = new AuthorizationPageError(
      400,
      'This payment has already been answered or cancelled, so it cannot be authorised again.',
      `payment ${paymentId} no longer RCVD`,
    );

    if (params.decision === 'deny') {
      await this.claimSession(session);
      if ((await payments.reject(paymentId, psuId)) === 'notAwaiting') throw notAwaiting;
      this.deps.logger?.info({ event: 'oauth.payment_denied', paymentId });
      redirect.searchParams.set('error', 'access_denied');
      redirect.searchParams.set('error_description', 'The PSU refused the payment');
      redirect.searchParams.set('state', session.state);
      redirect.searchParams.set('iss', this.issuer);
      return { kind: 'redirect', location: redirect.toString() };
    }

    if (params.dynamicLink === undefined || !secretToken.equals(params.dynamicLink, dynamicLinkOf(payment))) {
      throw new AuthorizationPageError(
        400,
        'The payment shown to you does not match the payment to be made. Nothing was paid. Return to the app you came from and start again.',
        'dynamic link missing or different',
      );
    }
    const accounts = await payments.debtorAccountsOf(psuId, payment);
    let debtorIban: string;
    if (payment.debtorIban !== undefined) {
      if (!accounts.some((a) => a.iban === payment.debtorIban)) {
        throw new AuthorizationPageError(
          403,
          'This payment would be made from an account that is not yours, so it cannot be approved.',
          'approve attempted on a payment naming a foreign debtor account',
        );
      }
      debtorIban = payment.debtorIban;
    } else {
      const picked = [...new Set(params.accounts)];
      const [chosen] = picked;
      if (chosen === undefined) {
        return {
          kind: 'payment',
          view: await this.paymentView(session, payment, psuId, session.psuName ?? '', 'noAccountSelected'),
        };
      }
      if (picked.length > 1 || !accounts.some((a) => a.iban === chosen)) {
        throw new AuthorizationPageError(
          400,
          'Choose one of your own accounts.',
          'foreign or several IBANs posted',
        );
      }
      debtorIban = chosen;
    }

    await this.claimSession(session);
    if ((await payments.approve(paymentId, psuId, debtorIban)) === 'notAwaiting') throw notAwaiting;
    const code = secretToken.generate();
    const now = this.now();
    await this.repo.createGrant({
      id: randomUUID(),
      codeHash: secretToken.hash(code),
      clientId: session.clientId,
      redirectUri: session.redirectUri,
      codeChallenge: session.codeChallenge,
      consentId: session.consentId,
      psuId,
      codeExpiresAt: new Date(now.getTime() + this.codeTtl * 1000),
      codeUsedAt: null,
      revokedAt: null,
      createdAt: now,
    });
    this.deps.logger?.info({ event: 'oauth.payment_approved', paymentId });
    redirect.searchParams.set('code', code);
    redirect.searchParams.set('state', session.state);
    redirect.searchParams.set('iss', this.issuer);
    return { kind: 'redirect', location: redirect.toString() };
  }

  /** Exactly one decision per session, even if the form is posted twice at once. */
  private async claimSession(session: PsuSession): Promise<void> {
    if (!(await this.repo.deleteSession(session.idHash))) {
      throw new AuthorizationPageError(403, 'This request was already answered.', 'session claimed twice');
    }
  }

  private async consentView(
    session: PsuSession,
    consent: ConsentForAuthorisation,
    psuId: string,
    psuName: string,
    selected: string[],
  ): Promise<ConsentView> {
    const accounts = await this.deps.psus.accountsOf(psuId, consent);
    const byIban = new Map(accounts.map((a) => [a.iban, a]));
    const named = namedIbans(consent);
    let access: ConsentAccessView;
    if (named.length === 0) {
      access = {
        kind: 'choose',
        scope:
          consent.access.allPsd2 !== undefined
            ? 'allPsd2'
            : consent.access.availableAccounts !== undefined
              ? 'availableAccounts'
              : 'bankOffered',
        accounts,
        selected,
      };
    } else if (named.some((iban) => !byIban.has(iban))) {
      access = { kind: 'notYours', ibans: named.filter((iban) => !byIban.has(iban)) };
    } else {
      const has = (list: string[] | undefined, iban: string): boolean => list?.includes(iban) ?? false;
      access = {
        kind: 'named',
        accounts: named.map((iban) => ({
          iban,
          account: byIban.get(iban),
          details: true,
          balances: has(consent.access.balances, iban),
          transactions: has(consent.access.transactions, iban),
        })),
      };
    }
    return {
      csrfToken: session.csrfToken,
      tpp: tppView(consent),
      psuName,
      redirectUri: session.redirectUri,
      access,
      validUntil: consent.validUntil,
      frequencyPerDay: consent.frequencyPerDay,
      recurringIndicator: consent.recurringIndicator,
    };
  }
}

function authenticateClient(client: TppIdentity, form: OAuthForm): void {
  const clientId = form.client_id;
  // RFC 8705 §2: clients using mutual-TLS authentication send client_id on every request.
  if (clientId === undefined || clientId === '') {
    throw new OAuthError('invalid_request', 'client_id is required (tls_client_auth)');
  }
  if (clientId !== client.organizationIdentifier) {
    throw new OAuthError(
      'invalid_client',
      'client_id does not match the organizationIdentifier of the client certificate',
    );
  }
}

function required(form: OAuthForm, name: string): string {
  const value = form[name];
  if (value === undefined || value === '') throw new OAuthError('invalid_request', `${name} is required`);
  return value;
}

function assertAwaitingDecision(consent: ConsentForAuthorisation): void {
  if (consent.status !== 'received') {
    throw new AuthorizationPageError(
      400,
      'This consent has already been answered or has ended, so it cannot be authorised again.',
      `consent ${consent.consentId} in status ${consent.status}`,
    );
  }
}

function assertPaymentAwaitingDecision(payment: PaymentForAuthorisation): void {
  if (!payment.awaitingAuthorisation) {
    throw new AuthorizationPageError(
      400,
      'This payment has already been answered or cancelled, so it cannot be authorised again.',
      `payment ${payment.paymentId} not awaiting authorisation`,
    );
  }
}

function paymentTppView(payment: PaymentForAuthorisation): TppView {
  return {
    name: payment.tppName,
    organizationIdentifier: payment.tppOrganizationIdentifier,
    ncaName: payment.tppNcaName,
    ncaId: payment.tppNcaId,
  };
}

function tppView(consent: ConsentForAuthorisation): TppView {
  return {
    name: consent.tppName,
    organizationIdentifier: consent.tppOrganizationIdentifier,
    ncaName: consent.tppNcaName,
    ncaId: consent.tppNcaId,
  };
}

/** Every IBAN the consent names, in first-mention order. */
function namedIbans(consent: ConsentForAuthorisation): string[] {
  const { accounts = [], balances = [], transactions = [] } = consent.access;
  return [...new Set([...accounts, ...balances, ...transactions])];
}

function endOfDay(isoDate: string): number {
  const t = Date.parse(`${isoDate}T23:59:59.999Z`);
  return Number.isNaN(t) ? Number.POSITIVE_INFINITY : t;
}
