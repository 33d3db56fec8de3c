/**
 * A small certificate factory for tests: Trent (root + issuing CA), server certificates, QWAC-like client
 * certificates and Mallory's look-alikes. ECDSA P-256 throughout because key generation is fast; nothing
 * here tries to be a complete QWAC (the gateway's own fixtures do that).
 */
import { encodePem } from '../../src/pki/asn1/pem';
import type { webcrypto as WebCrypto } from 'node:crypto';
import { webcrypto, x509 } from '../../src/fixtures/x509';

type CryptoKeyPair = WebCrypto.CryptoKeyPair;

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

export interface TestCert {
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
  certPem: string;
  keyPem: string;
  der: Buffer;
}

export interface IssueParams {
  subject: string;
  issuer?: TestCert;
  ca?: { pathLength?: number };
  dns?: string[];
  ips?: string[];
  eku?: string[];
  notBefore?: Date;
  notAfter?: Date;
  keys?: CryptoKeyPair;
}

let serial = 1;

async function keyPem(keys: CryptoKeyPair): Promise<string> {
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const lines = pkcs8.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN PRIVATE KEY-----\n${lines.join('\n')}\n-----END PRIVATE KEY-----\n`;
}

export async function newKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
}

export async function issue(params: IssueParams): Promise<TestCert> {
  const keys = params.keys ?? (await newKeys());
  const extensions: x509.Extension[] = [];
  if (params.ca !== undefined) {
    extensions.push(new x509.BasicConstraintsExtension(true, params.ca.pathLength, true));
    extensions.push(
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    );
  } else {
    extensions.push(new x509.BasicConstraintsExtension(false, undefined, true));
    extensions.push(new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true));
  }
  if (params.eku !== undefined) extensions.push(new x509.ExtendedKeyUsageExtension(params.eku, false));
  const names = [
    ...(params.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(params.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  if (names.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(names));
  extensions.push(await x509.SubjectKeyIdentifierExtension.create(keys.publicKey));

  const notBefore = params.notBefore ?? new Date(Date.now() - DAY);
  const notAfter = params.notAfter ?? new Date(Date.now() + 30 * DAY);
  const serialNumber = (serial++).toString(16).padStart(4, '0');
  const cert =
    params.issuer === undefined
      ? await x509.X509CertificateGenerator.createSelfSigned({
          serialNumber,
          name: params.subject,
          notBefore,
          notAfter,
          keys,
          signingAlgorithm: ALG,
          extensions,
        })
      : await x509.X509CertificateGenerator.create({
          serialNumber,
          subject: params.subject,
          issuer: params.issuer.cert.subject,
          notBefore,
          notAfter,
          publicKey: keys.publicKey,
          signingKey: params.issuer.keys.privateKey,
          signingAlgorithm: ALG,
          extensions,
        });
  const der = Buffer.from(cert.rawData);
  return { cert, keys, der, certPem: encodePem(der, 'CERTIFICATE'), keyPem: await keyPem(keys) };
}

export const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
export const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

export interface TestPki {
  trentRoot: TestCert;
  trentIssuing: TestCert;
  /** Bob's server certificate under Trent: localhost and 127.0.0.1. */
  bobServer: TestCert;
  alice: TestCert;
  carol: TestCert;
  malloryRoot: TestCert;
  /** Mallory posing as Bob's Bank with a certificate from her own CA. */
  malloryServer: TestCert;
  /** A genuine Trent certificate, but for another host. */
  trentOtherHost: TestCert;
  /** CN=localhost and no subjectAltName at all. */
  trentCnOnly: TestCert;
  /** Mallory's self-signed certificate carrying Alice's names. */
  selfSignedAlice: TestCert;
  /** Mallory's CA issuing a certificate with Alice's names. */
  malloryAlice: TestCert;
}

/** Chain PEM as a client presents it: leaf, then intermediates. */
export function chainPem(...certs: TestCert[]): string {
  return certs.map((c) => c.certPem).join('');
}

export async function buildTestPki(): Promise<TestPki> {
  const trentRoot = await issue({ subject: 'CN=Trent Test Root,O=Trent,C=EU', ca: {} });
  const trentIssuing = await issue({
    subject: 'CN=Trent Test QWAC CA,O=Trent,C=EU',
    issuer: trentRoot,
    ca: { pathLength: 0 },
  });
  const aliceSubject = 'CN=Bank of Alice,2.5.4.97=PSDDE-BAFIN-123456,O=Bank of Alice,C=DE';
  const malloryRoot = await issue({ subject: 'CN=Mallory Root,O=Mallory,C=XX', ca: {} });
  return {
    trentRoot,
    trentIssuing,
    bobServer: await issue({
      subject: "CN=Bob's Bank,O=Bob's Bank,C=DE",
      issuer: trentIssuing,
      dns: ['localhost'],
      ips: ['127.0.0.1'],
      eku: [SERVER_AUTH],
    }),
    alice: await issue({ subject: aliceSubject, issuer: trentIssuing, eku: [CLIENT_AUTH] }),
    carol: await issue({
      subject: 'CN=Carol,2.5.4.97=PSDFR-ACPR-654321,O=Carol,C=FR',
      issuer: trentIssuing,
      eku: [CLIENT_AUTH],
    }),
    malloryRoot,
    malloryServer: await issue({
      subject: "CN=Bob's Bank,O=Bob's Bank,C=DE",
      issuer: malloryRoot,
      dns: ['localhost'],
      ips: ['127.0.0.1'],
      eku: [SERVER_AUTH],
    }),
    trentOtherHost: await issue({
      subject: 'CN=other.example,O=Other,C=DE',
      issuer: trentIssuing,
      dns: ['other.example'],
      eku: [SERVER_AUTH],
    }),
    trentCnOnly: await issue({
      subject: 'CN=localhost,O=Bob,C=DE',
      issuer: trentIssuing,
      eku: [SERVER_AUTH],
    }),
    selfSignedAlice: await issue({ subject: aliceSubject, eku: [CLIENT_AUTH] }),
    malloryAlice: await issue({ subject: aliceSubject, issuer: malloryRoot, eku: [CLIENT_AUTH] }),
  };
}
