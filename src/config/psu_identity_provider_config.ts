/**
 * The bank's own OpenID Connect provider, where its customers (PSUs) authenticate instead of at the
 * gateway. Read only here; each key is documented once, here and in the README configuration table.
 */
import { ConfigError, nonEmpty, type Env } from './config';

/** How the ID token must show strong customer authentication (two independent factors). */
export type StrongAuthenticationEvidence = 'acr' | 'amr';

/** One accepted combination: for each factor, the amr values that show it. */
export type AmrCombination = string[][];

/**
 * RFC 8176 methods by the element of PSD2 strong customer authentication (RTS 2018/389 Art. 6 to 8) they
 * show. `mfa`, `mca`, `rba`, `user`, `wia` and `geo` name no element and so never count.
 */
const KNOWLEDGE = 'pwd|pin|kba';
const POSSESSION = 'otp|hwk|swk|sms|tel|sc|pop';
const INHERENCE = 'fpt|face|iris|retina|vbm';

/**
 * GATEWAY_PSU_OIDC_AMR_COMBINATIONS default: two elements of different categories (RTS Art. 4), so two
 * methods of one category, such as a password and a PIN, do not count.
 */
export const DEFAULT_AMR_COMBINATIONS = [
  `${KNOWLEDGE}+${POSSESSION}`,
  `${KNOWLEDGE}+${INHERENCE}`,
  `${POSSESSION}+${INHERENCE}`,
].join(' ');

export interface PsuIdentityProviderConfig {
  /** GATEWAY_PSU_OIDC_ISSUER: the provider's issuer; discovery reads `<issuer>/.well-known/openid-configuration`. */
  issuer: string;
  /** GATEWAY_PSU_OIDC_CLIENT_ID / _CLIENT_SECRET: the gateway as the provider's confidential client. */
  clientId: string;
  clientSecret: string;
  /** GATEWAY_PSU_OIDC_ACR_VALUES: requested, and with evidence `acr` the ID token's acr must be one of them. */
  acrValues: string[];
  /**
   * GATEWAY_PSU_OIDC_SCA_EVIDENCE: `acr` (the ID token's acr is one of acrValues) or `amr` (the methods in
   * amr make up one of amrCombinations). Default `acr` when acrValues are set, else `amr`.
   */
  evidence: StrongAuthenticationEvidence;
  /**
   * GATEWAY_PSU_OIDC_AMR_COMBINATIONS: with evidence `amr`, the combinations of methods that count as strong
   * authentication. Each combination is a list of factors, each factor the amr values (RFC 8176) that
   * show it; the ID token's amr must show every factor of one combination, each by a value of its own.
   */
  amrCombinations: AmrCombination[];
  /** GATEWAY_PSU_OIDC_PSU_ID_CLAIM: the ID-token claim holding the bank's PSU id. Default `sub`. */
  psuIdClaim: string;
}

const VARIABLES = [
  'GATEWAY_PSU_OIDC_ISSUER',
  'GATEWAY_PSU_OIDC_CLIENT_ID',
  'GATEWAY_PSU_OIDC_CLIENT_SECRET',
] as const;
const OPTIONAL = [
  'GATEWAY_PSU_OIDC_ACR_VALUES',
  'GATEWAY_PSU_OIDC_SCA_EVIDENCE',
  'GATEWAY_PSU_OIDC_AMR_COMBINATIONS',
  'GATEWAY_PSU_OIDC_PSU_ID_CLAIM',
] as const;

/** Undefined when no provider is configured; a half configuration is refused rather than ignored. */
export function loadPsuIdentityProviderConfig(
  env: Env,
  mode: 'development' | 'production',
): PsuIdentityProviderConfig | undefined {
  const [issuerRaw, clientId, clientSecret] = VARIABLES.map((name) => nonEmpty(env, name));
  if (issuerRaw === undefined && clientId === undefined && clientSecret === undefined) {
    for (const name of OPTIONAL) {
      if (nonEmpty(env, name) !== undefined)
        throw new ConfigError(name, 'set only together with GATEWAY_PSU_OIDC_ISSUER');
    }
    return undefined;
  }
  VARIABLES.forEach((name, i) => {
    if ([issuerRaw, clientId, clientSecret][i] === undefined)
      throw new ConfigError(name, `required with ${VARIABLES.filter((_, j) => j !== i).join(' and ')}`);
  });
  let issuer: URL;
  try {
    issuer = new URL(issuerRaw ?? '');
  } catch {
    throw new ConfigError('GATEWAY_PSU_OIDC_ISSUER', `not a URL: ${JSON.stringify(issuerRaw)}`);
  }
  // The ID token and the client secret travel on this connection: plain HTTP only off production.
  const allowed = mode === 'production' ? ['https:'] : ['https:', 'http:'];
  if (!allowed.includes(issuer.protocol)) {
    throw new ConfigError(
      'GATEWAY_PSU_OIDC_ISSUER',
      `expected an ${mode === 'production' ? 'https://' : 'http(s)://'} URL, got ${JSON.stringify(issuerRaw)}`,
    );
  }
  const acrValues = (nonEmpty(env, 'GATEWAY_PSU_OIDC_ACR_VALUES') ?? '')
    .split(/[\s,]+/)
    .filter((v) => v !== '');
  const evidenceRaw =
    nonEmpty(env, 'GATEWAY_PSU_OIDC_SCA_EVIDENCE') ?? (acrValues.length > 0 ? 'acr' : 'amr');
  if (evidenceRaw !== 'acr' && evidenceRaw !== 'amr') {
    throw new ConfigError(
      'GATEWAY_PSU_OIDC_SCA_EVIDENCE',
      `expected acr or amr, got ${JSON.stringify(evidenceRaw)}`,
    );
  }
  if (evidenceRaw === 'acr' && acrValues.length === 0) {
    throw new ConfigError(
      'GATEWAY_PSU_OIDC_SCA_EVIDENCE',
      'acr needs GATEWAY_PSU_OIDC_ACR_VALUES: the acr values that show strong customer authentication',
    );
  }
  const combinationsRaw = nonEmpty(env, 'GATEWAY_PSU_OIDC_AMR_COMBINATIONS');
  if (combinationsRaw !== undefined && evidenceRaw !== 'amr') {
    throw new ConfigError(
      'GATEWAY_PSU_OIDC_AMR_COMBINATIONS',
      'applies only with GATEWAY_PSU_OIDC_SCA_EVIDENCE=amr; with acr the provider vouches by its acr',
    );
  }
  return {
    // Kept as written: the discovered metadata must name exactly this issuer (OpenID Discovery §4.3).
    issuer: issuerRaw ?? '',
    clientId: clientId ?? '',
    clientSecret: clientSecret ?? '',
    acrValues,
    evidence: evidenceRaw,
    amrCombinations: parseAmrCombinations(combinationsRaw ?? DEFAULT_AMR_COMBINATIONS),
    psuIdClaim: nonEmpty(env, 'GATEWAY_PSU_OIDC_PSU_ID_CLAIM') ?? 'sub',
  };
}

/**
 * `pwd|pin+otp|hwk fpt+otp`: combinations separated by spaces or commas, factors within one by `+`, the
 * amr values that show a factor by `|`. A combination of one factor is refused: it is not strong customer
 * authentication, whatever the method.
 */
export function parseAmrCombinations(text: string): AmrCombination[] {
  const refuse = (why: string): never => {
    throw new ConfigError('GATEWAY_PSU_OIDC_AMR_COMBINATIONS', why);
  };
  const combinations = text
    .split(/[\s,]+/)
    .filter((c) => c !== '')
    .map((combination) => {
      const factors = combination.split('+').map((factor) => factor.split('|'));
      if (factors.length < 2) refuse(`${JSON.stringify(combination)} names one factor; two are required`);
      for (const value of factors.flat()) {
        if (!/^[A-Za-z0-9_.:-]+$/.test(value)) refuse(`${JSON.stringify(combination)}: bad amr value`);
      }
      return factors;
    });
  if (combinations.length === 0) refuse('no combination given');
  return combinations;
}
