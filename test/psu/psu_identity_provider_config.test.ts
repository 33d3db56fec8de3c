import { ConfigError, loadConfig } from '../../src/config/config';
import {
  DEFAULT_AMR_COMBINATIONS,
  loadPsuIdentityProviderConfig,
  parseAmrCombinations,
} from '../../src/config/psu_identity_provider_config';
import { showsEveryFactor } from '../../src/psu/idp_sign_in';
import { testPkiFiles } from '../helpers/test_pki';

const IDP = {
  GATEWAY_PSU_OIDC_ISSUER: 'https://login.bank.example',
  GATEWAY_PSU_OIDC_CLIENT_ID: 'psd2-gateway',
  GATEWAY_PSU_OIDC_CLIENT_SECRET: 'secret',
};

describe('GATEWAY_PSU_OIDC_*', () => {
  it('absent: no identity provider', () => {
    expect(loadPsuIdentityProviderConfig({}, 'production')).toBeUndefined();
  });

  it('defaults: PSU id from sub; acr evidence when acr values are set, else amr', () => {
    expect(loadPsuIdentityProviderConfig(IDP, 'production')).toEqual({
      issuer: 'https://login.bank.example',
      clientId: 'psd2-gateway',
      clientSecret: 'secret',
      acrValues: [],
      evidence: 'amr',
      amrCombinations: parseAmrCombinations(DEFAULT_AMR_COMBINATIONS),
      psuIdClaim: 'sub',
    });
    expect(
      loadPsuIdentityProviderConfig({ ...IDP, GATEWAY_PSU_OIDC_ACR_VALUES: 'urn:a, urn:b' }, 'production'),
    ).toMatchObject({ acrValues: ['urn:a', 'urn:b'], evidence: 'acr' });
  });

  it.each([
    ['client id missing', { ...IDP, GATEWAY_PSU_OIDC_CLIENT_ID: '' }, 'GATEWAY_PSU_OIDC_CLIENT_ID'],
    ['secret missing', { ...IDP, GATEWAY_PSU_OIDC_CLIENT_SECRET: '' }, 'GATEWAY_PSU_OIDC_CLIENT_SECRET'],
    ['issuer missing', { ...IDP, GATEWAY_PSU_OIDC_ISSUER: '' }, 'GATEWAY_PSU_OIDC_ISSUER'],
    [
      'plain http in production',
      { ...IDP, GATEWAY_PSU_OIDC_ISSUER: 'http://login.bank.example' },
      'GATEWAY_PSU_OIDC_ISSUER',
    ],
    [
      'acr evidence without acr values',
      { ...IDP, GATEWAY_PSU_OIDC_SCA_EVIDENCE: 'acr' },
      'GATEWAY_PSU_OIDC_SCA_EVIDENCE',
    ],
    [
      'unknown evidence',
      { ...IDP, GATEWAY_PSU_OIDC_SCA_EVIDENCE: 'password' },
      'GATEWAY_PSU_OIDC_SCA_EVIDENCE',
    ],
    ['claim without issuer', { GATEWAY_PSU_OIDC_PSU_ID_CLAIM: 'psu_id' }, 'GATEWAY_PSU_OIDC_PSU_ID_CLAIM'],
    [
      'amr combinations with acr evidence',
      { ...IDP, GATEWAY_PSU_OIDC_ACR_VALUES: 'urn:a', GATEWAY_PSU_OIDC_AMR_COMBINATIONS: 'pwd+otp' },
      'GATEWAY_PSU_OIDC_AMR_COMBINATIONS',
    ],
    [
      'an amr combination of one factor',
      { ...IDP, GATEWAY_PSU_OIDC_AMR_COMBINATIONS: 'pwd+otp hwk' },
      'GATEWAY_PSU_OIDC_AMR_COMBINATIONS',
    ],
    [
      'an amr value that is no token',
      { ...IDP, GATEWAY_PSU_OIDC_AMR_COMBINATIONS: 'pwd+o"tp' },
      'GATEWAY_PSU_OIDC_AMR_COMBINATIONS',
    ],
  ])('%s: refused naming %s', (_name, env, variable) => {
    expect(() => loadPsuIdentityProviderConfig(env, 'production')).toThrow(ConfigError);
    try {
      loadPsuIdentityProviderConfig(env, 'production');
    } catch (error) {
      expect((error as ConfigError).variable).toBe(variable);
    }
  });

  describe('which amr count as strong customer authentication', () => {
    const defaults = parseAmrCombinations(DEFAULT_AMR_COMBINATIONS);
    const strong = (amr: string[], combinations = defaults) =>
      combinations.some((c) => showsEveryFactor(new Set(amr), c));

    it.each([
      [['pwd', 'otp'], true],
      [['pin', 'hwk'], true],
      [['face', 'swk'], true],
      [['pwd', 'fpt'], true],
      [['otp', 'pwd', 'mfa'], true],
      [['pwd', 'pin'], false],
      [['otp', 'sms'], false],
      [['fpt', 'face'], false],
      [['mfa'], false],
      [['mfa', 'pwd'], false],
      [['pwd'], false],
      [[], false],
    ])('by default %j: %s (two elements of different categories)', (amr, expected) => {
      expect(strong(amr)).toBe(expected);
    });

    it('configured combinations: each factor by a method of its own, even when the lists overlap', () => {
      const combinations = parseAmrCombinations('otp|sms+otp|sms, pwd+hwk');
      expect(strong(['otp'], combinations)).toBe(false);
      expect(strong(['otp', 'sms'], combinations)).toBe(true);
      expect(strong(['pwd', 'otp'], combinations)).toBe(false);
      expect(strong(['hwk', 'pwd'], combinations)).toBe(true);
    });
  });

  const productionInFrontOfABank = () => {
    const files = testPkiFiles();
    return {
      GATEWAY_MODE: 'production',
      GATEWAY_TRUST_ANCHOR: files.anchor,
      GATEWAY_TLS_CERT: files.serverChain,
      GATEWAY_TLS_KEY: files.serverKey,
      GATEWAY_CRL: files.crls.join(','),
      GATEWAY_BANK_URL: 'https://core.bank.internal',
    };
  };

  it('production with a bank, no sandbox and no identity provider: refuses to start, naming GATEWAY_PSU_OIDC_ISSUER', () => {
    const attempt = () => loadConfig(productionInFrontOfABank());
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/^GATEWAY_PSU_OIDC_ISSUER: required when GATEWAY_MODE=production/);
    expect(attempt).toThrow(/no PSU can sign in/);
  });

  it('production with a bank starts with the identity provider, or as the testing facility (GATEWAY_SANDBOX=true)', () => {
    const withIdp = loadConfig({ ...productionInFrontOfABank(), ...IDP });
    expect(withIdp.sandbox).toBe(false);
    expect(withIdp.psuIdentityProvider?.issuer).toBe('https://login.bank.example');
    expect(withIdp.warnings).toEqual([]);
    const facility = loadConfig({ ...productionInFrontOfABank(), GATEWAY_SANDBOX: 'true' });
    expect(facility.sandbox).toBe(true);
    expect(facility.psuIdentityProvider).toBeUndefined();
  });

  it('development with a bank, no sandbox and no identity provider: starts, and the log says nobody can sign in', () => {
    const config = loadConfig(
      { ...productionInFrontOfABank(), GATEWAY_MODE: 'development' },
      { fixturesPending: true },
    );
    expect(config.sandbox).toBe(false);
    expect(config.psuIdentityProvider).toBeUndefined();
    expect(config.warnings).toEqual([
      "GATEWAY_PSU_OIDC_ISSUER: not set and this is not a sandbox, so no PSU can sign in; set the bank's identity provider",
    ]);
  });
});
