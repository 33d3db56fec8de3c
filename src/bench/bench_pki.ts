/**
 * The certificates every scenario of one bench run shares: Trent's fixture PKI generated into a
 * temporary directory (never the developer's fixtures/pki), Alice's and Mallory's client chains, and
 * Bob's server certificate. All keys are P-256.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fixtureCase, generateFixturePki, type FixturePki } from '../fixtures/fixture_pki';

export interface ClientCredentials {
  id: string;
  /** PEM: leaf first, then the intermediates the client sends. */
  certChainPem: string;
  keyPem: string;
}

export interface BenchPki {
  dir: string;
  fixture: FixturePki;
  anchorPem: string;
  serverChainPem: string;
  serverKeyPem: string;
  alice: ClientCredentials;
  mallory: ClientCredentials;
}

function credentials(pki: FixturePki, id: string): ClientCredentials {
  const found = fixtureCase(pki, id);
  return {
    id,
    certChainPem: readFileSync(found.chainFile, 'utf8'),
    keyPem: readFileSync(found.keyFile, 'utf8'),
  };
}

export async function prepareBenchPki(dir: string): Promise<BenchPki> {
  const fixture = await generateFixturePki({
    outDir: path.join(dir, 'pki'),
    trustAnchorDir: path.join(dir, 'trust-anchors'),
  });
  return {
    dir,
    fixture,
    anchorPem: readFileSync(fixture.trustAnchorFile, 'utf8'),
    serverChainPem: readFileSync(fixture.serverChainFile, 'utf8'),
    serverKeyPem: readFileSync(fixture.serverKeyFile, 'utf8'),
    alice: credentials(fixture, 'alice'),
    mallory: credentials(fixture, 'mallory-copied-names'),
  };
}

/** What a server child needs to start the gateway on this PKI. */
export function gatewayEnv(pki: BenchPki, databaseUrl: string, port: number): Record<string, string> {
  return {
    GATEWAY_MODE: 'development',
    GATEWAY_TRUST_ANCHOR: pki.fixture.trustAnchorFile,
    GATEWAY_TLS_CERT: pki.fixture.serverChainFile,
    GATEWAY_TLS_KEY: pki.fixture.serverKeyFile,
    GATEWAY_CRL: [pki.fixture.issuingCaCrlFile, pki.fixture.rootCrlFile].join(','),
    GATEWAY_DATABASE_URL: databaseUrl,
    GATEWAY_LOG_LEVEL: 'silent',
    GATEWAY_HOST: '127.0.0.1',
    GATEWAY_PORT: String(port),
    GATEWAY_PUBLIC_URL: `https://localhost:${port}`,
  };
}
