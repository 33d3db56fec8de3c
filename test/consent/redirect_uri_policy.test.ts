/**
 * Issue 17.4: the redirect-URI rule as a table: registered hosts from the TPP directory, the QWAC's
 * dNSNames, the commonName fallback for a QWAC without any, and the two modes.
 */
import {
  certificateHosts,
  RedirectUriPolicy,
  type CertificateHostNames,
  type RegisteredRedirectHosts,
} from '../../src/consent/redirect_uri_policy';
import { GatewayError } from '../../src/errors/gateway_error';
import type { TppIdentity } from '../../src/pki/identity/tpp_identity';
import { ParsedCertificate } from '../../src/pki/certificate/parsed_certificate';
import { identityFromQwac } from '../../src/pki/qwac/qwac_identity';
import { makeLeafDer } from '../pki/qwac_test_certificates';

const ALICE: TppIdentity = {
  organizationIdentifier: 'PSDDE-BAFIN-123456',
  name: 'Bank of Alice',
  roles: ['PSP_AI'],
  ncaName: 'BaFin',
  ncaId: 'DE-BAFIN',
  thumbprintS256: 'x'.repeat(43),
  notAfter: new Date('2099-01-01'),
};

/** Stands in for the store: a map, because the rule is what is under test here. */
const directory = (hosts: Record<string, string[]>): RegisteredRedirectHosts => ({
  hostsOf: (org) => Promise.resolve(hosts[org] ?? []),
});

async function outcome(
  policy: RedirectUriPolicy,
  uri: string,
  certificate: CertificateHostNames,
): Promise<string> {
  try {
    const checked = await policy.check(uri, ALICE, certificate);
    return checked.warning === undefined ? 'admitted' : 'warned';
  } catch (error) {
    if (error instanceof GatewayError) return `refused ${error.code}`;
    throw error;
  }
}

describe('certificateHosts', () => {
  it.each([
    ['dNSNames win over the commonName', { dnsNames: ['a.example'], commonName: 'b.example' }, ['a.example']],
    [
      'no dNSName: a host-name commonName',
      { dnsNames: [], commonName: 'API.Tpp.Example.' },
      ['api.tpp.example'],
    ],
    ['no dNSName: a company name is no host', { commonName: 'Bank of Alice' }, []],
    ['no dNSName: one label is no host', { commonName: 'localhost' }, []],
    ['nothing at all', {}, []],
  ])('%s', (_name, names: CertificateHostNames, expected: string[]) => {
    expect(certificateHosts(names)).toEqual(expected);
  });
});

describe('RedirectUriPolicy', () => {
  const registered = directory({ 'PSDDE-BAFIN-123456': ['tpp-app.example', '*.alice.example'] });
  it.each([
    [
      'registered host',
      registered,
      'https://tpp-app.example/cb',
      { dnsNames: ['api.alice.example'] },
      'admitted',
    ],
    ['registered wildcard, one label', registered, 'https://x.alice.example/cb', {}, 'admitted'],
    [
      'registered wildcard, two labels',
      registered,
      'https://a.b.alice.example/cb',
      {},
      'refused FORMAT_ERROR',
    ],
    [
      'registered hosts replace the certificate names',
      registered,
      'https://api.bank-of-alice.example/cb',
      { dnsNames: ['api.bank-of-alice.example'] },
      'refused FORMAT_ERROR',
    ],
    [
      'nothing registered: certificate dNSName',
      directory({}),
      'https://api.bank-of-alice.example/cb',
      { dnsNames: ['api.bank-of-alice.example'] },
      'admitted',
    ],
    [
      'nothing registered, no dNSName: commonName fallback',
      directory({}),
      'https://api.bank-of-alice.example/cb',
      { dnsNames: [], commonName: 'api.bank-of-alice.example' },
      'admitted',
    ],
    [
      'nothing registered, nothing in the certificate',
      directory({}),
      'https://api.bank-of-alice.example/cb',
      { commonName: 'Bank of Alice' },
      'refused FORMAT_ERROR',
    ],
  ])('strict: %s', async (_name, dir, uri, certificate: CertificateHostNames, expected) => {
    expect(await outcome(new RedirectUriPolicy({ directory: dir }), uri, certificate)).toBe(expected);
  });

  it.each([
    ['a foreign host is admitted with a warning', 'https://evil.example/cb', 'warned'],
    ['a matching host has no warning', 'https://api.bank-of-alice.example/cb', 'admitted'],
    ['http is refused in either mode', 'http://api.bank-of-alice.example/cb', 'refused FORMAT_ERROR'],
    ['an IP literal is refused in either mode', 'https://192.0.2.1/cb', 'refused FORMAT_ERROR'],
  ])('warn: %s', async (_name, uri, expected) => {
    const policy = new RedirectUriPolicy({ directory: directory({}), mode: 'warn' });
    expect(await outcome(policy, uri, { dnsNames: ['api.bank-of-alice.example'] })).toBe(expected);
  });

  it('reads the commonName from a real QWAC leaf without subjectAltName', async () => {
    const result = identityFromQwac(
      ParsedCertificate.parse(await makeLeafDer({ commonName: 'api.cn-only.example' })),
    );
    if (!result.ok) throw new Error(result.reason);
    expect(result.identity.commonName).toBe('api.cn-only.example');
    const policy = new RedirectUriPolicy({ directory: directory({}) });
    const checked = await policy.check('https://api.cn-only.example/cb', ALICE, {
      dnsNames: [],
      commonName: result.identity.commonName,
    });
    expect(checked).toEqual({ uri: 'https://api.cn-only.example/cb' });
  });
});
