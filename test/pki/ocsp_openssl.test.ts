/**
 * Issue 17.1 and 17.2 against real services: certificates made by plain openssl name their OCSP responder
 * (authorityInfoAccess) and CRL (cRLDistributionPoints); `openssl ocsp` processes answer, signing as a
 * delegated responder, as the CA itself, or as a wrong signer; a plain HTTP server publishes the CRLs.
 * Each case runs path validation with the gateway's revocation sources and its undici fetcher.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UndiciRevocationFetcher } from '../../src/adapters/undici_revocation_fetcher';
import { createLogger } from '../../src/audit/logger';
import { decodePemOrDer } from '../../src/pki/asn1/pem';
import { ParsedCertificate } from '../../src/pki/certificate/parsed_certificate';
import { ChainValidator, type ChainPurpose } from '../../src/pki/path/chain_validator';
import { CrlRevocationChecker } from '../../src/pki/path/revocation';
import { buildOcspRequest } from '../../src/pki/revocation/ocsp';
import { RevocationSources, type RevocationPolicy } from '../../src/pki/revocation/revocation_sources';
import { LogCapture } from '../helpers/tls_gateway_harness';
import {
  freePorts,
  makeRevocationPki,
  opensslAvailable,
  startHttpServer,
  startOcspResponder,
  startSilentServer,
  type Responder,
} from '../helpers/openssl_revocation';

if (!opensslAvailable) console.warn('openssl not found: the OCSP responder tests are SKIPPED');

const MINUTE = 60_000;

(opensslAvailable ? describe : describe.skip)('revocation against openssl ocsp and published CRLs', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'psd2-ocsp-'));
  const file = (name: string) => path.join(dir, name);
  const stops: Responder[] = [];
  const fetcher = new UndiciRevocationFetcher();
  let replayed: Buffer | undefined;

  beforeAll(async () => {
    const names = [
      'delegated',
      'caSigned',
      'wrong',
      'rogue',
      'dead',
      'slow',
      'replay',
      'crls',
      'root',
    ] as const;
    const ports = await freePorts(names.length);
    const port = Object.fromEntries(names.map((name, i) => [name, ports[i] as number])) as Record<
      (typeof names)[number],
      number
    >;
    const { delegated, caSigned, wrong, rogue, dead, slow, replay, crls, root } = port;
    const at = (port: number) => `http://127.0.0.1:${port}/`;
    makeRevocationPki(
      dir,
      [
        { name: 'good', status: 'good', ocsp: at(delegated) },
        { name: 'revoked', status: 'revoked', ocsp: at(delegated) },
        { name: 'unknown', status: 'unindexed', ocsp: at(delegated) },
        { name: 'casigned', status: 'good', ocsp: at(caSigned) },
        { name: 'casignedrevoked', status: 'revoked', ocsp: at(caSigned) },
        { name: 'wrongsigner', status: 'good', ocsp: at(wrong) },
        { name: 'roguesigner', status: 'good', ocsp: at(rogue) },
        { name: 'down', status: 'good', ocsp: at(dead) },
        { name: 'slow', status: 'good', ocsp: at(slow) },
        { name: 'replayed', status: 'good', ocsp: at(replay) },
        { name: 'crlgood', status: 'good', crl: `${at(crls)}issuing.crl` },
        { name: 'crlrevoked', status: 'revoked', crl: `${at(crls)}issuing.crl` },
        { name: 'crlforged', status: 'good', crl: `${at(crls)}other.crl` },
        { name: 'fallback', status: 'good', ocsp: at(dead), crl: `${at(crls)}issuing.crl` },
        { name: 'fallbackrevoked', status: 'revoked', ocsp: at(dead), crl: `${at(crls)}issuing.crl` },
      ],
      at(root),
    );
    // The root's responder answers for the issuing CAs, signing with the root's own key.
    stops.push(
      await startOcspResponder(dir, root, 'root', ['-nmin', '10'], {
        cert: 'root.pem',
        index: 'root-index.txt',
      }),
    );
    stops.push(await startOcspResponder(dir, delegated, 'responder', ['-nmin', '10']));
    stops.push(await startOcspResponder(dir, caSigned, 'issuing-ca', ['-nmin', '10']));
    stops.push(await startOcspResponder(dir, wrong, 'not-responder', ['-nmin', '10']));
    stops.push(await startOcspResponder(dir, rogue, 'rogue-responder', ['-nmin', '10']));
    stops.push(await startSilentServer(slow));
    stops.push(
      await startHttpServer(
        crls,
        new Map([
          ['/issuing.crl', () => readFileSync(file('issuing-ca.crl.der'))],
          ['/other.crl', () => readFileSync(file('other-issuing-ca.crl.pem'))],
        ]),
      ),
    );
    // The replaying server answers with a genuine response, recorded for another request (another nonce).
    const replayedCert = parse('replayed.pem');
    const request = buildOcspRequest(replayedCert, parse('issuing-ca.pem'));
    replayed = Buffer.from(
      await fetcher.fetch({
        url: at(delegated),
        body: { bytes: request.der, contentType: 'application/ocsp-request' },
        accept: 'application/ocsp-response',
        timeoutMs: 5000,
        maxBytes: 65536,
      }),
    );
    stops.push(await startHttpServer(replay, new Map([['/', () => replayed as Buffer]])));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(stops.map((s) => s.stop()));
    await fetcher.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const der = (name: string) => decodePemOrDer(readFileSync(file(name)), 'CERTIFICATE')[0] as Buffer;
  const parse = (name: string) => ParsedCertificate.parse(new Uint8Array(der(name)));

  function world(policy: RevocationPolicy = 'hard-fail', logger = createLogger('silent')) {
    const sources = new RevocationSources({
      files: new CrlRevocationChecker(),
      fetcher,
      policy,
      timeoutMs: 1500,
      logger,
    });
    const validator = new ChainValidator({ anchors: [der('root.pem')], revocation: sources });
    const validate = (name: string, at = new Date(), purpose: ChainPurpose = 'clientAuth') =>
      validator.validate({
        leaf: der(`${name}.pem`),
        intermediates: [der('issuing-ca.pem')],
        purpose,
        at,
      });
    return { sources, validate };
  }

  it.each([
    ['good (delegated responder with id-kp-OCSPSigning)', 'good'],
    ['good (signed by the issuing CA itself)', 'casigned'],
    ['good from the CRL distribution point', 'crlgood'],
    ['good from the CRL distribution point when the OCSP responder is down', 'fallback'],
  ])('admits %s, caching the verdict no longer than the answer', async (_label, name) => {
    const { sources, validate } = world();
    const now = Date.now();
    const result = await validate(name, new Date(now));
    sources.close();
    expect(result).toMatchObject({ valid: true });
    if (!result.valid) return;
    // -nmin 10 for OCSP, -crldays 7 for the CRL: the verdict may not be reused past either.
    const limit =
      name.startsWith('crl') || name === 'fallback' ? now + 7 * 24 * 60 * MINUTE + MINUTE : now + 11 * MINUTE;
    expect(result.validUntil.getTime()).toBeLessThanOrEqual(limit);
  });

  it.each([
    ['revoked at the delegated responder', 'revoked', /was revoked at .* \(keyCompromise\) \(OCSP\)/],
    ['revoked at the CA-signed responder', 'casignedrevoked', /was revoked at .*\(OCSP\)/],
    ['revoked on the distribution-point CRL', 'crlrevoked', /was revoked at .*keyCompromise/],
    ['revoked on the CRL reached after the OCSP responder failed', 'fallbackrevoked', /was revoked at/],
  ])('refuses %s with CERTIFICATE_REVOKED', async (_label, name, reason) => {
    const { sources, validate } = world();
    const result = await validate(name);
    sources.close();
    expect(result).toMatchObject({
      valid: false,
      code: 'CERTIFICATE_REVOKED',
      reason: expect.stringMatching(reason),
    });
  });

  it.each([
    ['unknown to the responder', 'unknown', /does not know this certificate/],
    [
      'signed by a certificate without id-kp-OCSPSigning',
      'wrongsigner',
      /CN=Not An OCSP Responder lacks extendedKeyUsage id-kp-OCSPSigning/,
    ],
    [
      'signed by a responder the CA did not issue',
      'roguesigner',
      /CN=OCSP Responder is not issued by CN=PSD2 Revocation Test Issuing CA/,
    ],
    ['with the responder down', 'down', /refused the connection/],
    ['with the responder hanging', 'slow', /did not answer within 1500 ms/],
    ['with a replayed response (another nonce)', 'replayed', /nonce is not the one sent/],
    [
      'with a CRL signed by another key under the issuer name',
      'crlforged',
      /signature does not verify with the key of CN=PSD2 Revocation Test Issuing CA/,
    ],
  ])('hard-fail refuses a certificate %s, saying why', async (_label, name, why) => {
    const { sources, validate } = world();
    const result = await validate(name);
    sources.close();
    expect(result).toMatchObject({
      valid: false,
      code: 'CERTIFICATE_INVALID',
      reason: expect.stringMatching(/^revocation status of CN=.* could not be established: /),
    });
    expect(result.valid ? '' : result.reason).toMatch(why);
  });

  it('refuses a stale response: one past its nextUpdate (-nmin 10) beyond the clock skew allowance', async () => {
    const { sources, validate } = world();
    const result = await validate('good', new Date(Date.now() + 20 * MINUTE));
    sources.close();
    expect(result).toMatchObject({
      valid: false,
      reason: expect.stringMatching(/the response is stale \(nextUpdate .* has passed\)/),
    });
  });

  it('accepts a response whose nextUpdate passed less than the clock skew allowance ago', async () => {
    const { sources, validate } = world();
    const result = await validate('good', new Date(Date.now() + 12 * MINUTE));
    sources.close();
    expect(result).toMatchObject({ valid: true });
  });

  it('soft-fail admits a certificate whose responder is down, logs a warning and rechecks within a minute', async () => {
    const log = new LogCapture();
    const { sources, validate } = world('soft-fail', createLogger('info', log));
    const now = Date.now();
    const result = await validate('down', new Date(now));
    sources.close();
    expect(result).toMatchObject({ valid: true });
    if (result.valid) expect(result.validUntil.getTime()).toBeLessThanOrEqual(now + MINUTE);
    expect(log.lines).toContainEqual(
      expect.objectContaining({
        level: 40,
        event: 'revocation_soft_fail',
        msg: expect.stringMatching(/refused the connection.*soft-fail/),
      }),
    );
  });

  it('checks an intermediate at the OCSP responder its authorityInfoAccess names', async () => {
    const { sources, validate } = world();
    const good = await validate('issuing-ca', new Date(), 'any');
    const revoked = await validate('other-issuing-ca', new Date(), 'any');
    sources.close();
    expect(good).toMatchObject({ valid: true });
    expect(revoked).toMatchObject({
      valid: false,
      code: 'CERTIFICATE_REVOKED',
      reason: expect.stringMatching(
        /CN=PSD2 Revocation Test Issuing CA serial .* was revoked at .*\(superseded\) \(OCSP\)/,
      ),
    });
  });

  it('answers a warm certificate from the cache, without asking the responder again', async () => {
    const { sources, validate } = world();
    await validate('good');
    await validate('good');
    await validate('good');
    sources.close();
    // One fetch each for the leaf and its issuing CA, then only cache hits.
    expect(sources.stats.ocsp).toMatchObject({ waited: 2, hits: 4 });
  });
});
