import { testPkiFiles } from './helpers/test_pki';
import { ConfigError, isCatchAllRange, loadConfig, loadWorkerCount, MAX_WORKERS } from '../src/config/config';

/** GATEWAY_MODE=production with the test PKI's files: what production requires before anything else. */
function productionKeyMaterial(): Record<string, string> {
  const files = testPkiFiles();
  return {
    GATEWAY_MODE: 'production',
    GATEWAY_TRUST_ANCHOR: files.anchor,
    GATEWAY_TLS_CERT: files.serverChain,
    GATEWAY_TLS_KEY: files.serverKey,
  };
}

describe('loadConfig', () => {
  it('names the variable when a value is malformed', () => {
    expect(() => loadConfig({ GATEWAY_PORT: 'eighty' }, { fixturesPending: true })).toThrow(
      new ConfigError('GATEWAY_PORT', 'not a whole number: "eighty"'),
    );
  });

  it('refuses to start in production without key material', () => {
    expect(() =>
      loadConfig({ GATEWAY_MODE: 'production', GATEWAY_SANDBOX: 'true' }, { fixturesPending: true }),
    ).toThrow(/GATEWAY_TRUST_ANCHOR: required/);
  });

  it('names a missing file', () => {
    expect(() => loadConfig({ GATEWAY_TRUST_ANCHOR: '/nonexistent/anchor.pem' })).toThrow(
      'GATEWAY_TRUST_ANCHOR: file not found: /nonexistent/anchor.pem',
    );
  });

  it('defaults to port 8443 and the SQLite store under ./data', () => {
    const config = loadConfig({}, { fixturesPending: true });
    expect(config.port).toBe(8443);
    expect(config.databaseUrl).toBe('sqlite:./data/gateway.db');
    expect(config.usesFixturePki).toBe(true);
  });

  it('refuses GATEWAY_REDIRECT_URI_CHECK=warn in production, and allows it loudly on a sandbox', () => {
    const production = {
      ...productionKeyMaterial(),
      GATEWAY_BANK_URL: 'https://bank.example',
      GATEWAY_PSU_OIDC_ISSUER: 'https://login.bank.example',
      GATEWAY_PSU_OIDC_CLIENT_ID: 'psd2-gateway',
      GATEWAY_PSU_OIDC_CLIENT_SECRET: 'secret',
      GATEWAY_REDIRECT_URI_CHECK: 'warn',
    };
    expect(() => loadConfig(production, { fixturesPending: true })).toThrow(
      /^GATEWAY_REDIRECT_URI_CHECK: warn is refused when GATEWAY_MODE=production/,
    );
    const loud = /GATEWAY_REDIRECT_URI_CHECK=warn: .* ADMITTED/;
    const sandbox = loadConfig({ ...production, GATEWAY_SANDBOX: 'true' }, { fixturesPending: true });
    expect(sandbox.redirectUriCheck).toBe('warn');
    expect(sandbox.warnings).toEqual(expect.arrayContaining([expect.stringMatching(loud)]));
    const development = loadConfig({ GATEWAY_REDIRECT_URI_CHECK: 'warn' }, { fixturesPending: true });
    expect(development.warnings).toEqual(expect.arrayContaining([expect.stringMatching(loud)]));
    expect(loadConfig({}, { fixturesPending: true }).redirectUriCheck).toBe('strict');
  });

  it('requires no request signatures unless GATEWAY_REQUIRE_SIGNATURE says so, and names a bad value', () => {
    expect(loadConfig({}, { fixturesPending: true }).requireSignature).toBe(false);
    expect(
      loadConfig({ GATEWAY_REQUIRE_SIGNATURE: 'true' }, { fixturesPending: true }).requireSignature,
    ).toBe(true);
    expect(() => loadConfig({ GATEWAY_REQUIRE_SIGNATURE: 'always' }, { fixturesPending: true })).toThrow(
      new ConfigError('GATEWAY_REQUIRE_SIGNATURE', 'expected true or false, got "always"'),
    );
  });

  it('gives a payment 30 minutes for its authorisation unless GATEWAY_PAYMENT_AUTHORISATION_SECONDS says otherwise', () => {
    const dev = (env: Record<string, string>) => loadConfig(env, { fixturesPending: true });
    expect(dev({}).paymentAuthorisationSeconds).toBe(1800);
    expect(dev({ GATEWAY_PAYMENT_AUTHORISATION_SECONDS: '600' }).paymentAuthorisationSeconds).toBe(600);
    for (const value of ['59', '86401', 'soon'])
      expect(() => dev({ GATEWAY_PAYMENT_AUTHORISATION_SECONDS: value })).toThrow(
        /^GATEWAY_PAYMENT_AUTHORISATION_SECONDS: /,
      );
  });
});

describe('loadWorkerCount', () => {
  it('runs one process unless GATEWAY_WORKERS says otherwise', () => {
    expect(loadWorkerCount({})).toBe(1);
    expect(loadWorkerCount({ GATEWAY_WORKERS: ' ' })).toBe(1);
    expect(loadWorkerCount({ GATEWAY_WORKERS: '4' })).toBe(4);
    expect(loadWorkerCount({ GATEWAY_WORKERS: String(MAX_WORKERS) })).toBe(MAX_WORKERS);
  });

  it.each(['0', String(MAX_WORKERS + 1), '2.5', 'two', '-1'])(
    'refuses GATEWAY_WORKERS=%s, naming it',
    (value) => {
      expect(() => loadWorkerCount({ GATEWAY_WORKERS: value })).toThrow(/^GATEWAY_WORKERS: /);
    },
  );
});

describe('forwarded certificates configuration (issue 11.3)', () => {
  const dev = (env: Record<string, string>) => loadConfig(env, { fixturesPending: true });

  it('needs the one header format the proxy sets, naming GATEWAY_FORWARDED_CERT_HEADER', () => {
    expect(() => dev({ GATEWAY_TRUSTED_PROXIES: '10.0.0.5' })).toThrow(
      /^GATEWAY_FORWARDED_CERT_HEADER: required with GATEWAY_TRUSTED_PROXIES/,
    );
    expect(() => dev({ GATEWAY_TRUSTED_PROXIES: '10.0.0.5', GATEWAY_FORWARDED_CERT_HEADER: 'all' })).toThrow(
      /^GATEWAY_FORWARDED_CERT_HEADER: expected one of client-cert, nginx, xfcc/,
    );
    expect(() => dev({ GATEWAY_FORWARDED_CERT_HEADER: 'nginx' })).toThrow(
      /^GATEWAY_FORWARDED_CERT_HEADER: has no effect without GATEWAY_TRUSTED_PROXIES/,
    );
    expect(
      dev({ GATEWAY_TRUSTED_PROXIES: '10.0.0.5', GATEWAY_FORWARDED_CERT_HEADER: 'NGINX' })
        .forwardedCertHeader,
    ).toBe('nginx');
  });

  it('reads proxy certificate pins as openssl prints them or as plain hex', () => {
    const hex = 'ab'.repeat(32);
    const colons = `SHA256 Fingerprint=${'AB:'.repeat(31)}AB`;
    const config = dev({
      GATEWAY_TRUSTED_PROXIES: '10.0.0.5',
      GATEWAY_FORWARDED_CERT_HEADER: 'client-cert',
      GATEWAY_TRUSTED_PROXY_CERT_SHA256: `${hex}, ${colons}`,
    });
    expect(config.trustedProxyCertSha256).toEqual([hex, hex]);
    expect(() =>
      dev({
        GATEWAY_TRUSTED_PROXIES: '10.0.0.5',
        GATEWAY_FORWARDED_CERT_HEADER: 'client-cert',
        GATEWAY_TRUSTED_PROXY_CERT_SHA256: 'abc',
      }),
    ).toThrow(/^GATEWAY_TRUSTED_PROXY_CERT_SHA256: not a SHA-256 fingerprint/);
  });

  // The IPv4-mapped and IPv4-compatible rows match every IPv4 client in Node (issue 11 review, item 3).
  it.each([
    '0.0.0.0/0',
    '::/0',
    '128.0.0.0/1',
    '10.0.0.0/7',
    '2001::/15',
    '::ffff:0.0.0.0/96',
    '::ffff:0:0/96',
    '::ffff:10.0.0.0/100',
    '::ffff:0:0/95',
    '::/16',
    '::/96',
    '::/64',
    '0:0:0:0:0:ffff::/80',
  ])('refuses the catch-all range %s in production, naming GATEWAY_TRUSTED_PROXIES', (range) => {
    const env = {
      ...productionKeyMaterial(),
      GATEWAY_TRUSTED_PROXIES: `10.0.0.5,${range}`,
      GATEWAY_FORWARDED_CERT_HEADER: 'client-cert',
      GATEWAY_SANDBOX: 'true',
    };
    expect(() => loadConfig(env, { fixturesPending: true })).toThrow(
      new RegExp(`^GATEWAY_TRUSTED_PROXIES: ${range.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is a catch-all`),
    );
    // In development the range is allowed (the gateway logs a warning at start).
    expect(dev({ ...env, GATEWAY_MODE: 'development' }).trustedProxies).toContain(range);
  });

  it.each(['10.0.0.0/8', '192.168.0.0/16', 'fd00::/16', '::1', '::ffff:10.0.0.0/104', '::ffff:10.0.0.5/128'])(
    'accepts %s in production',
    (range) => {
      expect(isCatchAllRange(range)).toBe(false);
    },
  );

  it.each(['proxy.example', '10.0.0.1/33', '10.0.0.1/8/1', '::1/129'])(
    'refuses %s, naming the variable',
    (entry) => {
      expect(() => dev({ GATEWAY_TRUSTED_PROXIES: entry, GATEWAY_FORWARDED_CERT_HEADER: 'nginx' })).toThrow(
        /^GATEWAY_TRUSTED_PROXIES: /,
      );
    },
  );
});
