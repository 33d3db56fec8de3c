/**
 * Regression (issue 11, item 1): a TCP connection that never finished the TLS handshake was, at the
 * handshake timeout, "answered" with an HTTP 400 written into the unfinished TLS session and never
 * destroyed: it stayed in CLOSE-WAIT after the client left, and a few hundred of them exhausted the
 * gateway's file descriptors, so every later client was refused long after the attacker had gone.
 *
 * The gateway runs as its own process under a low descriptor limit. Rounds of connections that send
 * nothing, or the first bytes of a ClientHello and then nothing (a slow client looks the same), are
 * held past the handshake timeout and then dropped; together they are more than the limit. Afterwards
 * the gateway holds no socket for them and Alice, with curl, is served.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { HTTP_SERVER_LIMITS } from '../../src/tls/server_options';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway_process';
import { testPkiDir, testPkiFiles } from '../helpers/test_pki';

const FD_LIMIT = 256;
const HANDSHAKE_TIMEOUT_MS = 1_000;
/**
 * The attacker holds each round until the gateway closes the connections, at most a little past the
 * default handshake timeout, so a gateway that ignored the shorter one above is still caught.
 */
const HOLD_CAP_MS = HTTP_SERVER_LIMITS.handshakeTimeout + 2_000;
const ROUNDS = 3;
const PER_ROUND = 180;
/** A TLS handshake record header announcing 512 bytes, and the start of a ClientHello: then silence. */
const CLIENT_HELLO_START = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function socketDescriptors(pid: number): number {
  let count = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) count++;
    } catch {
      // closed while listing
    }
  }
  return count;
}

/** Opens `count` connections that never complete a handshake; resolves once the server closed them or `capMs` passed. */
async function stallRound(port: number, count: number, capMs: number): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  const closed: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    if (i % 2 === 1) socket.once('connect', () => socket.write(CLIENT_HELLO_START));
    sockets.push(socket);
    closed.push(new Promise((resolve) => socket.once('close', () => resolve())));
  }
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(closed), new Promise((resolve) => (timer = setTimeout(resolve, capMs)))]);
  clearTimeout(timer);
  return sockets;
}

function curlAlice(url: string): Promise<{ status: string; body: string }> {
  const clients = path.join(testPkiDir(), 'clients');
  return new Promise((resolve) => {
    execFile(
      'curl',
      [
        '-s',
        '--max-time',
        '20',
        '--cert',
        path.join(clients, 'alice.chain.pem'),
        '--key',
        path.join(clients, 'alice.key.pem'),
        '--cacert',
        testPkiFiles().anchor,
        '-w',
        '\n%{http_code}',
        `${url}/.well-known/oauth-authorization-server`,
      ],
      (_error, stdout) => {
        const lines = stdout.split('\n');
        resolve({ status: lines.pop() ?? '', body: lines.join('\n') });
      },
    );
  });
}

describe('half-finished TLS handshakes (fd limit)', () => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'psd2-half-open-'));
  let gateway: GatewayProcess;

  beforeAll(async () => {
    gateway = await startGatewayProcess({
      databaseUrl: `sqlite:${path.join(work, 'gateway.db')}`,
      fdLimit: FD_LIMIT,
      serverLimits: { handshakeTimeout: HANDSHAKE_TIMEOUT_MS },
    });
  }, 60_000);

  afterAll(async () => {
    await gateway?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('destroys every connection that never finishes its handshake; Alice is served afterwards', async () => {
    expect((await curlAlice(gateway.url)).status).toBe('200');
    const baseline = socketDescriptors(gateway.pid);

    for (let round = 0; round < ROUNDS; round++) {
      const sockets = await stallRound(gateway.port, PER_ROUND, HOLD_CAP_MS);
      // The attacker leaves.
      for (const socket of sockets) socket.destroy();
    }
    expect(ROUNDS * PER_ROUND).toBeGreaterThan(FD_LIMIT);

    // Nothing of the attack stays behind in the gateway (polled: the last closes may still be in flight).
    let held = socketDescriptors(gateway.pid);
    for (let i = 0; i < 50 && held > baseline; i++) {
      await sleep(100);
      held = socketDescriptors(gateway.pid);
    }
    expect(held).toBeLessThanOrEqual(baseline);

    const alice = await curlAlice(gateway.url);
    expect(alice.status).toBe('200');
    expect(JSON.parse(alice.body)).toEqual(expect.objectContaining({ issuer: expect.any(String) }));
    expect(gateway.alive()).toBe(true);
  }, 180_000);
});
