/**
 * RevocationSources over certificates made per run (cert_factory) whose cRLDistributionPoints and CRLs
 * carry what openssl's configuration cannot easily write: partitioned and indirect distribution points,
 * names relative to the CRL issuer, issuingDistributionPoint scopes. CRLs are served by a real HTTP
 * server on 127.0.0.1 and fetched by the gateway's undici fetcher.
 */
import { x509 } from '../../fixtures/x509';
import { UndiciRevocationFetcher } from '../../adapters/undici_revocation_fetcher';
import { ChainValidator } from '../path/chain_validator';
import { ParsedCertificate } from '../certificate/parsed_certificate';
import { CrlRevocationChecker } from '../path/revocation';
import { RevocationSources, type RevocationPolicy } from './revocation_sources';
import {
  crlNumber,
  issue,
  makeCrl,
  trentWorld,
  type Issued,
  type TrentWorld,
} from '../../../test/pki/cert_factory';
import { freePorts, startHttpServer, startSilentServer } from '../../../test/helpers/openssl_revocation';

/** DER TLV with a definite length (short or long form). */
function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const body = Buffer.concat(parts);
  const n = body.length;
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return new Uint8Array(Buffer.concat([Buffer.from([tag, ...length]), body]));
}
const ascii = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));
const uri = (url: string) => tlv(0x86, ascii(url));
const fullName = (...names: Uint8Array[]) => tlv(0xa0, tlv(0xa0, ...names));
const relativeName = tlv(
  0xa0,
  tlv(0xa1, tlv(0x30, tlv(0x06, new Uint8Array([0x55, 0x04, 0x03])), tlv(0x0c, ascii('CRL1')))),
);

const TRUE = new Uint8Array([0xff]);
const issuingDistributionPoint = (...fields: Uint8Array[]) =>
  new x509.Extension('2.5.29.28', true, tlv(0x30, ...fields));
const OCSP_METHOD = new Uint8Array([0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01]);
const ocspResponders = (...urls: string[]) =>
  new x509.Extension(
    '1.3.6.1.5.5.7.1.1',
    false,
    tlv(0x30, ...urls.map((url) => tlv(0x30, tlv(0x06, OCSP_METHOD), uri(url)))),
  );
const distributionPoints = (...points: Uint8Array[][]) =>
  new x509.Extension('2.5.29.31', false, tlv(0x30, ...points.map((p) => tlv(0x30, ...p))));

let w: TrentWorld;
let base: string;
const crls = new Map<string, () => Buffer>();
let server: Awaited<ReturnType<typeof startHttpServer>>;
const fetcher = new UndiciRevocationFetcher();

beforeAll(async () => {
  w = await trentWorld();
  const [port] = (await freePorts(1)) as [number];
  base = `http://127.0.0.1:${port}`;
  server = await startHttpServer(port, crls);
});

afterAll(async () => {
  await server.stop();
  await fetcher.close();
});

async function leafWith(...extensions: x509.Extension[]): Promise<Issued> {
  return issue({
    subject: 'CN=Bank of Bob, O=Bank of Bob, C=DE',
    issuer: w.issuing,
    extraExtensions: extensions,
  });
}

function world(
  policy: RevocationPolicy = 'hard-fail',
  timeoutMs = 2000,
  limits: { maxRememberedLocations?: number; maxOcspAnswers?: number } = {},
) {
  const sources = new RevocationSources({
    files: new CrlRevocationChecker(),
    fetcher,
    policy,
    timeoutMs,
    ...limits,
  });
  const validator = new ChainValidator({ anchors: [w.root.der], revocation: sources });
  const check = (leaf: Issued) =>
    validator.validate({ leaf: leaf.der, intermediates: [w.issuing.der], purpose: 'clientAuth' });
  return { sources, check };
}

async function validate(leaf: Issued, policy: RevocationPolicy = 'hard-fail') {
  const { sources, check } = world(policy);
  try {
    return await check(leaf);
  } finally {
    sources.close();
  }
}

/** What the refusal says, to the client and to the log. */
const told = (result: Awaited<ReturnType<ChainValidator['validate']>>): string =>
  result.valid ? '' : `${result.reason} ${result.detail ?? ''}`;

describe('a certificate naming only revocation sources the gateway cannot use', () => {
  it.each([
    [
      'an ldap:// distribution point',
      () => [fullName(uri('ldap://ldap.example/cn=Trent?certificateRevocationList'))],
      /a CRL distribution point at ldap locations only/,
    ],
    [
      'a distribution point partitioned by reason',
      () => [fullName(uri(`${base}/partitioned.crl`)), tlv(0x81, new Uint8Array([0x06, 0x40]))],
      /partitioned by reason/,
    ],
    [
      'an indirect distribution point (cRLIssuer)',
      () => [fullName(uri(`${base}/indirect.crl`)), tlv(0xa2, tlv(0x82, ascii('crl.example')))],
      /another CRL issuer/,
    ],
    [
      'a distribution point named relative to the CRL issuer',
      () => [relativeName],
      /named relative to its CRL issuer/,
    ],
  ])('is refused under hard-fail: %s', async (_label, point, why) => {
    const result = await validate(await leafWith(distributionPoints(point())));
    expect(result).toMatchObject({
      valid: false,
      code: 'CERTIFICATE_INVALID',
      reason: expect.stringMatching(/^revocation status of CN=Bank of Bob could not be established: /),
    });
    expect(told(result)).toMatch(why);
    // Locations stay in the log.
    expect(result.valid ? '' : result.reason).not.toMatch(/127\.0\.0\.1|ldap\.example/);
  });

  it('is admitted with a warning under soft-fail', async () => {
    const leaf = await leafWith(distributionPoints([fullName(uri('ldap://ldap.example/cn=Trent'))]));
    await expect(validate(leaf, 'soft-fail')).resolves.toMatchObject({ valid: true });
  });

  it('is admitted when another source it names answers good', async () => {
    const crl = await makeCrl({ issuer: w.issuing });
    crls.set('/good.crl', () => Buffer.from(crl));
    const leaf = await leafWith(
      distributionPoints(
        [fullName(uri('ldap://ldap.example/cn=Trent'))],
        [fullName(uri(`${base}/good.crl`))],
      ),
    );
    await expect(validate(leaf)).resolves.toMatchObject({ valid: true });
  });

  it('a certificate naming no source at all is still admitted unchecked', async () => {
    await expect(validate(await leafWith())).resolves.toMatchObject({ valid: true });
  });
});

describe('a CRL is tied to the distribution point it was fetched from (RFC 5280 6.3.3 (b)(2))', () => {
  /** Publishes a CRL of the issuing CA with these issuingDistributionPoint fields at `path`. */
  async function publish(path: string, ...idp: Uint8Array[]): Promise<string> {
    const crl = await makeCrl({
      issuer: w.issuing,
      extensions: [crlNumber(), ...(idp.length > 0 ? [issuingDistributionPoint(...idp)] : [])],
    });
    crls.set(path, () => Buffer.from(crl));
    return `${base}${path}`;
  }

  it('admits a leaf on a CRL whose issuingDistributionPoint names the point it came from', async () => {
    const url = `${base}/scoped.crl`;
    await publish('/scoped.crl', fullName(uri(url)));
    await expect(validate(await leafWith(distributionPoints([fullName(uri(url))])))).resolves.toMatchObject({
      valid: true,
    });
  });

  it.each([
    [
      'a CRL scoped to another distribution point',
      () => [fullName(uri(`${base}/elsewhere.crl`))],
      /covers another distribution point than the one it was fetched from/,
    ],
    ['a CRL of attribute certificates only', () => [tlv(0x85, TRUE)], /covers only attribute certificates/],
    ['a CRL of CA certificates only', () => [tlv(0x82, TRUE)], /covers only CA certificates/],
  ])('refuses under hard-fail a leaf whose only CRL is %s', async (_label, idp, why) => {
    const path = `/${Math.random().toString(16).slice(2)}.crl`;
    const url = await publish(path, ...idp());
    const result = await validate(await leafWith(distributionPoints([fullName(uri(url))])));
    expect(result).toMatchObject({ valid: false, code: 'CERTIFICATE_INVALID' });
    expect(told(result)).toMatch(why);
  });

  it('a CRL file scoped to a distribution point does not speak for a certificate naming another', async () => {
    const crl = await makeCrl({
      issuer: w.issuing,
      extensions: [crlNumber(), issuingDistributionPoint(fullName(uri('http://crl.example/a.crl')))],
    });
    const files = new CrlRevocationChecker([crl]);
    const parse = (i: Issued) => ParsedCertificate.parse(i.der);
    const other = await leafWith(distributionPoints([fullName(uri('http://crl.example/b.crl'))]));
    const same = await leafWith(distributionPoints([fullName(uri('http://crl.example/a.crl'))]));
    await expect(files.check(parse(other), parse(w.issuing), new Date())).resolves.toMatchObject({
      status: 'unknown',
      reason: expect.stringMatching(/covers another distribution point than those CN=Bank of Bob names/),
    });
    await expect(files.check(parse(w.alice), parse(w.issuing), new Date())).resolves.toMatchObject({
      status: 'unknown',
    });
    await expect(files.check(parse(same), parse(w.issuing), new Date())).resolves.toMatchObject({
      status: 'good',
    });
  });
});

describe('failed sources cost one fetch, and a request one deadline', () => {
  const hits = (path: string) => server.hits.get(path) ?? 0;

  it('a CRL with a bad signature is fetched once, not once per request', async () => {
    const forged = await makeCrl({ issuer: w.issuing, signingKeys: w.alice.keys });
    crls.set('/forged.crl', () => Buffer.from(forged));
    const leaf = await leafWith(distributionPoints([fullName(uri(`${base}/forged.crl`))]));
    const { sources, check } = world();
    const results = [await check(leaf), await check(leaf), await check(leaf)];
    sources.close();
    expect(results.map((r) => r.valid)).toEqual([false, false, false]);
    expect(hits('/forged.crl')).toBe(1);
  });

  it('a responder that fails is not asked again for another certificate naming it', async () => {
    const url = `${base}/ocsp-down`;
    const [first, second] = [await leafWith(ocspResponders(url)), await leafWith(ocspResponders(url))];
    const { sources, check } = world();
    const results = [await check(first), await check(second)];
    sources.close();
    expect(results.map((r) => r.valid)).toEqual([false, false]);
    expect(hits('/ocsp-down')).toBe(1);
  });

  it('asks at most two CRL distribution points of one certificate', async () => {
    const paths = ['/cap1.crl', '/cap2.crl', '/cap3.crl', '/cap4.crl'];
    const leaf = await leafWith(distributionPoints(...paths.map((p) => [fullName(uri(`${base}${p}`))])));
    const result = await validate(leaf);
    expect(result).toMatchObject({ valid: false });
    expect(paths.map(hits)).toEqual([1, 1, 0, 0]);
  });

  it('gives the whole check of a path one deadline: a second hanging responder is not asked', async () => {
    const ports = (await freePorts(2)) as [number, number];
    const silent = await Promise.all(ports.map((port) => startSilentServer(port)));
    const leaf = await leafWith(ocspResponders(...ports.map((port) => `http://127.0.0.1:${port}/`)));
    const { sources, check } = world('hard-fail', 300);
    const result = await check(leaf);
    sources.close();
    await Promise.all(silent.map((server) => server.stop()));
    expect(result).toMatchObject({ valid: false });
    expect(told(result)).toMatch(/not asked: the revocation check had used its 300 ms/);
  });
});

describe('what the sources remember is bounded, and only paths to the anchor add to it', () => {
  const hits = (path: string) => server.hits.get(path) ?? 0;
  const nothing = { ocspAnswers: 0, ocspFailures: 0, crls: 0, crlFailures: 0, unreachableLocations: 0 };

  it('a certificate that does not lead to the anchor, or fails before revocation, fetches nothing', async () => {
    const names = (tag: string) => [
      ocspResponders(`${base}/${tag}-ocsp`),
      distributionPoints([fullName(uri(`${base}/${tag}.crl`))]),
    ];
    // Mallory's own CA, and a copy of Trent's issuing CA's name on Mallory's key.
    const malloryRoot = await issue({ subject: 'CN=Mallory Root, O=Mallory, C=EU', ca: true });
    const foreign = await issue({
      subject: 'CN=Mallory Bank, O=Mallory, C=DE',
      issuer: malloryRoot,
      extraExtensions: names('unanchored'),
    });
    const fakeIssuing = await issue({ subject: w.issuing.subject, ca: true });
    const forged = await issue({
      subject: 'CN=Mallory Bank, O=Mallory, C=DE',
      issuer: fakeIssuing,
      extraExtensions: names('name-copy'),
    });
    const day = 24 * 3600_000;
    const expired = await issue({
      subject: 'CN=Bank of Bob, O=Bank of Bob, C=DE',
      issuer: w.issuing,
      notBefore: new Date(Date.now() - 10 * day),
      notAfter: new Date(Date.now() - day),
      extraExtensions: names('expired-leaf'),
    });
    const { sources, check } = world();
    const results = [await check(foreign), await check(forged), await check(expired)];
    const remembered = sources.remembered;
    sources.close();
    expect(results.map((r) => (r.valid ? 'valid' : r.code))).toEqual([
      'CERTIFICATE_INVALID',
      'CERTIFICATE_INVALID',
      'CERTIFICATE_EXPIRED',
    ]);
    for (const tag of ['unanchored', 'name-copy', 'expired-leaf']) {
      expect(hits(`/${tag}-ocsp`)).toBe(0);
      expect(hits(`/${tag}.crl`)).toBe(0);
    }
    expect(remembered).toEqual(nothing);
  });

  it('remembers a bounded number of failed locations, forgetting the oldest first', async () => {
    const dead = ['/dead-1', '/dead-2', '/dead-3'];
    const naming = (path: string) => leafWith(ocspResponders(`${base}${path}`));
    const { sources, check } = world('hard-fail', 2000, { maxRememberedLocations: 2, maxOcspAnswers: 2 });
    try {
      for (const path of dead) expect(await check(await naming(path))).toMatchObject({ valid: false });
      expect(dead.map(hits)).toEqual([1, 1, 1]);
      expect(sources.remembered).toEqual({ ...nothing, ocspFailures: 2, unreachableLocations: 2 });
      // /dead-3 is still remembered: another certificate naming it does not make it asked again.
      await check(await naming('/dead-3'));
      expect(hits('/dead-3')).toBe(1);
      // /dead-1 was forgotten to make room: asked again.
      await check(await naming('/dead-1'));
      expect(hits('/dead-1')).toBe(2);
      expect(sources.remembered).toEqual({ ...nothing, ocspFailures: 2, unreachableLocations: 2 });
    } finally {
      sources.close();
    }
  });
});

describe('what a refusal tells the client', () => {
  it('says no revocation source answered, keeping locations and network errors for the log', async () => {
    const url = `${base}/missing.crl`;
    const result = await validate(await leafWith(distributionPoints([fullName(uri(url))])));
    expect(result).toMatchObject({
      valid: false,
      code: 'CERTIFICATE_INVALID',
      reason: 'revocation status of CN=Bank of Bob could not be established: no revocation source answered',
      detail: `CRL ${url}: answered HTTP 404`,
    });
  });
});
