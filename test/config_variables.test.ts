/**
 * Regression (issue 11, item 8): an unknown GATEWAY_* variable was ignored without a word, so a typo
 * such as GATEWAY_CRLS (for GATEWAY_CRL) silently switched revocation off. Unknown names are reported
 * with the closest known one, as a warning in development and a refusal to start in production; a
 * production start without any CRL warns that revocation is off.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../src/config/config';
import { PROJECT_ROOT } from '../src/config/project_root';
import { declaredOnly, KNOWN_VARIABLES, unknownGatewayVariables } from '../src/config/variables';
import { startGatewayProcess } from './helpers/gateway_process';
import { testPkiFiles } from './helpers/test_pki';

function productionEnv(): Record<string, string> {
  const files = testPkiFiles();
  return {
    GATEWAY_MODE: 'production',
    GATEWAY_TRUST_ANCHOR: files.anchor,
    GATEWAY_TLS_CERT: files.serverChain,
    GATEWAY_TLS_KEY: files.serverKey,
    // Production needs a bank (or GATEWAY_SANDBOX=true): see test/bank/production_bank.test.ts.
    GATEWAY_BANK_URL: 'https://core.bank.internal',
    // …and its customers sign in at the bank's identity provider: see test/psu/.
    GATEWAY_PSU_OIDC_ISSUER: 'https://login.bank.internal',
    GATEWAY_PSU_OIDC_CLIENT_ID: 'psd2-gateway',
    GATEWAY_PSU_OIDC_CLIENT_SECRET: 'secret',
  };
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return sourceFiles(file);
    return file.endsWith('.ts') ? [file] : [];
  });
}

describe('GATEWAY_* variables', () => {
  it('warns in development, naming the closest known variable', () => {
    const config = loadConfig({ GATEWAY_CRLS: 'x.pem', GATEWAY_PROT: '1' }, { fixturesPending: true });
    expect(config.warnings).toEqual([
      'GATEWAY_CRLS: unknown variable; did you mean GATEWAY_CRL?',
      'GATEWAY_PROT: unknown variable; did you mean GATEWAY_PORT?',
    ]);
  });

  it('offers no suggestion for a name that resembles none', () => {
    expect(unknownGatewayVariables({ GATEWAY_SOMETHING_ELSE_ENTIRELY: '1' })).toEqual([
      { name: 'GATEWAY_SOMETHING_ELSE_ENTIRELY', suggestion: undefined },
    ]);
  });

  it('refuses to start in production', () => {
    expect(() => loadConfig({ ...productionEnv(), GATEWAY_CRLS: 'x.pem' })).toThrow(
      new ConfigError('GATEWAY_CRLS', 'unknown variable; did you mean GATEWAY_CRL?'),
    );
  });

  it('warns that revocation is off when production has no CRL', () => {
    expect(loadConfig(productionEnv()).warnings).toEqual([
      'GATEWAY_CRL: no CRL configured, so only certificates naming an OCSP responder or CRL distribution point are revocation-checked',
    ]);
    const withCrl = loadConfig({ ...productionEnv(), GATEWAY_CRL: testPkiFiles().crls.join(',') });
    expect(withCrl.warnings).toEqual([]);
  });

  it('throws when configuration code reads a variable the table does not declare', () => {
    const env = declaredOnly({ GATEWAY_PORT: '1' });
    expect(env.GATEWAY_PORT).toBe('1');
    expect(() => env.GATEWAY_UNDECLARED).toThrow(/GATEWAY_UNDECLARED.*does not declare/);
  });

  it('declares every GATEWAY_* name the sources use, and the README documents each', () => {
    const used = new Set<string>();
    for (const file of sourceFiles(path.join(PROJECT_ROOT, 'src'))) {
      for (const match of readFileSync(file, 'utf8').matchAll(/\bGATEWAY_[A-Z0-9_]*[A-Z0-9]\b/g)) {
        used.add(match[0]);
      }
    }
    const declared = Object.keys(KNOWN_VARIABLES);
    expect([...used].filter((name) => !declared.includes(name))).toEqual([]);
    const readme = readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
    expect(declared.filter((name) => !readme.includes(`| \`${name}\` |`))).toEqual([]);
  });

  it('a production gateway process refuses to start on a typo, naming the variable it meant', async () => {
    const start = startGatewayProcess({
      databaseUrl: `sqlite:${path.join(os.tmpdir(), 'never-opened.db')}`,
      env: { ...productionEnv(), GATEWAY_CRLS: testPkiFiles().crls.join(',') },
    });
    await expect(start).rejects.toThrow(/GATEWAY_CRLS: unknown variable; did you mean GATEWAY_CRL\?/);
  }, 60_000);
});
