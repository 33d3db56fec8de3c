import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { matchesDnsId, checkServerIdentity } from '../../src/client/check_server_identity';
import { ServerVerificationError, TppClient } from '../../src/client/tpp_client';
import { buildTestPki, chainPem, issue, SERVER_AUTH, type TestCert, type TestPki } from './test_pki';

let pki: TestPki;
const servers: https.Server[] = [];

/** A TLS server on 127.0.0.1 that reports which client certificate it saw. */
async function serve(certs: TestCert[]): Promise<string> {
  const leaf = certs[0];
  if (leaf === undefined) throw new Error('no server certificate');
  const server = https.createServer(
    {
      cert: chainPem(...certs),
      key: leaf.keyPem,
      ca: [pki.trentRoot.certPem],
      requestCert: true,
      rejectUnauthorized: false,
    },
    (req, res) => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ subject: peer.subject?.CN ?? null, path: req.url }));
    },
  );
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  pki = await buildTestPki();
});

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

describe('TppClient against real TLS servers', () => {
  it("talks to Bob's Bank (Trent certificate for localhost), presenting Alice's QWAC", async () => {
    const url = await serve([pki.bobServer, pki.trentIssuing]);
    const client = new TppClient({
      baseUrl: url,
      serverName: 'localhost',
      anchorPem: pki.trentRoot.certPem,
      certChainPem: chainPem(pki.alice, pki.trentIssuing),
      keyPem: pki.alice.keyPem,
    });
    const res = await client.request({ path: '/v1/accounts?x=1', headers: { 'X-Request-ID': 'r' } });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ subject: 'Bank of Alice', path: '/v1/accounts?x=1' });
    expect(res.requestLine).toBe('GET /v1/accounts?x=1');
    expect(res.connection.protocol).toBe('TLSv1.3');
    expect(res.connection.serverAuthorized).toBe(true);
    expect(res.connection.serverChain[0]?.equals(pki.bobServer.der)).toBe(true);
    expect(res.connection.certificatePresented).toBe(true);
  });

  it('matches an IP target against the SAN iPAddress', async () => {
    const url = await serve([pki.bobServer, pki.trentIssuing]);
    const client = new TppClient({ baseUrl: url, anchorPem: pki.trentRoot.certPem });
    const res = await client.request({ path: '/' });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ subject: null, path: '/' });
    expect(res.connection.certificatePresented).toBe(false);
  });

  it('can negotiate TLS 1.2 with a given cipher list', async () => {
    const url = await serve([pki.bobServer, pki.trentIssuing]);
    const client = new TppClient({
      baseUrl: url,
      serverName: 'localhost',
      anchorPem: pki.trentRoot.certPem,
      tls: { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' },
    });
    const facts = await client.handshake();
    expect(facts.protocol).toBe('TLSv1.2');
    expect(facts.cipher).toBe('TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256');
  });

  it("refuses Mallory posing as Bob's Bank with a certificate from her own CA (handshake error)", async () => {
    const url = await serve([pki.malloryServer]);
    const client = new TppClient({ baseUrl: url, serverName: 'localhost', anchorPem: pki.trentRoot.certPem });
    const error = await client.request({ path: '/' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerVerificationError);
    expect((error as ServerVerificationError).kind).toBe('chain');
  });

  it('refuses a genuine Trent certificate issued for another host (identity error)', async () => {
    const url = await serve([pki.trentOtherHost, pki.trentIssuing]);
    const client = new TppClient({ baseUrl: url, serverName: 'localhost', anchorPem: pki.trentRoot.certPem });
    const error = await client.request({ path: '/' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerVerificationError);
    expect((error as ServerVerificationError).kind).toBe('identity');
    expect((error as Error).message).toContain('other.example');
  });

  it('refuses a certificate with CN=localhost but no subjectAltName (no CN fallback)', async () => {
    const url = await serve([pki.trentCnOnly, pki.trentIssuing]);
    const client = new TppClient({ baseUrl: url, serverName: 'localhost', anchorPem: pki.trentRoot.certPem });
    const error = await client.request({ path: '/' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerVerificationError);
    expect((error as Error).message).toMatch(/no subjectAltName dNSName/);
  });

  it('does not use system roots: a server chain is only trusted through the given anchor', async () => {
    const url = await serve([pki.bobServer, pki.trentIssuing]);
    const client = new TppClient({
      baseUrl: url,
      serverName: 'localhost',
      anchorPem: pki.malloryRoot.certPem,
    });
    await expect(client.request({ path: '/' })).rejects.toBeInstanceOf(ServerVerificationError);
  });

  it('reports a failing server in the facts instead of refusing when verifyServer is false', async () => {
    const url = await serve([pki.malloryServer]);
    const client = new TppClient({
      baseUrl: url,
      serverName: 'localhost',
      anchorPem: pki.trentRoot.certPem,
      verifyServer: false,
    });
    const facts = await client.handshake();
    expect(facts.serverAuthorized).toBe(false);
    expect(facts.serverAuthorizationError).toBeDefined();
  });
});

describe('checkServerIdentity', () => {
  it('ignores a dNSName that spells the IP address when the target is an IP', async () => {
    const cert = await issue({
      subject: 'CN=127.0.0.1',
      issuer: pki.trentIssuing,
      dns: ['127.0.0.1'],
      eku: [SERVER_AUTH],
    });
    expect(checkServerIdentity('127.0.0.1', cert.der)).toBeInstanceOf(Error);
    expect(checkServerIdentity('127.0.0.1', pki.bobServer.der)).toBeUndefined();
  });

  it('matches IPv6 addresses byte for byte', async () => {
    const cert = await issue({ subject: 'CN=v6', issuer: pki.trentIssuing, ips: ['::1'] });
    expect(checkServerIdentity('[0:0:0:0:0:0:0:1]', cert.der)).toBeUndefined();
    expect(checkServerIdentity('::2', cert.der)).toBeInstanceOf(Error);
    expect(checkServerIdentity('localhost', cert.der)).toBeInstanceOf(Error);
  });

  it('accepts a trailing dot and ignores case', () => {
    expect(checkServerIdentity('LOCALHOST.', pki.bobServer.der)).toBeUndefined();
  });

  it.each([
    ['bank.example', 'bank.example', true],
    ['Bank.Example', 'bank.example', true],
    ['bank.example.', 'bank.example', true],
    ['bank.example', 'bank.example.', true],
    ['bank.example', 'other.example', false],
    ['*.bank.example', 'api.bank.example', true],
    ['*.bank.example', 'API.Bank.Example.', true],
    ['*.bank.example', 'bank.example', false],
    ['*.bank.example', 'a.b.bank.example', false],
    ['*.bank.example', '.bank.example', false],
    ['*.example', 'bank.example', false],
    ['*', 'bank', false],
    ['a*.bank.example', 'ab.bank.example', false],
    ['*a.bank.example', 'ba.bank.example', false],
    ['api.*.example', 'api.bank.example', false],
    ['**.bank.example', 'a.bank.example', false],
    ['*.*.example', 'a.b.example', false],
    ['bank.example', '*.example', false],
    ['', 'bank.example', false],
  ])('presented %j vs reference %j -> %s', (presented, reference, expected) => {
    expect(matchesDnsId(presented, reference)).toBe(expected);
  });
});
