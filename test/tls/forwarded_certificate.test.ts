import { x509, webcrypto } from '../../src/fixtures/x509';
import { encodePem } from '../../src/pki/asn1/pem';
import {
  ForwardedCertificateError,
  TrustedProxies,
  forwardedChainFrom,
  stripForwardedCertificateHeaders,
} from '../../src/tls/forwarded_certificate';

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
    const chain = forwardedChainFrom({
      'client-cert': `:${leaf.toString('base64')}:`,
      'client-cert-chain': `:${intermediate.toString('base64')}:`,
    });
    expect(chain?.leaf.equals(leaf)).toBe(true);
    expect(chain?.intermediates.map((d) => d.equals(intermediate))).toEqual([true]);
    expect(chain?.source).toBe('forwarded');
  });

  it("reads nginx's URL-encoded PEM", () => {
    const chain = forwardedChainFrom({
      'x-ssl-client-cert': encodeURIComponent(encodePem(leaf, 'CERTIFICATE')),
    });
    expect(chain?.leaf.equals(leaf)).toBe(true);
    expect(chain?.intermediates).toEqual([]);
  });

  it("reads Envoy's X-Forwarded-Client-Cert, taking the element the nearest proxy appended", () => {
    const other = encodeURIComponent(encodePem(intermediate, 'CERTIFICATE'));
    const mine = encodeURIComponent(encodePem(leaf, 'CERTIFICATE'));
    const chainPem = encodeURIComponent(
      encodePem(leaf, 'CERTIFICATE') + encodePem(intermediate, 'CERTIFICATE'),
    );
    const header = `Hash=abc;Cert="${other}",By=spiffe://x;Hash=def;Cert="${mine}";Chain="${chainPem}";Subject="CN=a, O=b"`;
    const chain = forwardedChainFrom({ 'x-forwarded-client-cert': header });
    expect(chain?.leaf.equals(leaf)).toBe(true);
    expect(chain?.intermediates.map((d) => d.equals(intermediate))).toEqual([true]);
  });

  it.each([
    ['client-cert', 'not-a-byte-sequence'],
    ['client-cert', ':@@@:'],
    ['x-ssl-client-cert', '%E0%A4%A'],
    ['x-ssl-client-cert', 'no pem here'],
    ['x-forwarded-client-cert', 'Hash=abc'],
  ])('refuses a malformed %s header (%s) with a typed error', (name, value) => {
    expect(() => forwardedChainFrom({ [name]: value })).toThrow(ForwardedCertificateError);
  });

  it('bounds the length of a forwarded chain', () => {
    const item = `:${intermediate.toString('base64')}:`;
    expect(() =>
      forwardedChainFrom({
        'client-cert': `:${leaf.toString('base64')}:`,
        'client-cert-chain': Array(17).fill(item).join(', '),
      }),
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
    expect(stripForwardedCertificateHeaders(headers)).toBe(true);
    expect(headers).toEqual({ host: 'h' });
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
    expect(new TrustedProxies(entries).includes(address)).toBe(expected);
  });

  it('rejects an entry that is not an address', () => {
    expect(() => new TrustedProxies(['proxy.example'])).toThrow('not an IP address');
  });
});
