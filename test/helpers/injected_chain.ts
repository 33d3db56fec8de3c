import { readFileSync } from 'node:fs';
import http, { type IncomingMessage, type RequestListener } from 'node:http';
import type { Socket } from 'node:net';
import path from 'node:path';
import request from 'supertest';
import { qwacExtensions, tppName, type TppProfile } from '../../src/fixtures/build_client_cases';
import { FIXTURE_FILES } from '../../src/fixtures/fixture_pki';
import {
  generateKeys,
  importPrivateKeyPem,
  issueCertificate,
  signerFor,
} from '../../src/fixtures/issue_certificate';
import { decodePemBlocks, encodePem } from '../../src/pki/asn1/pem';
import { x509 } from '../../src/fixtures/x509';
import type { PresentedChain } from '../../src/tls/presented_chain';
import { testPkiDir, testPkiFiles } from './test_pki';

/**
 * The client certificate chain "presented" on each connection, as the TLS layer would report it for the
 * socket, for tests that drive `createApp` over plain HTTP with supertest. The app's trust gate validates
 * the chain for real (signatures to the run's anchor, validity, revocation, QWAC profile, roles); only
 * the handshake is left out.
 */
const chainsOfConnections = new WeakMap<Socket, PresentedChain>();

/** Pass as `tlsChainOf` to createApp / assembleGateway. */
export const injectedChainOf = (req: IncomingMessage): PresentedChain | undefined =>
  chainsOfConnections.get(req.socket);

/** The chain file of a fixture client case (`alice`, `carol`, `psp-pi-only`, `mallory-copied-names`, …). */
export function fixtureChain(caseId: string): PresentedChain {
  return chainFromPem(readFileSync(path.join(testPkiDir(), FIXTURE_FILES.clientsDir, `${caseId}.chain.pem`)));
}

export function chainFromPem(pem: string | Buffer): PresentedChain {
  const [leaf, ...intermediates] = decodePemBlocks(pem.toString(), 'CERTIFICATE');
  if (leaf === undefined) throw new Error('no certificate in the chain');
  return { leaf, intermediates, source: 'tls' };
}

/**
 * supertest against `listener`, every connection presenting `chain` (none when undefined). Each call
 * gets its own server, started and stopped by supertest per request.
 */
export function connectAs(listener: RequestListener, chain: PresentedChain | undefined) {
  return request(serverPresenting(listener, chain));
}

/** An HTTP server (not listening yet) whose every connection presents `chain`, for raw clients. */
export function serverPresenting(listener: RequestListener, chain: PresentedChain | undefined): http.Server {
  const server = http.createServer(listener);
  if (chain !== undefined)
    server.on('connection', (socket: Socket) => chainsOfConnections.set(socket, chain));
  return server;
}

/**
 * A QWAC for `profile` issued now by the run's Trent issuing CA, for a case the fixture table has no row
 * for (a wildcard SAN, a renewed certificate): the chain the TPP would present.
 */
export async function issueUnderTrent(profile: TppProfile): Promise<PresentedChain> {
  const files = testPkiFiles();
  const caPem = readFileSync(files.issuingCa, 'utf8');
  const caCert = new x509.X509Certificate(caPem);
  const issuer = await signerFor({
    cert: caCert,
    keys: await importPrivateKeyPem(readFileSync(files.issuingCaKey, 'utf8'), caCert),
  });
  const keys = await generateKeys();
  const now = Date.now();
  const cert = await issueCertificate({
    subject: tppName(profile),
    publicKey: keys.publicKey,
    issuer,
    notBefore: new Date(now - 3_600_000),
    notAfter: new Date(now + 30 * 86_400_000),
    extensions: qwacExtensions(profile),
  });
  return chainFromPem(encodePem(new Uint8Array(cert.rawData), 'CERTIFICATE') + caPem);
}
