/**
 * The TPP side of the Berlin Group OAuth SCA approach, as shared steps for the cases: create a consent,
 * send the PSU through the authorisation page, redeem the code with PKCE, read accounts. Any step that
 * does not go as the contract says throws PrerequisiteFailed naming the step, so dependent cases SKIP
 * with a reason instead of failing for someone else's fault.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { TppResponse } from '../client/tpp_client';
import { PrerequisiteFailed } from './conformance_case';
import { actAsPsu, type PsuOutcome } from './psu_agent';
import { describe, type SuiteContext } from './suite_context';

export interface Pkce {
  verifier: string;
  challenge: string;
}

export function newPkce(): Pkce {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export interface CreatedConsent {
  consentId: string;
  response: TppResponse;
}

export interface AuthorisationCode {
  identity: string;
  consentId: string;
  code: string;
  state: string;
  pkce: Pkce;
  outcome: PsuOutcome;
}

export interface AuthorisedConsent {
  identity: string;
  consentId: string;
  accessToken: string;
  tokenResponse: TppResponse;
}

export interface AuthoriseOptions {
  decision?: 'approve' | 'deny';
  /** Leave out code_challenge (to check that PKCE is mandatory). */
  withoutPkce?: boolean;
  password?: string;
  /** Another scope than the consent's, e.g. a payment's `PIS:<paymentId>`. */
  scope?: string;
}

export class TppFlows {
  constructor(private readonly ctx: SuiteContext) {}

  clientId(identity: string): string {
    const id = this.ctx.identities.require(identity);
    if (id.organizationIdentifier === undefined) {
      throw new PrerequisiteFailed(`identity ${identity} has no organizationIdentifier to use as client_id`);
    }
    return id.organizationIdentifier;
  }

  async createConsent(identity: string, frequencyPerDay = 4): Promise<CreatedConsent> {
    const { contract } = this.ctx;
    const res = await this.ctx.send(identity, {
      method: 'POST',
      path: contract.consentsPath,
      headers: { 'TPP-Redirect-URI': contract.redirectUri, 'PSU-IP-Address': '192.0.2.10' },
      json: contract.consentBody({ frequencyPerDay }),
    });
    const consentId = (res.json as { consentId?: unknown } | undefined)?.consentId;
    if (res.status !== 201 || typeof consentId !== 'string' || consentId === '') {
      throw new PrerequisiteFailed(
        `consent could not be created: POST ${contract.consentsPath} answered ${describe(res)}`,
      );
    }
    return { consentId, response: res };
  }

  /** RFC 8414 metadata, fetched once per run without a client certificate. */
  metadata(): Promise<{ res: TppResponse; doc: Record<string, unknown> }> {
    return this.ctx.memo('oauth-metadata', async () => {
      const res = await this.ctx.send(null, { path: this.ctx.contract.metadataPath });
      const doc = res.json;
      if (res.status !== 200 || typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
        throw new PrerequisiteFailed(
          `OAuth metadata unavailable: ${this.ctx.contract.metadataPath} answered ${describe(res)}`,
        );
      }
      return { res, doc: doc as Record<string, unknown> };
    });
  }

  /** An endpoint from the metadata when it is on the target's origin, else the contract's default path. */
  private async endpoint(field: string, fallback: string): Promise<URL> {
    let value: unknown;
    try {
      value = (await this.metadata()).doc[field];
    } catch {
      value = undefined;
    }
    const fromDoc = typeof value === 'string' ? new URL(value, this.ctx.target) : undefined;
    // The suite talks to the target it was given; a public URL behind a proxy maps to the same paths.
    return new URL(
      fromDoc !== undefined ? `${fromDoc.pathname}${fromDoc.search}` : fallback,
      this.ctx.target,
    );
  }

  authorizeUrl(params: {
    identity: string;
    consentId: string;
    state: string;
    pkce?: Pkce;
    scope?: string;
  }): Promise<URL> {
    return this.endpoint('authorization_endpoint', this.ctx.contract.authorizePath).then((url) => {
      const q = url.searchParams;
      q.set('response_type', 'code');
      q.set('client_id', this.clientId(params.identity));
      q.set('redirect_uri', this.ctx.contract.redirectUri);
      q.set('scope', params.scope ?? this.ctx.contract.scopeFor(params.consentId));
      q.set('state', params.state);
      if (params.pkce !== undefined) {
        q.set('code_challenge', params.pkce.challenge);
        q.set('code_challenge_method', 'S256');
      }
      return url;
    });
  }

  /** Sends the PSU through the authorisation page for `consentId`. */
  async authorise(
    identity: string,
    consentId: string,
    options: AuthoriseOptions = {},
  ): Promise<{ outcome: PsuOutcome; state: string; pkce: Pkce }> {
    const pkce = newPkce();
    const state = randomUUID();
    const url = await this.authorizeUrl({
      identity,
      consentId,
      state,
      ...(options.withoutPkce ? {} : { pkce }),
      ...(options.scope !== undefined ? { scope: options.scope } : {}),
    });
    const { contract } = this.ctx;
    const outcome = await actAsPsu({
      client: this.ctx.client(null),
      startUrl: url.href,
      redirectUri: contract.redirectUri,
      username: this.ctx.psu.username,
      password: options.password ?? this.ctx.psu.password,
      ...(this.ctx.psu.totpSeed !== undefined ? { totpSeed: this.ctx.psu.totpSeed } : {}),
      decision: options.decision ?? 'approve',
      fields: contract.psuForm,
      maxSteps: contract.maxPsuSteps,
      observe: (res) => this.ctx.observe(res),
    });
    return { outcome, state, pkce };
  }

  /** A fresh consent approved by the PSU: an unredeemed code. */
  async freshCode(identity: string, frequencyPerDay = 4): Promise<AuthorisationCode> {
    const { consentId } = await this.createConsent(identity, frequencyPerDay);
    const { outcome, state, pkce } = await this.authorise(identity, consentId);
    if (outcome.kind !== 'redirected' || outcome.code === null) {
      const why =
        outcome.kind === 'stopped'
          ? outcome.reason
          : `redirect without code (error=${outcome.error ?? 'none'})`;
      throw new PrerequisiteFailed(`consent could not be authorised: ${why} [${outcome.trail.join('; ')}]`);
    }
    if (outcome.state !== state) {
      throw new PrerequisiteFailed(
        `consent could not be authorised: state not returned unchanged (${outcome.state ?? 'none'})`,
      );
    }
    return { identity, consentId, code: outcome.code, state, pkce, outcome };
  }

  /** POST to the token endpoint as `identity` (its certificate authenticates the client). */
  async redeem(
    identity: string | null,
    code: AuthorisationCode,
    overrides: { verifier?: string; redirectUri?: string; clientId?: string } = {},
  ): Promise<TppResponse> {
    const url = await this.endpoint('token_endpoint', this.ctx.contract.tokenPath);
    return this.ctx.send(identity, {
      method: 'POST',
      path: url.href,
      form: {
        grant_type: 'authorization_code',
        code: code.code,
        redirect_uri: overrides.redirectUri ?? this.ctx.contract.redirectUri,
        code_verifier: overrides.verifier ?? code.pkce.verifier,
        client_id: overrides.clientId ?? this.clientId(code.identity),
      },
    });
  }

  async revoke(identity: string, token: string): Promise<TppResponse> {
    const url = await this.endpoint('revocation_endpoint', this.ctx.contract.revokePath);
    return this.ctx.send(identity, {
      method: 'POST',
      path: url.href,
      form: { token, token_type_hint: 'access_token', client_id: this.clientId(identity) },
    });
  }

  /** Creates, authorises and redeems; the access token for a valid consent. */
  async authorisedConsent(identity: string, frequencyPerDay = 4): Promise<AuthorisedConsent> {
    const code = await this.freshCode(identity, frequencyPerDay);
    const res = await this.redeem(identity, code);
    const token = (res.json as { access_token?: unknown } | undefined)?.access_token;
    if (res.status !== 200 || typeof token !== 'string') {
      throw new PrerequisiteFailed(
        `token could not be obtained: ${res.requestLine} answered ${describe(res)}`,
      );
    }
    return { identity, consentId: code.consentId, accessToken: token, tokenResponse: res };
  }

  /** One consent per (identity, purpose) for the whole run. */
  shared(identity: string, purpose: string, frequencyPerDay = 4): Promise<AuthorisedConsent> {
    return this.ctx.memo(`consent:${identity}:${purpose}`, () =>
      this.authorisedConsent(identity, frequencyPerDay),
    );
  }

  /** GET /v1/accounts for a consent, as `identity`, with the given token. */
  readAccounts(
    identity: string | null,
    consentId: string,
    accessToken: string | undefined,
    headers: Record<string, string> = {},
  ): Promise<TppResponse> {
    return this.ctx.send(identity, {
      path: this.ctx.contract.accountsPath,
      headers: {
        'Consent-ID': consentId,
        ...(accessToken !== undefined ? { Authorization: `Bearer ${accessToken}` } : {}),
        ...headers,
      },
    });
  }
}

const FLOWS = new WeakMap<SuiteContext, TppFlows>();

/** The flows for a run (one instance per context). */
export function flowsOf(ctx: SuiteContext): TppFlows {
  let flows = FLOWS.get(ctx);
  if (flows === undefined) {
    flows = new TppFlows(ctx);
    FLOWS.set(ctx, flows);
  }
  return flows;
}

/** Alice's consent that other TPPs try to reach; created once, never authorised or deleted. */
export function aliceTargetConsent(ctx: SuiteContext): Promise<CreatedConsent> {
  return ctx.memo('alice:target-consent', () => flowsOf(ctx).createConsent(ctx.roles.alice));
}
