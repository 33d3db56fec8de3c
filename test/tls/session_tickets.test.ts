/**
 * Regression (issue 11, item 8): with SSL_OP_NO_TICKET, OpenSSL still sent two TLS 1.3 session tickets
 * after every handshake, although the gateway keeps no session cache and could never accept one. The
 * gateway started as `npm start` starts it (package.json's node flags) issues none; Node's client and
 * `openssl s_client -sess_out` see no NewSessionTicket before the answer to a request.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { gatewayNodeFlags } from '../../src/config/node_flags';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway_process';
import { clientCredentials, testPkiDir, testPkiFiles } from '../helpers/test_pki';

const REQUEST =
  'GET /.well-known/oauth-authorization-server HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n';

describe('TLS 1.3 session tickets', () => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'psd2-tickets-'));
  let gateway: GatewayProcess;

  beforeAll(async () => {
    gateway = await startGatewayProcess({
      databaseUrl: `sqlite:${path.join(work, 'gateway.db')}`,
      nodeFlags: gatewayNodeFlags(),
    });
  }, 60_000);

  afterAll(async () => {
    await gateway?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it("are not issued: Node's client sees no 'session' event by the end of an answered request", async () => {
    const credentials = clientCredentials('alice');
    const socket = tls.connect({
      port: gateway.port,
      host: '127.0.0.1',
      servername: 'localhost',
      ca: readFileSync(testPkiFiles().anchor),
      cert: credentials.cert,
      key: credentials.key,
      minVersion: 'TLSv1.3',
    });
    let tickets = 0;
    let answer = '';
    socket.on('session', () => tickets++);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.once('secureConnect', () => socket.write(REQUEST));
    await new Promise<void>((resolve, reject) => {
      socket.once('close', () => resolve());
      socket.once('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(tickets).toBe(0);
  });

  const opensslAvailable = spawnSync('openssl', ['version']).status === 0;
  (opensslAvailable ? it : it.skip)(
    'are not issued: openssl s_client reports no NewSessionTicket',
    async () => {
      const clients = path.join(testPkiDir(), 'clients');
      const output = await new Promise<string>((resolve) => {
        const child = execFile(
          'openssl',
          [
            's_client',
            '-connect',
            `127.0.0.1:${gateway.port}`,
            '-servername',
            'localhost',
            '-tls1_3',
            '-CAfile',
            testPkiFiles().anchor,
            '-cert',
            path.join(clients, 'alice.chain.pem'),
            '-key',
            path.join(clients, 'alice.key.pem'),
            '-sess_out',
            path.join(work, 'session.pem'),
            '-ign_eof',
          ],
          { timeout: 20_000 },
          (_error, stdout) => resolve(stdout),
        );
        child.stdin?.end(REQUEST);
      });
      expect(output).toMatch(/HTTP\/1\.1 200 /);
      expect(output).not.toMatch(/NewSessionTicket|New Session Ticket/i);
    },
  );
});
