import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encodeQcStatements, psd2Role } from '../../src/fixtures/encode_qc_statements';
import { readPemOrDerFile } from '../../src/pki/asn1/pem';
import { x509 } from '../../src/fixtures/x509';
import { decodeQcStatements } from '../fixtures/der_reader';
import { opensslAvailable } from '../helpers/openssl';

const SCRIPT = path.join(__dirname, 'make_pki.sh');
const QC_STATEMENTS = '1.3.6.1.5.5.7.1.3';

const describeWithOpenssl = opensslAvailable('test/openssl_pki (make_pki.sh)') ? describe : describe.skip;

describeWithOpenssl('make_pki.sh (plain openssl)', () => {
  let out: string;
  const file = (name: string): string => path.join(out, name);

  function openssl(...args: string[]): { ok: boolean; output: string } {
    const result = spawnSync('openssl', args, { encoding: 'utf8', cwd: out });
    return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
  }

  const verify = (name: string, ...options: string[]): { ok: boolean; output: string } =>
    openssl(
      'verify',
      '-CAfile',
      file('root.pem'),
      '-untrusted',
      file('issuing-ca.pem'),
      ...options,
      file(name),
    );

  function certificate(name: string): x509.X509Certificate {
    const [der] = readPemOrDerFile(file(name), 'CERTIFICATE');
    if (der === undefined) throw new Error(`no certificate in ${name}`);
    return new x509.X509Certificate(der);
  }

  beforeAll(() => {
    out = mkdtempSync(path.join(tmpdir(), 'openssl-pki-'));
    const run = spawnSync('bash', [SCRIPT, out], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`make_pki.sh failed (${run.status}):\n${run.stderr}`);
  }, 60_000);

  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('writes every documented file, with private keys readable only by the owner', () => {
    const clients = [
      'alice',
      'revoked',
      'expired',
      'server-auth-only',
      'no-qc-statements',
      'rogue',
      'self-signed',
    ];
    const expected = [
      'root.pem',
      'root.key.pem',
      'root.crl.pem',
      'issuing-ca.pem',
      'issuing-ca.key.pem',
      'issuing-ca.crl.pem',
      'server.pem',
      'server.key.pem',
      'server.chain.pem',
      'rogue-root.pem',
      'rogue-root.key.pem',
      ...clients.flatMap((c) => [`${c}.pem`, `${c}.key.pem`, `${c}.chain.pem`]),
    ];
    for (const name of expected) expect(existsSync(file(name))).toBe(true);
    for (const name of expected.filter((n) => n.endsWith('.key.pem'))) {
      expect(statSync(file(name)).mode & 0o777).toBe(0o600);
    }
  });

  it('accepts the valid client and the server under the root', () => {
    expect(verify('alice.pem', '-purpose', 'sslclient')).toMatchObject({ ok: true });
    expect(verify('server.pem', '-purpose', 'sslserver')).toMatchObject({ ok: true });
  });

  it('refuses the rogue-CA client and the self-signed client', () => {
    const rogue = openssl(
      'verify',
      '-CAfile',
      file('root.pem'),
      '-untrusted',
      file('rogue.chain.pem'),
      file('rogue.pem'),
    );
    expect(rogue.ok).toBe(false);
    const selfSigned = verify('self-signed.pem');
    expect(selfSigned.ok).toBe(false);
    expect(selfSigned.output).toMatch(/self-signed certificate/);
  });

  it('flags the revoked client with -crl_check, and only that one', () => {
    const crl = ['-crl_check', '-CRLfile', file('issuing-ca.crl.pem')];
    const revoked = verify('revoked.pem', ...crl);
    expect(revoked.ok).toBe(false);
    expect(revoked.output).toMatch(/certificate revoked/);
    expect(verify('alice.pem', ...crl)).toMatchObject({ ok: true });
    expect(verify('revoked.pem')).toMatchObject({ ok: true });
  });

  it('makes an expired client and a client that is not for client authentication', () => {
    expect(verify('expired.pem').output).toMatch(/certificate has expired/);
    expect(certificate('expired.pem').notAfter.getTime()).toBeLessThan(Date.now());
    expect(verify('server-auth-only.pem', '-purpose', 'sslclient').output).toMatch(
      /unsuitable certificate purpose/,
    );
  });

  it('puts a qcStatements extension with the PSD2 statement in the QWAC (asn1parse)', () => {
    const outer = openssl('asn1parse', '-in', file('alice.pem'));
    const lines = outer.output.split('\n');
    const at = lines.findIndex((l) => /:qcStatements\s*$/.test(l) || l.includes(':1.3.6.1.5.5.7.1.3'));
    expect(at).toBeGreaterThan(0);
    const offset = /^\s*(\d+):/.exec(lines[at + 1] ?? '')?.[1];
    expect(offset).toBeDefined();
    const inner = openssl('asn1parse', '-in', file('alice.pem'), '-strparse', offset ?? '0');
    expect(inner.output).toContain('0.4.0.19495.2');
    expect(inner.output).toContain('0.4.0.19495.1.3');
    expect(inner.output).toContain('DE-BAFIN');
  });

  it("encodes the QWAC's qcStatements byte for byte as our own encoder does", () => {
    const leaf = certificate('alice.pem');
    const ext = leaf.getExtension(QC_STATEMENTS);
    if (ext === null) throw new Error('no qcStatements');
    expect(ext.critical).toBe(false);
    const ours = encodeQcStatements({
      types: ['web'],
      psd2: {
        roles: [psd2Role('PSP_AI'), psd2Role('PSP_PI')],
        ncaName: 'Federal Financial Supervisory Authority',
        ncaId: 'DE-BAFIN',
      },
    });
    expect(Buffer.from(ext.value).equals(Buffer.from(ours))).toBe(true);
    const decoded = decodeQcStatements(ext.value);
    expect(decoded.qcTypes).toEqual(['0.4.0.1862.1.6.3']);
    expect(decoded.psd2?.roles.map((r) => r.name)).toEqual(['PSP_AI', 'PSP_PI']);
    expect(leaf.subjectName.getField('2.5.4.97')).toEqual(['PSDDE-BAFIN-424242']);
  });

  it('leaves qcStatements out of the no-qc-statements client only', () => {
    expect(certificate('no-qc-statements.pem').getExtension(QC_STATEMENTS)).toBeNull();
    expect(certificate('revoked.pem').getExtension(QC_STATEMENTS)).not.toBeNull();
  });

  it('gives the issuing CA pathlen 0 and the server localhost + 127.0.0.1', () => {
    const issuing = certificate('issuing-ca.pem').getExtension(x509.BasicConstraintsExtension);
    expect(issuing?.ca).toBe(true);
    expect(issuing?.pathLength).toBe(0);
    const san = certificate('server.pem').getExtension(x509.SubjectAlternativeNameExtension)?.names.toJSON();
    expect(san).toEqual([
      { type: 'dns', value: 'localhost' },
      { type: 'ip', value: '127.0.0.1' },
    ]);
  });
});
