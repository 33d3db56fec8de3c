import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mtlsRequest } from './mtls_request';
import { clientCredentials, testPkiFiles } from './test_pki';

export const ALICE_ID = 'PSDDE-BAFIN-123456';
/** Alice's callback host does not exist on this machine: browser tests answer it by interception. */
export const ALICE_REDIRECT_URI = 'https://api.bank-of-alice.example/callback';
export const ANNA_CURRENT = 'DE37100200300000123401';

/** Alice, the TPP, over mutual TLS with her QWAC, against the gateway at `gatewayUrl()`. */
export function aliceTpp(gatewayUrl: () => string) {
  const request = (
    method: string,
    pathAndQuery: string,
    headers: Record<string, string> = {},
    body?: string,
  ) =>
    mtlsRequest({
      url: `${gatewayUrl()}${pathAndQuery}`,
      ca: readFileSync(testPkiFiles().anchor),
      credentials: clientCredentials('alice'),
      method,
      headers: { 'X-Request-ID': randomUUID(), ...headers },
      ...(body !== undefined ? { body } : {}),
    });

  const exchangeCode = (code: string, verifier: string) =>
    request(
      'POST',
      '/oauth2/token',
      { 'Content-Type': 'application/x-www-form-urlencoded' },
      new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: ALICE_ID,
        code,
        redirect_uri: ALICE_REDIRECT_URI,
        code_verifier: verifier,
      }).toString(),
    );

  /** A recurring consent to Anna's current account (details and balances); its id. */
  async function createConsent(): Promise<string> {
    const response = await request(
      'POST',
      '/v1/consents',
      { 'Content-Type': 'application/json', 'TPP-Redirect-URI': ALICE_REDIRECT_URI },
      JSON.stringify({
        access: { accounts: [{ iban: ANNA_CURRENT }], balances: [{ iban: ANNA_CURRENT }] },
        recurringIndicator: true,
        validUntil: new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10),
        frequencyPerDay: 4,
      }),
    );
    if (response.status !== 201) throw new Error(`consent not created: ${response.status}`);
    return (response.json as { consentId: string }).consentId;
  }

  return { request, exchangeCode, createConsent };
}
