/**
 * Review finding (after issue 11): a client that completes TLS handshakes and then sends nothing holds a
 * descriptor per connection until the idle timeout, so one address could exhaust the gateway's
 * descriptors for every TPP. Connections beyond GATEWAY_MAX_CONNECTIONS_PER_ADDRESS are closed at accept.
 */
import { execFile, spawnSync } from 'node:child_process';
import path from 'node:path';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import type { RunningGateway } from '../../src/gateway';
import { clientKey } from '../../src/tls/connections_per_address';
import { createTestDatabase, type TestDatabase } from '../store/test_databases';
import { startTestGateway } from '../helpers/test_gateway';
import { clientCredentials, testPkiDir, testPkiFiles } from '../helpers/test_pki';

const LIMIT = 6;
const curlAvailable = spawnSync('curl', ['--version']).status === 0;
if (!curlAvailable && process.env.CI === 'true') throw new Error('curl is required under CI');

/** A handshake as Alice: resolves with the open socket, or with 'closed' when it never opened. */
function handshakeAsAlice(port: number): Promise<tls.TLSSocket | 'closed'> {
  const alice = clientCredentials('alice');
  return new Promise((resolve) => {
    const socket = tls.connect({
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      ca: readFileSync(testPkiFiles().anchor),
      cert: alice.cert,
      key: alice.key,
    });
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', () => resolve('closed'));
    socket.once('close', () => resolve('closed'));
  });
}

/** A gateway for the enclosing describe; the sockets a test holds are destroyed before it stops. */
function useGateway(env: Record<string, string>, held: tls.TLSSocket[]): () => RunningGateway {
  let database: TestDatabase | undefined;
  let gateway: RunningGateway | undefined;
  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    gateway = await startTestGateway(database.url, env);
  });
  afterAll(async () => {
    for (const socket of held) socket.destroy();
    await gateway?.close();
    await database?.drop();
  });
  return () => {
    if (gateway === undefined) throw new Error('the gateway starts in beforeAll');
    return gateway;
  };
}

describe('whom a connection counts against', () => {
  it.each([
    ['an IPv4 address', '192.0.2.7', '192.0.2.7'],
    ['an IPv4 address on a dual-stack socket', '::ffff:192.0.2.7', '192.0.2.7'],
    ['an IPv6 address: its /64', '2001:db8:1:2:aaaa::1', '2001:db8:1:2::/64'],
    ['another address of the same /64', '2001:0db8:0001:0002:ffff:1:2:3', '2001:db8:1:2::/64'],
    ['a compressed /64 prefix', '2001:db8::5', '2001:db8:0:0::/64'],
    ['loopback', '::1', '0:0:0:0::/64'],
  ])('%s', (_name, address, key) => {
    expect(clientKey(address)).toBe(key);
  });

  it('tells neighbouring /64s apart', () => {
    expect(clientKey('2001:db8:1:2::1')).not.toBe(clientKey('2001:db8:1:3::1'));
  });
});

describe('GATEWAY_MAX_CONNECTIONS_PER_ADDRESS over real TLS', () => {
  const held: tls.TLSSocket[] = [];
  const started = useGateway({ GATEWAY_MAX_CONNECTIONS_PER_ADDRESS: String(LIMIT) }, held);

  const handshake = () => handshakeAsAlice(started().port);

  const curlStatus = (): Promise<string> =>
    new Promise((resolve) => {
      const dir = path.join(testPkiDir(), 'clients');
      execFile(
        'curl',
        [
          '-s',
          '-o',
          '/dev/null',
          '-w',
          '%{http_code}',
          '--cacert',
          testPkiFiles().anchor,
          '--cert',
          path.join(dir, 'alice.chain.pem'),
          '--key',
          path.join(dir, 'alice.key.pem'),
          `${started().url}/.well-known/oauth-authorization-server`,
        ],
        { timeout: 30_000 },
        (_error, stdout) => resolve(stdout.trim()),
      );
    });

  it('holds the allowed idle connections, closes the next at accept, and admits again once one closes', async () => {
    for (let i = 0; i < LIMIT; i++) {
      const socket = await handshake();
      if (socket === 'closed') throw new Error(`connection ${i + 1} of ${LIMIT} was refused`);
      held.push(socket);
    }
    expect(await handshake()).toBe('closed');
    if (curlAvailable) expect(await curlStatus()).toBe('000');

    const released = held.pop();
    const gone = new Promise((resolve) => released?.once('close', resolve));
    released?.destroy();
    await gone;
    // The server learns of the close asynchronously: poll until a new client is admitted.
    let admitted: tls.TLSSocket | 'closed' = 'closed';
    for (let attempt = 0; attempt < 50 && admitted === 'closed'; attempt++) {
      admitted = await handshake();
      if (admitted === 'closed') await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(admitted).not.toBe('closed');
    if (admitted !== 'closed') admitted.destroy();
    if (curlAvailable) {
      let status = '000';
      for (let attempt = 0; attempt < 50 && status === '000'; attempt++) {
        status = await curlStatus();
        if (status === '000') await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(status).toBe('200');
    }
  });
});

describe('the configured proxies carry every client: they are not capped', () => {
  const held: tls.TLSSocket[] = [];
  const started = useGateway(
    {
      GATEWAY_MAX_CONNECTIONS_PER_ADDRESS: '2',
      GATEWAY_TRUSTED_PROXIES: '127.0.0.1',
      GATEWAY_FORWARDED_CERT_HEADER: 'nginx',
    },
    held,
  );

  it('holds more connections from a proxy address than the cap', async () => {
    for (let i = 0; i < 5; i++) {
      const socket = await handshakeAsAlice(started().port);
      expect(socket).not.toBe('closed');
      if (socket !== 'closed') held.push(socket);
    }
  });
});
