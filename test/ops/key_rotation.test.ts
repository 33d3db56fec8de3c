/**
 * Rotation without restart. On the real process tree (two workers): after `kill -HUP` every new
 * connection gets the new server certificate while a keep-alive connection opened before finishes its
 * requests; a broken new file is refused and the material in use stays. In-process: the file watch picks
 * a new certificate up without a signal, and a new trust anchor takes effect for the next request.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate, randomUUID } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import type { RunningGateway } from '../../src/gateway';
import { createTestDatabase, type TestDatabase } from '../store/test_databases';
import { MainProcess } from '../helpers/main_process';
import { startTestGateway } from '../helpers/test_gateway';
import { clientCredentials, testPkiFiles } from '../helpers/test_pki';

jest.setTimeout(180_000);

/**
 * A new self-signed certificate for localhost: a server certificate (clients trusting only it reach only a
 * server using it), or with `ca` a root.
 */
function newCertificate(dir: string, name: string, ca = false): { cert: Buffer; key: Buffer } {
  const certFile = path.join(dir, `${name}.pem`);
  const keyFile = path.join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost',
      '-addext',
      ca ? 'basicConstraints=critical,CA:TRUE' : 'basicConstraints=critical,CA:FALSE',
      ...(ca ? [] : ['-addext', 'extendedKeyUsage=serverAuth']),
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'ignore' },
  );
  return { cert: readFileSync(certFile), key: readFileSync(keyFile) };
}

interface Answer {
  status: number;
  socket: TLSSocket;
  fingerprint: string;
}

function request(url: string, ca: Buffer, agent: https.Agent | false): Promise<Answer> {
  const alice = clientCredentials('alice');
  return new Promise((resolve, reject) => {
    const req = https.request(`${url}/v1/accounts`, {
      ca,
      cert: alice.cert,
      key: alice.key,
      agent,
      headers: { 'X-Request-ID': randomUUID() },
    });
    req.on('response', (res) => {
      // Read now: once the response ends, a socket without an agent is already detached.
      const socket = res.socket as TLSSocket;
      const fingerprint = socket.getPeerCertificate().fingerprint256;
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, socket, fingerprint }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('rotation on SIGHUP with two workers', () => {
  let database: TestDatabase;
  let gateway: MainProcess;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'psd2-rotation-'));
  const certFile = path.join(dir, 'server.chain.pem');
  const keyFile = path.join(dir, 'server.key.pem');

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    copyFileSync(testPkiFiles().serverChain, certFile);
    copyFileSync(testPkiFiles().serverKey, keyFile);
    gateway = MainProcess.start(database.url, {
      GATEWAY_WORKERS: '2',
      GATEWAY_TLS_CERT: certFile,
      GATEWAY_TLS_KEY: keyFile,
      // Only the signal may reload here.
      GATEWAY_WATCH_KEY_FILES: 'false',
    });
  });

  afterAll(async () => {
    await gateway?.stop();
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the new certificate to new connections while an open connection finishes', async () => {
    await gateway.waitFor(
      (p) => (p.stderr.includes('2 workers listening') ? true : undefined),
      'both workers',
    );
    const url = await gateway.tppUrl();
    const oldCa = readFileSync(testPkiFiles().anchor);
    const keepAlive = new https.Agent({ keepAlive: true, maxSockets: 1 });
    const before = await request(url, oldCa, keepAlive);
    expect(before.status).toBe(400);

    const next = newCertificate(dir, 'next');
    writeFileSync(certFile, next.cert);
    writeFileSync(keyFile, next.key);
    gateway.signal('SIGHUP');
    await gateway.waitFor((p) => {
      const pids = new Set(
        p.lines.filter((l) => l.event === 'server_certificate_reloaded').map((l) => l.pid),
      );
      return pids.size === 2 ? true : undefined;
    }, 'both workers reloading');

    const nextFingerprint = new X509Certificate(next.cert).fingerprint256;
    // New connections, spread over both workers, all get the new certificate.
    for (let i = 0; i < 4; i++) {
      const fresh = await request(url, next.cert, false);
      expect(fresh.fingerprint).toBe(nextFingerprint);
    }
    await expect(request(url, oldCa, false)).rejects.toThrow(/self[- ]signed|unable to verify/i);
    // The connection opened before the reload carries on with the old certificate.
    const after = await request(url, oldCa, keepAlive);
    expect(after.status).toBe(400);
    expect(after.socket).toBe(before.socket);
    expect(after.fingerprint).toBe(before.fingerprint);
    keepAlive.destroy();

    // A broken file is refused with a log line; the new certificate stays in use.
    writeFileSync(certFile, '-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n');
    gateway.signal('SIGHUP');
    await gateway.waitFor((p) => {
      const pids = new Set(
        p.lines.filter((l) => l.event === 'server_certificate_reload_failed').map((l) => l.pid),
      );
      return pids.size === 2 ? true : undefined;
    }, 'both workers refusing the broken file');
    expect((await request(url, next.cert, false)).fingerprint).toBe(nextFingerprint);
  });
});

describe('rotation by file watch, in-process', () => {
  let database: TestDatabase;
  let gateway: RunningGateway;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'psd2-rotation-watch-'));
  const certFile = path.join(dir, 'server.chain.pem');
  const keyFile = path.join(dir, 'server.key.pem');
  const anchorFile = path.join(dir, 'anchor.pem');

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    copyFileSync(testPkiFiles().serverChain, certFile);
    copyFileSync(testPkiFiles().serverKey, keyFile);
    copyFileSync(testPkiFiles().anchor, anchorFile);
    gateway = await startTestGateway(database.url, {
      GATEWAY_TLS_CERT: certFile,
      GATEWAY_TLS_KEY: keyFile,
      GATEWAY_TRUST_ANCHOR: anchorFile,
    });
  });

  afterAll(async () => {
    await gateway?.close();
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('picks up a replaced certificate and key without a signal', async () => {
    const next = newCertificate(dir, 'watched');
    // Written aside and renamed into place, as deployment tools do.
    writeFileSync(`${keyFile}.new`, next.key);
    writeFileSync(`${certFile}.new`, next.cert);
    execFileSync('mv', [`${keyFile}.new`, keyFile]);
    execFileSync('mv', [`${certFile}.new`, certFile]);
    const fingerprint = new X509Certificate(next.cert).fingerprint256;
    for (;;) {
      const answer = await request(gateway.url, next.cert, false).catch(() => undefined);
      if (answer?.fingerprint === fingerprint) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });

  it('judges the next request against a new trust anchor, and refuses a broken anchor file', async () => {
    // The server's certificate is the self-signed one from the test above by now: trust it as client.
    const serverCa = readFileSync(certFile);
    expect((await request(gateway.url, serverCa, false)).status).toBe(400);
    writeFileSync(anchorFile, 'garbage');
    expect(await gateway.operations.reloadKeyMaterial('test')).toMatchObject({ anchor: false });
    expect((await request(gateway.url, serverCa, false)).status).toBe(400);
    // Another root: Alice's chain no longer leads to the anchor.
    writeFileSync(anchorFile, newCertificate(dir, 'other-root', true).cert);
    expect(await gateway.operations.reloadKeyMaterial('test')).toMatchObject({ anchor: true });
    expect((await request(gateway.url, serverCa, false)).status).toBe(401);
  });
});
