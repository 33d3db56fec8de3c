import { ConfigError, loadConfig } from '../src/config/config';

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
});
