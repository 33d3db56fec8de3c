import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCertVerify } from './cert_verify';
import { encodePem } from '../pki/asn1/pem';
import { issue, makeCrl, trentWorld, type TrentWorld } from '../../test/pki/cert_factory';

const NO_SOURCE = 'the certificate names no revocation source and no CRL file covers its issuer';

let w: TrentWorld;
let dir: string;
const file = (name: string): string => path.join(dir, name);

beforeAll(async () => {
  w = await trentWorld();
  dir = mkdtempSync(path.join(tmpdir(), 'cert-verify-'));
  writeFileSync(file('anchor.pem'), encodePem(w.root.der, 'CERTIFICATE'));
  writeFileSync(
    file('chain.pem'),
    encodePem(w.alice.der, 'CERTIFICATE') + encodePem(w.issuing.der, 'CERTIFICATE'),
  );
  writeFileSync(file('leaf-only.der'), w.alice.der);
  const expired = await issue({
    subject: 'CN=Old TPP',
    issuer: w.issuing,
    notAfter: new Date(Date.UTC(2025, 0, 2)),
  });
  writeFileSync(
    file('expired.pem'),
    encodePem(expired.der, 'CERTIFICATE') + encodePem(w.issuing.der, 'CERTIFICATE'),
  );
  writeFileSync(
    file('revoked.crl'),
    await makeCrl({ issuer: w.issuing, revoked: [{ serial: w.alice.cert.serialNumber }] }),
  );
  writeFileSync(file('good.crl'), await makeCrl({ issuer: w.issuing }));
  writeFileSync(file('not-a-cert.pem'), 'hello\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('runCertVerify', () => {
  it('prints VALID with the path, exit 0', async () => {
    const outcome = await runCertVerify({ anchor: file('anchor.pem'), chain: file('chain.pem') });
    expect(outcome.exitCode).toBe(0);
    expect(outcome.output).toMatch(/^VALID for clientAuth \(profile rfc5280\)\npath:\n/);
    expect(outcome.output).toContain('0. CN=Bank of Alice');
    expect(outcome.output).toContain('1. CN=Trent QWAC CA, O=Trent, C=EU  [intermediate');
    expect(outcome.output).toContain('2. CN=Trent Root CA, O=Trent, C=EU  [trust anchor');
  });

  it.each([
    [
      'leaf without its intermediate',
      { chain: 'leaf-only.der' },
      /^INVALID CERTIFICATE_INVALID: chain does not lead to the trust anchor\n$/,
    ],
    [
      'expired leaf',
      { chain: 'expired.pem' },
      /^INVALID CERTIFICATE_EXPIRED: certificate expired at 2025-01-02T00:00:00.000Z/,
    ],
    [
      'revoked by CRL',
      { chain: 'chain.pem', crl: ['revoked.crl'] },
      /^INVALID CERTIFICATE_REVOKED: certificate CN=Bank of Alice serial/,
    ],
    ['wrong purpose', { chain: 'chain.pem', purpose: 'serverAuth' }, /does not allow serverAuth\n$/],
    [
      'validation time before issuance',
      { chain: 'chain.pem', at: '2020-01-01T00:00:00Z' },
      /is not valid before/,
    ],
  ])('%s → exit 1 with the reason', async (_name, extra, reason) => {
    const { crl, ...rest } = extra as { chain: string; crl?: string[]; purpose?: string; at?: string };
    const outcome = await runCertVerify({
      anchor: file('anchor.pem'),
      ...rest,
      chain: file(rest.chain),
      ...(crl ? { crl: crl.map(file) } : {}),
    });
    expect(outcome).toEqual({ exitCode: 1, output: expect.stringMatching(reason) });
  });

  it.each([
    [
      'missing anchor file',
      { anchor: 'nope.pem' },
      /^psd2-gateway cert verify: anchor .*nope\.pem: file not found\n$/,
    ],
    [
      'chain file that is not a certificate',
      { chain: 'not-a-cert.pem' },
      /chain .*not-a-cert\.pem: no CERTIFICATE found/,
    ],
    [
      'anchor bundle with two certificates',
      { anchor: 'chain.pem' },
      /expected exactly one certificate, found 2/,
    ],
    ['bad --at', { at: 'yesterday' }, /--at is not an ISO date-time/],
    ['bad --purpose', { purpose: 'codeSigning' }, /--purpose must be one of clientAuth, serverAuth/],
    ['missing CRL file', { crl: ['missing.crl'] }, /crl .*missing\.crl/],
    ['bad --revocation', { revocation: 'fail-open' }, /--revocation must be one of hard-fail, soft-fail/],
    [
      'bad --revocation-timeout',
      { revocationTimeoutMs: '5s' },
      /--revocation-timeout must be a whole number from 100 to 60000/,
    ],
    ['bad --crl-grace-seconds', { crlGraceSeconds: '-1' }, /--crl-grace-seconds must be a whole number/],
    [
      'psd2 profile without its check',
      { profile: 'psd2' },
      /^psd2-gateway cert verify: psd2 profile not available in this build\n$/,
    ],
  ])('%s → exit 2, one line', async (_name, extra, message) => {
    const e = extra as {
      anchor?: string;
      chain?: string;
      crl?: string[];
      at?: string;
      purpose?: string;
      profile?: string;
      revocation?: string;
      revocationTimeoutMs?: string;
      crlGraceSeconds?: string;
    };
    const outcome = await runCertVerify({
      ...(e.revocation ? { revocation: e.revocation } : {}),
      ...(e.revocationTimeoutMs ? { revocationTimeoutMs: e.revocationTimeoutMs } : {}),
      ...(e.crlGraceSeconds ? { crlGraceSeconds: e.crlGraceSeconds } : {}),
      anchor: file(e.anchor ?? 'anchor.pem'),
      chain: file(e.chain ?? 'chain.pem'),
      ...(e.crl ? { crl: e.crl.map(file) } : {}),
      ...(e.at ? { at: e.at } : {}),
      ...(e.purpose ? { purpose: e.purpose } : {}),
      ...(e.profile ? { profile: e.profile } : {}),
    });
    expect(outcome.exitCode).toBe(2);
    expect(outcome.output).toMatch(message);
    expect(outcome.output.trimEnd().split('\n')).toHaveLength(1);
  });

  it('--json: valid shape', async () => {
    const outcome = await runCertVerify({ anchor: file('anchor.pem'), chain: file('chain.pem'), json: true });
    expect(outcome.exitCode).toBe(0);
    expect(JSON.parse(outcome.output)).toEqual({
      valid: true,
      purpose: 'clientAuth',
      profile: 'rfc5280',
      path: [
        expect.objectContaining({
          subject: 'CN=Bank of Alice, O=Bank of Alice, C=DE, organizationIdentifier=PSDDE-BAFIN-123456',
        }),
        expect.objectContaining({
          subject: 'CN=Trent QWAC CA, O=Trent, C=EU',
          issuer: 'CN=Trent Root CA, O=Trent, C=EU',
        }),
        expect.objectContaining({
          subject: 'CN=Trent Root CA, O=Trent, C=EU',
          serial: expect.stringMatching(/^[0-9A-F]+$/),
        }),
      ],
      revocation: {
        policy: 'hard-fail',
        online: true,
        answers: [
          {
            certificate: 'CN=Bank of Alice',
            issuer: 'CN=Trent QWAC CA',
            status: 'unchecked',
            why: NO_SOURCE,
          },
          {
            certificate: 'CN=Trent QWAC CA',
            issuer: 'CN=Trent Root CA',
            status: 'unchecked',
            why: NO_SOURCE,
          },
        ],
      },
      validUntil: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
  });

  it('names the source that answered: a CRL file', async () => {
    const outcome = await runCertVerify({
      anchor: file('anchor.pem'),
      chain: file('chain.pem'),
      crl: [file('good.crl')],
    });
    expect(outcome.exitCode).toBe(0);
    expect(outcome.output).toMatch(
      /\nrevocation \(hard-fail, online\):\n  CN=Bank of Alice: good, answered by a configured CRL file \(CRL of CN=Trent QWAC CA\) \(until \d{4}-/,
    );
    const revoked = await runCertVerify({
      anchor: file('anchor.pem'),
      chain: file('chain.pem'),
      crl: [file('revoked.crl')],
      offline: true,
      json: true,
    });
    expect(revoked.exitCode).toBe(1);
    expect(JSON.parse(revoked.output)).toMatchObject({
      code: 'CERTIFICATE_REVOKED',
      revocation: {
        policy: 'hard-fail',
        online: false,
        answers: [
          {
            certificate: 'CN=Bank of Alice',
            status: 'revoked',
            source: 'a configured CRL file (CRL of CN=Trent QWAC CA)',
          },
        ],
      },
    });
  });

  it('--json: invalid and usage shapes', async () => {
    const invalid = await runCertVerify({
      anchor: file('anchor.pem'),
      chain: file('leaf-only.der'),
      json: true,
    });
    expect(invalid.exitCode).toBe(1);
    expect(JSON.parse(invalid.output)).toEqual({
      valid: false,
      purpose: 'clientAuth',
      profile: 'rfc5280',
      code: 'CERTIFICATE_INVALID',
      reason: 'chain does not lead to the trust anchor',
      // No path reached the anchor, so no revocation source was asked.
      revocation: { policy: 'hard-fail', online: true, answers: [] },
    });
    const usage = await runCertVerify({ anchor: file('nope.pem'), chain: file('chain.pem'), json: true });
    expect(usage.exitCode).toBe(2);
    expect(JSON.parse(usage.output)).toEqual({ error: expect.stringContaining('file not found') });
  });

  it('psd2 profile: applies the injected check after path validation', async () => {
    const refused = await runCertVerify({
      anchor: file('anchor.pem'),
      chain: file('chain.pem'),
      profile: 'psd2',
      profileCheck: () => ({ ok: false, code: 'ROLE_INVALID', reason: 'no PSD2 QCStatement' }),
    });
    expect(refused.exitCode).toBe(1);
    expect(refused.output).toMatch(/^INVALID ROLE_INVALID: no PSD2 QCStatement\nrevocation/);
    const accepted = await runCertVerify({
      anchor: file('anchor.pem'),
      chain: file('chain.pem'),
      profile: 'psd2',
      profileCheck: () => ({ ok: true }),
    });
    expect(accepted.exitCode).toBe(0);
    expect(accepted.output).toMatch(/^VALID for clientAuth \(profile psd2\)/);
  });
});
