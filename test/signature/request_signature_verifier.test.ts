/**
 * The verifier on the run's fixture PKI: Alice's and Carol's QSealCs validated by the real chain validator
 * (seal profile) behind the real cache, every check refused with its code and a text naming it.
 */
import { createPrivateKey, randomUUID, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createLogger } from '../../src/audit/logger';
import { GatewayError } from '../../src/errors/gateway_error';
import { FIXTURE_FILES } from '../../src/fixtures/fixture_pki';
import { decodePemBlocks } from '../../src/pki/asn1/pem';
import { ParsedCertificate } from '../../src/pki/certificate/parsed_certificate';
import type { TppIdentity } from '../../src/pki/identity/tpp_identity';
import { TrustStore } from '../../src/pki/path/trust_store';
import { digestHeaderValue } from '../../src/signature/digest_header';
import { formatDistinguishedName } from '../../src/signature/distinguished_name_text';
import {
  RequestSignatureVerifier,
  type SignatureContext,
  type SignedRequest,
} from '../../src/signature/request_signature_verifier';
import { signatureHeaders } from '../../src/signature/sign_request';
import { testPkiDir, testPkiFiles } from '../helpers/test_pki';

interface Credential {
  chain: Buffer[];
  keyPem: string;
}

function credential(id: string): Credential {
  const dir = path.join(testPkiDir(), FIXTURE_FILES.clientsDir);
  return {
    chain: decodePemBlocks(readFileSync(path.join(dir, `${id}.chain.pem`), 'utf8'), 'CERTIFICATE'),
    keyPem: readFileSync(path.join(dir, `${id}.key.pem`), 'utf8'),
  };
}

const connectionOf = (organizationIdentifier: string): TppIdentity => ({
  organizationIdentifier,
  name: 'x',
  roles: ['PSP_AI', 'PSP_PI'],
  ncaName: 'x',
  ncaId: 'DE-BAFIN',
  thumbprintS256: 'x',
  notAfter: new Date(Date.now() + 86_400_000),
});

let store: TrustStore;
let verifier: RequestSignatureVerifier;
let issuingCa: Buffer;
const ALICE = 'PSDDE-BAFIN-123456';

beforeAll(async () => {
  const files = testPkiFiles();
  store = await TrustStore.load({
    anchorFile: files.anchor,
    crlFiles: files.crls,
    logger: createLogger('silent'),
  });
  verifier = new RequestSignatureVerifier({ sealVerifier: store.sealVerifier });
  issuingCa = decodePemBlocks(readFileSync(files.issuingCa, 'utf8'), 'CERTIFICATE')[0] as Buffer;
});

const BODY = Buffer.from(
  '{"access":{"allPsd2":"allAccounts"},"recurringIndicator":false,"validUntil":"2030-01-01","frequencyPerDay":1}',
);

function rawHeaders(headers: Record<string, string>): string[] {
  return Object.entries(headers).flat();
}

/** A request signed with `sealId`, then changed by `tamper` (applied to the headers after signing). */
function signedRequest(
  sealId: string,
  options: {
    body?: Buffer;
    extra?: Record<string, string>;
    algorithm?: string;
    tamper?: (h: Record<string, string>) => void;
    sentBody?: Buffer;
  } = {},
): SignedRequest {
  const seal = credential(sealId);
  const body = options.body ?? BODY;
  const headers: Record<string, string> = {
    'X-Request-ID': randomUUID(),
    'Content-Type': 'application/json',
    ...options.extra,
  };
  Object.assign(
    headers,
    signatureHeaders({
      headers,
      body,
      seal: { certificate: seal.chain[0] as Buffer, privateKey: seal.keyPem },
      ...(options.algorithm !== undefined ? { algorithm: options.algorithm } : {}),
    }),
  );
  options.tamper?.(headers);
  return {
    method: 'POST',
    target: '/v1/consents',
    rawHeaders: rawHeaders(headers),
    body: options.sentBody ?? body,
  };
}

const context = (org = ALICE): SignatureContext => ({
  requestId: randomUUID(),
  connection: connectionOf(org),
  intermediates: [issuingCa],
  requiredRole: 'PSP_AI',
});

async function refusal(request: SignedRequest, ctx = context()): Promise<GatewayError> {
  try {
    await verifier.verify(request, ctx);
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('the request was accepted');
}

/** Replaces one parameter of the Signature header. */
function withParameter(name: string, value: string): (h: Record<string, string>) => void {
  return (h) => {
    h.Signature = (h.Signature as string).replace(new RegExp(`${name}="[^"]*"`), `${name}="${value}"`);
  };
}

describe('a correctly signed request', () => {
  it.each([
    ['alice-seal', ALICE, undefined],
    ['alice-seal', ALICE, 'ecdsa-sha256'],
    ['alice-seal', ALICE, 'SHA512withECDSA'],
    ['alice-seal', ALICE, 'hs2019'],
    ['carol-seal', 'PSDFR-ACPR-654321', 'rsa-sha256'],
    ['carol-seal', 'PSDFR-ACPR-654321', 'rsa-sha512'],
    ['carol-seal', 'PSDFR-ACPR-654321', 'SHA256withRSA'],
    ['carol-seal', 'PSDFR-ACPR-654321', 'SHA256withRSA/PSS'],
    ['carol-seal', 'PSDFR-ACPR-654321', 'hs2019'],
  ])('%s (%s) with algorithm %s verifies and leaves evidence', async (seal, org, algorithm) => {
    const request = signedRequest(seal, algorithm === undefined ? {} : { algorithm });
    const evidence = await verifier.verify(request, context(org));
    expect(evidence.organizationIdentifier).toBe(org);
    expect(evidence.signedHeaders).toEqual(['digest', 'x-request-id']);
    expect(evidence.signingString).toMatch(/^digest: SHA-256=.*\nx-request-id: [0-9a-f-]{36}$/);
    expect(evidence.certificateThumbprintS256).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('accepts an ECDSA signature as r||s as well as DER', async () => {
    const seal = credential('alice-seal');
    const headers: Record<string, string> = { 'X-Request-ID': randomUUID(), Digest: digestHeaderValue(BODY) };
    const text = `digest: ${headers.Digest}\nx-request-id: ${headers['X-Request-ID']}`;
    const raw = sign('sha256', Buffer.from(text), {
      key: createPrivateKey(seal.keyPem),
      dsaEncoding: 'ieee-p1363',
    });
    const cert = ParsedCertificate.parse(seal.chain[0] as Buffer);
    headers.Signature = `keyId="SN=${cert.serialHex},CA=${formatDistinguishedName(cert.issuer)}",algorithm="SHA256withECDSA",headers="digest x-request-id",signature="${raw.toString('base64')}"`;
    headers['TPP-Signature-Certificate'] = (seal.chain[0] as Buffer).toString('base64');
    await expect(
      verifier.verify(
        { method: 'POST', target: '/v1/consents', rawHeaders: rawHeaders(headers), body: BODY },
        context(),
      ),
    ).resolves.toBeDefined();
  });

  it('signs and verifies an empty body, PSU-ID and TPP-Redirect-URI and Date when sent', async () => {
    const request = signedRequest('alice-seal', {
      body: Buffer.alloc(0),
      extra: {
        'PSU-ID': 'anna',
        'TPP-Redirect-URI': 'https://api.bank-of-alice.example/cb',
        Date: new Date().toUTCString(),
      },
    });
    const evidence = await verifier.verify(request, context());
    expect(evidence.signedHeaders).toEqual(['digest', 'x-request-id', 'psu-id', 'tpp-redirect-uri', 'date']);
    expect(evidence.digest).toBe('SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=');
  });

  it.each([
    ['RFC 4514', (c: ParsedCertificate) => formatDistinguishedName(c.issuer)],
    ['OpenSSL slash form', () => '/C=DE/O=Trent Trust Services/CN=Trent QWAC Issuing CA'],
    ['comma form in certificate order', () => 'C=DE, O=Trent Trust Services, CN=Trent QWAC Issuing CA'],
    ['other case and spacing', () => 'cn=trent  qwac issuing ca , o=TRENT TRUST SERVICES,c=de'],
    ['dotted OIDs', () => '2.5.4.3=Trent QWAC Issuing CA,2.5.4.10=Trent Trust Services,2.5.4.6=DE'],
  ])('matches the keyId CA written in %s, and the serial with leading zeros', async (_form, issuerText) => {
    const cert = ParsedCertificate.parse(credential('alice-seal').chain[0] as Buffer);
    const request = signedRequest('alice-seal', {
      tamper: withParameter('keyId', `SN=000${cert.serialHex.toLowerCase()},CA=${issuerText(cert)}`),
    });
    // keyId is not signed (draft-cavage signs headers, not parameters): changing it keeps the signature valid.
    await expect(verifier.verify(request, context())).resolves.toBeDefined();
  });
});

describe('refusals', () => {
  const sig = (h: Record<string, string>): string => h.Signature as string;
  it.each<[string, () => SignedRequest, string, number, RegExp, string?]>([
    [
      'no Signature header',
      () => signedRequest('alice-seal', { tamper: (h) => delete h.Signature }),
      'SIGNATURE_MISSING',
      401,
      /Signature header is missing/,
    ],
    [
      'no TPP-Signature-Certificate',
      () => signedRequest('alice-seal', { tamper: (h) => delete h['TPP-Signature-Certificate'] }),
      'CERTIFICATE_MISSING',
      401,
      /TPP-Signature-Certificate/,
    ],
    [
      'no Digest',
      () => signedRequest('alice-seal', { tamper: (h) => delete h.Digest }),
      'SIGNATURE_INVALID',
      401,
      /Digest header is missing/,
    ],
    [
      'changed body',
      () => signedRequest('alice-seal', { sentBody: Buffer.from(BODY.toString().replace('false', 'true')) }),
      'SIGNATURE_INVALID',
      401,
      /Digest SHA-256 does not match the request body/,
    ],
    [
      'Digest with MD5',
      () => signedRequest('alice-seal', { tamper: (h) => (h.Digest = 'MD5=HUXZLQLMuI/KZ5KDcJPcOA==') }),
      'SIGNATURE_INVALID',
      401,
      /MD5.*not accepted/,
    ],
    [
      'changed signed header',
      () =>
        signedRequest('alice-seal', { extra: { 'PSU-ID': 'anna' }, tamper: (h) => (h['PSU-ID'] = 'bob') }),
      'SIGNATURE_INVALID',
      401,
      /does not verify/,
    ],
    [
      'changed X-Request-ID',
      () => signedRequest('alice-seal', { tamper: (h) => (h['X-Request-ID'] = randomUUID()) }),
      'SIGNATURE_INVALID',
      401,
      /does not verify/,
    ],
    [
      'PSU-ID sent, not in the list',
      () => signedRequest('alice-seal', { tamper: (h) => (h['PSU-ID'] = 'anna') }),
      'SIGNATURE_INVALID',
      401,
      /sends psu-id but headers does not list it/,
    ],
    [
      'x-request-id missing from the list',
      () => signedRequest('alice-seal', { tamper: withParameter('headers', 'digest') }),
      'SIGNATURE_INVALID',
      401,
      /does not list x-request-id/,
    ],
    [
      '(request-target) in the list',
      () =>
        signedRequest('alice-seal', {
          tamper: withParameter('headers', '(request-target) digest x-request-id'),
        }),
      'SIGNATURE_INVALID',
      401,
      /lists \(request-target\)/,
    ],
    [
      'upper-case names in the list',
      () => signedRequest('alice-seal', { tamper: withParameter('headers', 'Digest X-Request-ID') }),
      'SIGNATURE_INVALID',
      401,
      /lower-case header names/,
    ],
    [
      'date listed, not sent',
      () => signedRequest('alice-seal', { tamper: withParameter('headers', 'digest x-request-id date') }),
      'SIGNATURE_INVALID',
      401,
      /lists date, but the request does not send it/,
    ],
    [
      'unknown parameter',
      () => signedRequest('alice-seal', { tamper: (h) => (h.Signature = `${sig(h)},created="1"`) }),
      'SIGNATURE_INVALID',
      401,
      /"created" is not one of/,
    ],
    [
      'duplicate parameter',
      () =>
        signedRequest('alice-seal', { tamper: (h) => (h.Signature = `${sig(h)},algorithm="rsa-sha256"`) }),
      'SIGNATURE_INVALID',
      401,
      /more than once/,
    ],
    [
      'unquoted value',
      () =>
        signedRequest('alice-seal', {
          tamper: (h) =>
            (h.Signature = sig(h).replace('algorithm="SHA256withECDSA"', 'algorithm=SHA256withECDSA')),
        }),
      'SIGNATURE_INVALID',
      401,
      /name="value"/,
    ],
    [
      'keyId of another serial',
      () =>
        signedRequest('alice-seal', {
          tamper: withParameter('keyId', 'SN=1234,CA=CN=Trent QWAC Issuing CA,O=Trent Trust Services,C=DE'),
        }),
      'SIGNATURE_INVALID',
      401,
      /not the serial number/,
    ],
    [
      'keyId of another CA',
      () =>
        signedRequest('alice-seal', {
          tamper: (h) =>
            (h.Signature = sig(h).replace(/CA=[^"]*/, 'CA=CN=Mallory Seal CA,O=Mallory Bank,C=XX')),
        }),
      'SIGNATURE_INVALID',
      401,
      /CA is not the issuer/,
    ],
    [
      'keyId not SN=,CA=',
      () => signedRequest('alice-seal', { tamper: withParameter('keyId', 'alice') }),
      'SIGNATURE_INVALID',
      401,
      /SN=<hex serial>,CA=<issuer DN>/,
    ],
    [
      'RSA algorithm on an EC seal',
      () => signedRequest('alice-seal', { tamper: withParameter('algorithm', 'rsa-sha256') }),
      'SIGNATURE_INVALID',
      401,
      /does not fit the seal's EC key/,
    ],
    [
      'ECDSA algorithm on an RSA seal',
      () => signedRequest('carol-seal', { tamper: withParameter('algorithm', 'SHA256withECDSA') }),
      'SIGNATURE_INVALID',
      401,
      /does not fit the seal's RSA key/,
      'PSDFR-ACPR-654321',
    ],
    [
      'SHA-1 algorithm',
      () => signedRequest('carol-seal', { tamper: withParameter('algorithm', 'rsa-sha1') }),
      'SIGNATURE_INVALID',
      401,
      /not accepted/,
      'PSDFR-ACPR-654321',
    ],
    [
      'garbage certificate',
      () =>
        signedRequest('alice-seal', { tamper: (h) => (h['TPP-Signature-Certificate'] = 'bm90IGEgY2VydA==') }),
      'CERTIFICATE_INVALID',
      401,
      /not a base64 DER certificate/,
    ],
    [
      "Carol's seal on Alice's connection",
      () => signedRequest('carol-seal'),
      'CERTIFICATE_INVALID',
      401,
      /belongs to PSDFR-ACPR-654321, not to PSDDE-BAFIN-123456/,
    ],
    ['a QWAC used as seal', () => signedRequest('alice'), 'CERTIFICATE_INVALID', 401, /not eseal/],
    [
      "Mallory's seal with Alice's names",
      () => signedRequest('mallory-seal'),
      'CERTIFICATE_INVALID',
      401,
      /trust anchor/,
    ],
    ['a revoked seal', () => signedRequest('revoked-seal'), 'CERTIFICATE_REVOKED', 401, /revoked/],
    ['an expired seal', () => signedRequest('expired-seal'), 'CERTIFICATE_EXPIRED', 401, /expired/],
    [
      'a seal without the endpoint role',
      () => signedRequest('alice-seal-pi-only'),
      'ROLE_INVALID',
      401,
      /do not include PSP_AI/,
    ],
  ])('%s', async (_name, request, code, status, text, ...org) => {
    // A rest parameter: jest reads a sixth declared parameter as a `done` callback on five-element rows.
    const error = await refusal(request(), context(org[0] ?? ALICE));
    expect({ code: error.code, status: error.status }).toEqual({ code, status });
    expect(error.text).toMatch(text);
  });
});
