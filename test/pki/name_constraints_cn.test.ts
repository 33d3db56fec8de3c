/**
 * Name constraints reach a SAN-less leaf's commonName when it is a host name, as OpenSSL does
 * (issue 11.7): a CA limited to alice.example cannot issue for evil.example by leaving out the SAN.
 * The PKI is made by plain openssl, as a CA would.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ChainValidator } from '../../src/pki/path/chain_validator';
import { decodePemBlocks } from '../../src/pki/asn1/pem';

const dir = mkdtempSync(path.join(os.tmpdir(), 'psd2-nc-'));
const at = (name: string) => path.join(dir, name);
const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
const der = (file: string) => decodePemBlocks(readFileSync(at(file), 'utf8'), 'CERTIFICATE')[0] as Buffer;
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

function issueLeaf(name: string, subject: string, extraExt = ''): Buffer {
  openssl('req', ...EC, '-keyout', at(`${name}.key`), '-out', at(`${name}.csr`), '-subj', subject);
  writeFileSync(
    at(`${name}.ext`),
    `basicConstraints=critical,CA:false\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n${extraExt}`,
  );
  openssl(
    'x509',
    '-req',
    '-in',
    at(`${name}.csr`),
    '-CA',
    at('ca.pem'),
    '-CAkey',
    at('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    at(`${name}.ext`),
    '-out',
    at(`${name}.pem`),
  );
  return der(`${name}.pem`);
}

describe('name constraints and a SAN-less leaf', () => {
  let validator: ChainValidator;
  let ca: Buffer;
  beforeAll(() => {
    openssl(
      'req',
      '-x509',
      ...EC,
      '-keyout',
      at('root.key'),
      '-out',
      at('root.pem'),
      '-subj',
      '/CN=NC Root',
      '-days',
      '2',
      '-addext',
      'basicConstraints=critical,CA:true',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    );
    openssl('req', ...EC, '-keyout', at('ca.key'), '-out', at('ca.csr'), '-subj', '/CN=Alice-only CA');
    writeFileSync(
      at('ca.ext'),
      'basicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\nnameConstraints=critical,permitted;DNS:alice.example\n',
    );
    openssl(
      'x509',
      '-req',
      '-in',
      at('ca.csr'),
      '-CA',
      at('root.pem'),
      '-CAkey',
      at('root.key'),
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      at('ca.ext'),
      '-out',
      at('ca.pem'),
    );
    ca = der('ca.pem');
    validator = new ChainValidator({ anchors: [der('root.pem')] });
  });

  const validate = (leaf: Buffer) => validator.validate({ leaf, intermediates: [ca], purpose: 'clientAuth' });

  it.each([
    ['a CN host name outside the constraint', '/O=Mallory/CN=evil.example', '', false],
    ['a CN host name inside the constraint', '/O=Alice/CN=api.alice.example', '', true],
    ['a CN that is no host name', '/O=Alice/CN=Bank of Alice', '', true],
    [
      'a SAN inside the constraint (the CN is then not a host name)',
      '/CN=evil.example',
      'subjectAltName=DNS:api.alice.example\n',
      true,
    ],
  ])('%s (subject %s)', async (_name, subject, ext, valid) => {
    const leaf = issueLeaf(subject.replace(/\W/g, ''), subject, ext);
    const result = await validate(leaf);
    expect(result.valid).toBe(valid);
    if (!result.valid)
      expect(result.reason).toMatch(/dns name outside the permitted names of intermediate CN=Alice-only CA/);
    // OpenSSL agrees on every row.
    let openSslValid = true;
    try {
      openssl(
        'verify',
        '-CAfile',
        at('root.pem'),
        '-untrusted',
        at('ca.pem'),
        at(`${subject.replace(/\W/g, '')}.pem`),
      );
    } catch {
      openSslValid = false;
    }
    expect(openSslValid).toBe(valid);
  });
});
