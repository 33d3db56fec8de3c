/**
 * Test-only fixtures for running the suite: a trust anchor, identities written in the layout the suite
 * reads (`<id>.chain.pem` / `<id>.key.pem`), a client_cases.json, and HTTPS targets on 127.0.0.1.
 */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import type { ClientCaseRow } from '../../src/conformance/client_cases';
import { buildTestPki, chainPem, CLIENT_AUTH, issue, type TestCert, type TestPki } from '../client/test_pki';

export interface SuiteFixtures {
  dir: string;
  pki: TestPki;
  anchorFile: string;
  identitiesDir: string;
  casesFile: string;
  rows: ClientCaseRow[];
}

const DAY = 86_400_000;

export async function buildSuiteFixtures(): Promise<SuiteFixtures> {
  const pki = await buildTestPki();
  const dir = mkdtempSync(path.join(tmpdir(), 'conformance-'));
  const identitiesDir = path.join(dir, 'clients');
  mkdirSync(identitiesDir);
  const write = (id: string, leaf: TestCert, ...rest: TestCert[]): void => {
    writeFileSync(path.join(identitiesDir, `${id}.chain.pem`), chainPem(leaf, ...rest));
    writeFileSync(path.join(identitiesDir, `${id}.key.pem`), leaf.keyPem);
  };
  write('alice', pki.alice, pki.trentIssuing);
  write('carol', pki.carol, pki.trentIssuing);
  write('self-signed-alice-subject', pki.selfSignedAlice);
  write('mallory-copied-names', pki.malloryAlice, pki.malloryRoot);
  write('leaf-without-intermediate', pki.alice);
  const expired = await issue({
    subject: 'CN=Expired,2.5.4.97=PSDDE-BAFIN-999999,C=DE',
    issuer: pki.trentIssuing,
    eku: [CLIENT_AUTH],
    notBefore: new Date(Date.now() - 60 * DAY),
    notAfter: new Date(Date.now() - DAY),
  });
  write('expired', expired, pki.trentIssuing);
  // Seal identities for the signatures group. The targets these fixtures serve judge no seal, so any
  // certificate with its key stands in; the real QSealCs are the gateway's fixtures (build_seal_cases.ts).
  write('alice-seal', pki.alice, pki.trentIssuing);
  write('carol-seal', pki.carol, pki.trentIssuing);
  write('alice-seal-pi-only', pki.alice, pki.trentIssuing);
  write('mallory-seal', pki.malloryAlice, pki.malloryRoot);
  write('expired-seal', expired, pki.trentIssuing);
  write('revoked-seal', pki.alice, pki.trentIssuing);
  const rows: ClientCaseRow[] = [
    { id: 'alice', title: 'Bank of Alice (valid)', expect: { status: 200, code: null } },
    { id: 'carol', title: 'Carol (valid)', expect: { status: 200, code: null } },
    {
      id: 'self-signed-alice-subject',
      title: "Self-signed with Alice's subject",
      expect: { status: 401, code: 'CERTIFICATE_INVALID' },
    },
    {
      id: 'mallory-copied-names',
      title: "Mallory's CA, Alice's names",
      expect: { status: 401, code: 'CERTIFICATE_INVALID' },
    },
    {
      id: 'leaf-without-intermediate',
      title: 'Leaf without its intermediate',
      expect: { status: 401, code: 'CERTIFICATE_INVALID' },
    },
    { id: 'expired', title: 'Expired leaf', expect: { status: 401, code: 'CERTIFICATE_EXPIRED' } },
    { id: 'no-certificate', title: 'No certificate', expect: { status: 401, code: 'CERTIFICATE_MISSING' } },
  ];
  const casesFile = path.join(dir, 'client_cases.json');
  writeFileSync(casesFile, JSON.stringify(rows, null, 2));
  const anchorFile = path.join(dir, 'trent-root.pem');
  writeFileSync(anchorFile, pki.trentRoot.certPem);
  return { dir, pki, anchorFile, identitiesDir, casesFile, rows };
}

export async function listen(server: https.Server): Promise<string> {
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Accepts any client certificate (or none), TLS 1.0 to 1.3 with every suite, and answers 200 {}. */
export function permissiveTarget(pki: TestPki): https.Server {
  return https.createServer(
    {
      cert: chainPem(pki.bobServer, pki.trentIssuing),
      key: pki.bobServer.keyPem,
      requestCert: true,
      rejectUnauthorized: false,
      minVersion: 'TLSv1',
      ciphers: 'ALL:@SECLEVEL=0',
    },
    (_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end('{}');
    },
  );
}

/** Answers 401 CERTIFICATE_MISSING when no certificate arrived on the connection, else 200 {}. */
export function certificateRequiredHandler(
  req: import('node:http').IncomingMessage,
  res: import('node:http').ServerResponse,
): void {
  const peer = (req.socket as TLSSocket).getPeerCertificate();
  res.setHeader('content-type', 'application/json');
  if (peer === null || peer.raw === undefined) {
    res.statusCode = 401;
    res.end(
      JSON.stringify({
        tppMessages: [{ category: 'ERROR', code: 'CERTIFICATE_MISSING', text: 'No client certificate' }],
      }),
    );
    return;
  }
  res.end('{}');
}
