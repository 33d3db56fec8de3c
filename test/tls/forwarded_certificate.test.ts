import { x509, webcrypto } from '../../src/fixtures/x509';
import { encodePem } from '../../src/pki/asn1/pem';
import {
  ForwardedCertificateError,
  TrustedProxies,
  forwardedChainFrom,
  stripForwardedCertificateHeaders,
} from '../../src/tls/forwarded_certificate';

/** A request's headers as node presents them: joined, and line by line. */
function req(headers: Record<string, string | string[]>) {
  const joined: Record<string, string> = {};
  const headersDistinct: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lines = Array.isArray(value) ? value : [value];
    joined[name] = lines.join(', ');
    headersDistinct[name] = lines;
  }
  return { headers: joined, headersDistinct };
}

async function selfSigned(cn: string): Promise<Buffer> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: `CN=${cn}`,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 3_600_000),
    keys,
    signingAlgorithm: alg,
  });
  return Buffer.from(cert.rawData);
}

describe('forwarded client certificates', () => {
  let leaf: Buffer;
  let intermediate: Buffer;
  beforeAll(async () => {
    leaf = await selfSigned('leaf');
    intermediate = await selfSigned('intermediate');
  });

  it('reads RFC 9440 Client-Cert and Client-Cert-Chain', () => {
    const chain = forwardedChainFrom(
      req({
        'client-cert': `:${leaf.toString('base64')}:`,
        'client-cert-chain': `:${intermediate.toString('base64')}:`,
      }),
      'client-cert',
    );
    expect(chain?.leaf.equals(leaf)).toBe(true);
    expect(chain?.intermediates.map((d) => d.equals(intermediate))).toEqual([true]);
    expect(chain?.source).toBe('forwarded');
  });

  it("reads nginx's URL-encoded PEM", () => {
    const chain = forwardedChainFrom(
      req({ 'x-ssl-client-cert': encodeURIComponent(encodePem(leaf, 'CERTIFICATE')) }),
      'nginx',
    );
    expect(chain?.leaf.equals(leaf)).toBe(true);
    expect(chain?.intermediates).toEqual([]);
  });

  it("reads Envoy's X-Forwarded-Client-Cert with its Chain", () => {
    const mine = encodeURIComponent(encodePem(leaf, 'CERTIFICATE'));
    const chainPem = encodeURIComponent(
      encodePem(leaf, 'CERTIFICATE') + encodePem(intermediate, 'CERTIFICATE'),
    );
    const header = `By=spiffe://x;Hash=def;Cert="${mine}";Chain="${chainPem}";Subject="CN=a, O=b"`;
    const chain = forwardedChainFrom(req({ 'x-forwarded-client-cert': header }), 'xfcc');
    expect(chain?.leaf.equals(leaf)).toBe(true);
    expect(chain?.intermediates.map((d) => d.equals(intermediate))).toEqual([true]);
  });

  it('refuses an X-Forwarded-Client-Cert with an element the client put there before the proxy appended its own', () => {
    const other = encodeURIComponent(encodePem(intermediate, 'CERTIFICATE'));
    const mine = encodeURIComponent(encodePem(leaf, 'CERTIFICATE'));
    const header = `Hash=abc;Cert="${other}",Hash=def;Cert="${mine}"`;
    expect(() => forwardedChainFrom(req({ 'x-forwarded-client-cert': header }), 'xfcc')).toThrow(
      'X-Forwarded-Client-Cert has 2 elements, not one',
    );
  });

  it.each([
    ['client-cert', 'client-cert'],
    ['x-ssl-client-cert', 'nginx'],
    ['x-forwarded-client-cert', 'xfcc'],
  ] as const)('refuses two %s field lines (%s)', (name, format) => {
    const value =
      format === 'client-cert'
        ? `:${leaf.toString('base64')}:`
        : format === 'nginx'
          ? encodeURIComponent(encodePem(leaf, 'CERTIFICATE'))
          : `Cert="${encodeURIComponent(encodePem(leaf, 'CERTIFICATE'))}"`;
    expect(() => forwardedChainFrom(req({ [name]: [value, value] }), format)).toThrow(
      `${name} header repeated`,
    );
  });

  it('reads only the configured format', () => {
    const headers = req({ 'client-cert': `:${leaf.toString('base64')}:` });
    expect(forwardedChainFrom(headers, 'nginx')).toBeUndefined();
    expect(forwardedChainFrom(headers, 'xfcc')).toBeUndefined();
  });

  it.each([
    ['client-cert', 'client-cert', 'not-a-byte-sequence'],
    ['client-cert', 'client-cert', ':@@@:'],
    ['x-ssl-client-cert', 'nginx', '%E0%A4%A'],
    ['x-ssl-client-cert', 'nginx', 'no pem here'],
    ['x-forwarded-client-cert', 'xfcc', 'Hash=abc'],
  ] as const)('refuses a malformed %s header (%s: %s) with a typed error', (name, format, value) => {
    expect(() => forwardedChainFrom(req({ [name]: value }), format)).toThrow(ForwardedCertificateError);
  });

  it('bounds the length of a forwarded chain', () => {
    const item = `:${intermediate.toString('base64')}:`;
    expect(() =>
      forwardedChainFrom(
        req({
          'client-cert': `:${leaf.toString('base64')}:`,
          'client-cert-chain': Array(17).fill(item).join(', '),
        }),
        'client-cert',
      ),
    ).toThrow('longer than 16');
  });

  it('strips every forwarded-certificate header', () => {
    const headers = {
      'client-cert': 'x',
      'client-cert-chain': 'y',
      'x-ssl-client-cert': 'z',
      'x-forwarded-client-cert': 'w',
      host: 'h',
    };
    expect(stripForwardedCertificateHeaders(headers)).toEqual([
      'client-cert',
      'client-cert-chain',
      'x-ssl-client-cert',
      'x-forwarded-client-cert',
    ]);
    expect(headers).toEqual({ host: 'h' });
  });

  it('keeps only the configured format when asked', () => {
    const headers = { 'client-cert': 'x', 'x-ssl-client-cert': 'z', host: 'h' };
    expect(stripForwardedCertificateHeaders(headers, ['x-ssl-client-cert'])).toEqual(['client-cert']);
    expect(headers).toEqual({ 'x-ssl-client-cert': 'z', host: 'h' });
  });
});

describe('TrustedProxies', () => {
  it.each([
    [['10.0.0.5'], '10.0.0.5', true],
    [['10.0.0.5'], '::ffff:10.0.0.5', true],
    [['10.0.0.0/24'], '10.0.0.77', true],
    [['10.0.0.0/24'], '10.0.1.1', false],
    [['::1'], '::1', true],
    [[], '127.0.0.1', false],
    [['127.0.0.1'], undefined, false],
  ])('%j includes %s: %s', (entries, address, expected) => {
    expect(new TrustedProxies(entries, { header: 'client-cert' }).includes(address)).toBe(expected);
  });

  it('rejects an entry that is not an address', () => {
    expect(() => new TrustedProxies(['proxy.example'], { header: 'nginx' })).toThrow('not an IP address');
  });

  it('needs the header format its proxies set', () => {
    expect(() => new TrustedProxies(['10.0.0.5'])).toThrow('forwarded certificate header');
  });
});
