/**
 * Gets Alice what a real TPP holds before it reads balances: a consent created over mTLS, authorised by
 * the PSU (anna) through the gateway's own pages, and a certificate-bound access token from the code.
 */
import { randomUUID } from 'node:crypto';
import { TppClient, type TppResponse } from '../client/tpp_client';
import { DEFAULT_CONTRACT } from '../conformance/gateway_contract';
import { actAsPsu } from '../conformance/psu_agent';
import { newPkce } from '../conformance/tpp_flows';
import type { BenchPki } from './bench_pki';
import { readSandboxBankFixture } from '../accounts/sandbox_bank';

function sandboxTotpSeed(psuId: string): string {
  const psu = readSandboxBankFixture().psus.find((p) => p.psuId === psuId);
  if (psu === undefined) throw new Error(`bench setup: no sandbox PSU ${psuId}`);
  return psu.totpSeed;
}

export const BENCH_PSU = { username: 'anna', password: 'sandbox-anna' } as const;
export const ALICE_REDIRECT_URI = 'https://api.bank-of-alice.example/callback';
export const ALICE_CLIENT_ID = 'PSDDE-BAFIN-123456';
/** Reads carrying PSU-IP-Address are PSU-initiated, so frequencyPerDay does not cut the run short. */
export const PSU_IP_ADDRESS = '192.0.2.10';

export interface ReadSession {
  consentId: string;
  accessToken: string;
  accountId: string;
  /** GET path and headers of the authenticated balances read. */
  path: string;
  headers: Record<string, string>;
}

function fail(step: string, res: TppResponse): never {
  throw new Error(`bench setup: ${step} answered ${res.status}: ${res.body.slice(0, 300)}`);
}

/** Headers of an authenticated read; the load generator adds a fresh X-Request-ID to each request. */
export function readHeaders(consentId: string, accessToken: string): Record<string, string> {
  return {
    'Consent-ID': consentId,
    Authorization: `Bearer ${accessToken}`,
    'PSU-IP-Address': PSU_IP_ADDRESS,
    Accept: 'application/json',
  };
}

export async function authorisedReadSession(
  pki: Pick<BenchPki, 'anchorPem' | 'alice'>,
  baseUrl: string,
): Promise<ReadSession> {
  const alice = new TppClient({
    baseUrl,
    anchorPem: pki.anchorPem,
    certChainPem: pki.alice.certChainPem,
    keyPem: pki.alice.keyPem,
    serverName: 'localhost',
  });
  const browser = new TppClient({ baseUrl, anchorPem: pki.anchorPem, serverName: 'localhost' });

  const created = await alice.request({
    method: 'POST',
    path: '/v1/consents',
    headers: {
      'X-Request-ID': randomUUID(),
      'TPP-Redirect-URI': ALICE_REDIRECT_URI,
      'PSU-IP-Address': PSU_IP_ADDRESS,
    },
    json: DEFAULT_CONTRACT.consentBody({ frequencyPerDay: 4 }),
  });
  const consentId = (created.json as { consentId?: unknown } | undefined)?.consentId;
  if (created.status !== 201 || typeof consentId !== 'string') fail('POST /v1/consents', created);

  const pkce = newPkce();
  const state = randomUUID();
  const authorize = new URL('/oauth2/authorize', baseUrl);
  const q = authorize.searchParams;
  q.set('response_type', 'code');
  q.set('client_id', ALICE_CLIENT_ID);
  q.set('redirect_uri', ALICE_REDIRECT_URI);
  q.set('scope', DEFAULT_CONTRACT.scopeFor(consentId));
  q.set('state', state);
  q.set('code_challenge', pkce.challenge);
  q.set('code_challenge_method', 'S256');
  const outcome = await actAsPsu({
    client: browser,
    startUrl: authorize.href,
    redirectUri: ALICE_REDIRECT_URI,
    username: BENCH_PSU.username,
    password: BENCH_PSU.password,
    totpSeed: sandboxTotpSeed(BENCH_PSU.username),
    decision: 'approve',
    fields: DEFAULT_CONTRACT.psuForm,
    maxSteps: DEFAULT_CONTRACT.maxPsuSteps,
  });
  if (outcome.kind !== 'redirected' || outcome.code === null || outcome.state !== state) {
    throw new Error(
      `bench setup: PSU authorisation did not return a code (${outcome.kind === 'stopped' ? outcome.reason : (outcome.error ?? 'no code')}) [${outcome.trail.join('; ')}]`,
    );
  }

  const token = await alice.request({
    method: 'POST',
    path: '/oauth2/token',
    form: {
      grant_type: 'authorization_code',
      code: outcome.code,
      redirect_uri: ALICE_REDIRECT_URI,
      code_verifier: pkce.verifier,
      client_id: ALICE_CLIENT_ID,
    },
  });
  const accessToken = (token.json as { access_token?: unknown } | undefined)?.access_token;
  if (token.status !== 200 || typeof accessToken !== 'string') fail('POST /oauth2/token', token);

  const list = await alice.request({
    path: '/v1/accounts',
    headers: { 'X-Request-ID': randomUUID(), ...readHeaders(consentId, accessToken) },
  });
  const accounts = (list.json as { accounts?: { resourceId?: unknown }[] } | undefined)?.accounts ?? [];
  const accountId = accounts[0]?.resourceId;
  if (list.status !== 200 || typeof accountId !== 'string') fail('GET /v1/accounts', list);

  const path = `/v1/accounts/${encodeURIComponent(accountId)}/balances`;
  const headers = readHeaders(consentId, accessToken);
  const probe = await alice.request({ path, headers: { ...headers, 'X-Request-ID': randomUUID() } });
  if (probe.status !== 200) fail(`GET ${path}`, probe);
  return { consentId, accessToken, accountId, path, headers };
}
