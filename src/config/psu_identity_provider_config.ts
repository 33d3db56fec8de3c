/**
 * The bank's own OpenID Connect provider, where its customers (PSUs) authenticate instead of at the
 * gateway. Read only here; each key is documented once, here and in the README configuration table.
 */
import { ConfigError, nonEmpty, type Env } from './config';

/** How the ID token must show strong customer authentication (two independent factors). */
export type StrongAuthenticationEvidence = 'acr' | 'amr';

export interface PsuIdentityProviderConfig {
  /** GATEWAY_PSU_OIDC_ISSUER: the provider's issuer; discovery reads `<issuer>/.well-known/openid-configuration`. */
  issuer: string;
  /** GATEWAY_PSU_OIDC_CLIENT_ID / _CLIENT_SECRET: the gateway as the provider's confidential client. */
  clientId: string;
  clientSecret: string;
  /** GATEWAY_PSU_OIDC_ACR_VALUES: requested, and with evidence `acr` the ID token's acr must be one of them. */
  acrValues: string[];
  /**
   * GATEWAY_PSU_OIDC_SCA_EVIDENCE: `acr` (the ID token's acr is one of acrValues) or `amr` (at least two
   * different methods in amr). Default `acr` when acrValues are set, else `amr`.
   */
  evidence: StrongAuthenticationEvidence;
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
  return {
    // Kept as written: the discovered metadata must name exactly this issuer (OpenID Discovery §4.3).
    issuer: issuerRaw ?? '',
    clientId: clientId ?? '',
    clientSecret: clientSecret ?? '',
    acrValues,
    evidence: evidenceRaw,
    psuIdClaim: nonEmpty(env, 'GATEWAY_PSU_OIDC_PSU_ID_CLAIM') ?? 'sub',
  };
}
