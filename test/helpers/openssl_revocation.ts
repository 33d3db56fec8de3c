/**
 * The real services the revocation tests talk to: `openssl ocsp` responder processes over the PKI of
 * test/openssl_pki/make_revocation_pki.sh, an HTTP server publishing CRLs, a server that accepts and never
 * answers (a hung responder), and one replaying recorded bytes (an attacker on the path).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';

export const opensslAvailable = spawnSync('openssl', ['version']).status === 0;
if (!opensslAvailable && process.env.CI === 'true') throw new Error('openssl is required in CI');

/** Distinct free ports, all taken at once so none is handed out twice. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Server>((resolve) => {
          const server = net.createServer();
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

export interface ClientSpec {
  name: string;
  status: 'good' | 'revoked' | 'unindexed';
  ocsp?: string;
  crl?: string;
}

/** Runs make_revocation_pki.sh; `issuingOcsp` names the root's responder in both issuing CAs. */
export function makeRevocationPki(dir: string, clients: ClientSpec[], issuingOcsp?: string): void {
  const script = path.join(__dirname, '..', 'openssl_pki', 'make_revocation_pki.sh');
  const args = clients.map((c) => `${c.name},${c.status},${c.ocsp ?? '-'},${c.crl ?? '-'}`);
  const made = spawnSync('bash', [script, dir, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...(issuingOcsp === undefined ? {} : { ISSUING_OCSP_URL: issuingOcsp }) },
  });
  if (made.status !== 0) throw new Error(`make_revocation_pki.sh failed: ${made.stderr}`);
}

/**
 * Waits for openssl's "ACCEPT" line. Not a trial connection: the responder serves one connection at a
 * time and stays blocked on a probe that connected and left.
 */
function accepting(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error('openssl ocsp did not start listening')), 10_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      if (seen.includes('ACCEPT')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`openssl ocsp exited with ${code}`));
    });
  });
}

export interface Responder {
  stop(): Promise<void>;
}

/**
 * `openssl ocsp` answering for a CA of `dir` (by default the issuing CA, from index.txt), signing with
 * `signer` (a file stem in `dir`).
 */
export async function startOcspResponder(
  dir: string,
  port: number,
  signer: string,
  extra: string[] = [],
  ca: { cert: string; index: string } = { cert: 'issuing-ca.pem', index: 'index.txt' },
): Promise<Responder> {
  const file = (name: string) => path.join(dir, name);
  const child = spawn(
    'openssl',
    [
      'ocsp',
      '-index',
      file(ca.index),
      '-port',
      String(port),
      '-CA',
      file(ca.cert),
      '-rsigner',
      file(`${signer}.pem`),
      '-rkey',
      file(`${signer}.key.pem`),
      '-ignore_err',
      ...extra,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stderr?.resume();
  await accepting(child);
  child.stdout?.resume();
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** A plain HTTP server answering each path from a map; anything else is 404. */
export async function startHttpServer(
  port: number,
  routes: Map<string, () => Buffer>,
): Promise<{ stop(): Promise<void>; hits: Map<string, number> }> {
  const hits = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const body = routes.get(req.url ?? '');
    hits.set(req.url ?? '', (hits.get(req.url ?? '') ?? 0) + 1);
    req.resume();
    if (body === undefined) {
      res.writeHead(404).end();
      return;
    }
    const bytes = body();
    res
      .writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length })
      .end(bytes);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    hits,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Accepts connections and never answers: a responder that hangs. */
export async function startSilentServer(port: number): Promise<{ stop(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export const readDer = (file: string): Buffer => readFileSync(file);
