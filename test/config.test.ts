import { ConfigError, loadConfig, loadWorkerCount, MAX_WORKERS } from '../src/config/config';

describe('loadConfig', () => {
  it('names the variable when a value is malformed', () => {
    expect(() => loadConfig({ GATEWAY_PORT: 'eighty' }, { fixturesPending: true })).toThrow(
      new ConfigError('GATEWAY_PORT', 'not a whole number: "eighty"'),
    );
  });

  it('refuses to start in production without key material', () => {
    expect(() => loadConfig({ GATEWAY_MODE: 'production' }, { fixturesPending: true })).toThrow(
      /GATEWAY_TRUST_ANCHOR: required/,
    );
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

  it('requires no request signatures unless GATEWAY_REQUIRE_SIGNATURE says so, and names a bad value', () => {
    expect(loadConfig({}, { fixturesPending: true }).requireSignature).toBe(false);
    expect(
      loadConfig({ GATEWAY_REQUIRE_SIGNATURE: 'true' }, { fixturesPending: true }).requireSignature,
    ).toBe(true);
    expect(() => loadConfig({ GATEWAY_REQUIRE_SIGNATURE: 'always' }, { fixturesPending: true })).toThrow(
      new ConfigError('GATEWAY_REQUIRE_SIGNATURE', 'expected true or false, got "always"'),
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
