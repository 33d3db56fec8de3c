/**
 * The gateway over real TLS with GATEWAY_REQUIRE_SIGNATURE: TppClient signing with Alice's fixture QSealC is
 * served and leaves a `signature_verified` evidence event in the log that re-verifies; without the variable,
 * signature headers are ignored as the standard says.
 */
import { randomUUID, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/audit/logger';
import { TppClient } from '../../src/client/tpp_client';
import { FIXTURE_FILES } from '../../src/fixtures/fixture_pki';
import type { RunningGateway } from '../../src/gateway';
import { startTestGateway } from '../helpers/test_gateway';
import { testPkiDir, testPkiFiles } from '../helpers/test_pki';

const clients = (): string => path.join(testPkiDir(), FIXTURE_FILES.clientsDir);
const file = (name: string): string => readFileSync(path.join(clients(), name), 'utf8');

const CONSENT = {
  access: { accounts: [], balances: [], transactions: [] },
  recurringIndicator: true,
  validUntil: '2030-12-31',
  frequencyPerDay: 4,
};
const REDIRECT = 'https://api.bank-of-alice.example/callback';

async function gatewayWith(env: Record<string, string>, logLines: string[]): Promise<RunningGateway> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'psd2-signed-'));
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(
        ...chunk
          .toString()
          .split('\n')
          .filter((l) => l !== ''),
      );
      done();
    },
  });
  const gateway = await startTestGateway(`sqlite:${path.join(dir, 'gateway.db')}`, env, {
    logger: createLogger('info', sink),
  });

  const close = gateway.close.bind(gateway);
  gateway.close = async () => {
    await close();
    rmSync(dir, { recursive: true, force: true });
  };
  return gateway;
}

function alice(gateway: RunningGateway, sealed: boolean): TppClient {
  return new TppClient({
    baseUrl: gateway.url,
    serverName: 'localhost',
    anchorPem: readFileSync(testPkiFiles().anchor),
    certChainPem: file('alice.chain.pem'),
    keyPem: file('alice.key.pem'),
    ...(sealed
      ? { seal: { certificate: file('alice-seal.chain.pem'), privateKey: file('alice-seal.key.pem') } }
      : {}),
  });
}

describe('GATEWAY_REQUIRE_SIGNATURE=true', () => {
  let gateway: RunningGateway;
  const log: string[] = [];

  beforeAll(async () => {
    gateway = await gatewayWith({ GATEWAY_REQUIRE_SIGNATURE: 'true' }, log);
  });
  afterAll(async () => gateway?.close());

  it('serves a request TppClient signed with the QSealC and logs evidence that re-verifies', async () => {
    const requestId = randomUUID();
    const res = await alice(gateway, true).request({
      method: 'POST',
      path: '/v1/consents',
      headers: { 'X-Request-ID': requestId, 'TPP-Redirect-URI': REDIRECT },
      json: CONSENT,
    });
    expect(res.status).toBe(201);
    const event = log
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((e) => e.event === 'signature_verified' && e.requestId === requestId);
    expect(event).toMatchObject({
      organizationIdentifier: 'PSDDE-BAFIN-123456',
      signedHeaders: ['digest', 'x-request-id', 'tpp-redirect-uri'],
      scheme: 'ecdsa-sha256',
    });
    const evidence = event as { signingString: string; signature: string; certificate: string };
    const certificate = `-----BEGIN CERTIFICATE-----\n${evidence.certificate}\n-----END CERTIFICATE-----\n`;
    expect(
      verify(
        'sha256',
        Buffer.from(evidence.signingString),
        certificate,
        Buffer.from(evidence.signature, 'base64'),
      ),
    ).toBe(true);
  });

  it('refuses the same request unsigned with 401 SIGNATURE_MISSING', async () => {
    const res = await alice(gateway, false).request({
      method: 'POST',
      path: '/v1/consents',
      headers: { 'X-Request-ID': randomUUID(), 'TPP-Redirect-URI': REDIRECT },
      json: CONSENT,
    });
    expect(res.status).toBe(401);
    expect(res.json).toMatchObject({ tppMessages: [{ code: 'SIGNATURE_MISSING' }] });
  });

  it('digests a body of another media type as received, then validation answers', async () => {
    const res = await alice(gateway, true).request({
      method: 'POST',
      path: '/v1/consents',
      headers: { 'X-Request-ID': randomUUID(), 'TPP-Redirect-URI': REDIRECT, 'Content-Type': 'text/plain' },
      body: 'not json',
    });
    // The signature verified over the bytes sent; the request is then refused for what it is.
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ tppMessages: [{ code: 'FORMAT_ERROR' }] });
  });

  it('checks a signed read before the consent lookup and lets it through to it', async () => {
    const res = await alice(gateway, true).request({
      path: `/v1/consents/${randomUUID()}`,
      headers: { 'X-Request-ID': randomUUID() },
    });
    // The signature verified (empty body), so the consent lookup answered: not a signature code.
    expect(res.status).toBe(403);
    expect(res.json).toMatchObject({ tppMessages: [{ code: 'CONSENT_UNKNOWN' }] });
  });
});

describe('GATEWAY_REQUIRE_SIGNATURE unset', () => {
  let gateway: RunningGateway;

  beforeAll(async () => {
    gateway = await gatewayWith({}, []);
  });
  afterAll(async () => gateway?.close());

  it('ignores signature headers, even broken ones', async () => {
    const res = await alice(gateway, false).request({
      method: 'POST',
      path: '/v1/consents',
      headers: {
        'X-Request-ID': randomUUID(),
        'TPP-Redirect-URI': REDIRECT,
        Signature: 'not a signature',
        Digest: 'SHA-256=wrong',
      },
      json: CONSENT,
    });
    expect(res.status).toBe(201);
  });
});
