/**
 * Every GATEWAY_* environment variable the gateway knows, declared once. To add a variable: add a row
 * here (and to the README's configuration table), then read it in config.ts. Reading one that is not
 * here throws (`declaredOnly`), and test/config_variables.test.ts fails on any GATEWAY_* name in src/
 * that is not here, so a typo in an operator's environment can always be reported.
 */
import type { Env } from './config';

export const KNOWN_VARIABLES = {
  GATEWAY_MODE: 'development or production',
  GATEWAY_HOST: 'address to listen on',
  GATEWAY_PORT: 'TLS port',
  GATEWAY_MAX_CONNECTIONS_PER_ADDRESS: 'open connections one client address may hold on the TLS port',
  GATEWAY_TRUST_ANCHOR: 'the one trust anchor (PEM or DER)',
  GATEWAY_TLS_CERT: 'server certificate chain (PEM)',
  GATEWAY_TLS_KEY: "the server certificate's private key (PEM)",
  GATEWAY_CRL: 'comma-separated CRL files',
  GATEWAY_CRL_RELOAD_SECONDS: 'how often CRL files are checked for changes',
  GATEWAY_CRL_GRACE_SECONDS: 'how long past its nextUpdate a CRL still counts (a CA publishing late)',
  GATEWAY_REVOCATION: 'hard-fail (refuse) or soft-fail (admit, warn) when no revocation source answers',
  GATEWAY_REVOCATION_TIMEOUT_MS:
    'deadline of the online revocation check of one request (all its OCSP and CRL fetches)',
  GATEWAY_DATABASE_URL: 'sqlite:<file> or postgres://…',
  GATEWAY_PUBLIC_URL: 'public origin, also the OAuth issuer',
  GATEWAY_TRUSTED_PROXIES: 'proxies whose forwarded client-certificate headers are believed',
  GATEWAY_REJECT_UNTRUSTED_AT_HANDSHAKE: 'drop untrusted chains during the TLS handshake',
  GATEWAY_REQUIRE_SIGNATURE: 'require Berlin Group request signatures made with the TPP QSealC',
  GATEWAY_WORKERS: 'number of gateway processes sharing the port',
  GATEWAY_LOG_LEVEL: 'pino log level',
  GATEWAY_FORWARDED_CERT_HEADER:
    'the one certificate header the trusted proxy sets (client-cert, nginx, xfcc)',
  GATEWAY_TRUSTED_PROXY_CERT_SHA256: "SHA-256 pins of the proxies' own client certificates",
  GATEWAY_INTERMEDIATES: 'issuing CAs (PEM bundle) offered to path building, each validated to the anchor',
  GATEWAY_BANK_URL: "base URL of the bank's connector (openapi/bank-connector.json)",
  GATEWAY_BANK_CLIENT_CERT: 'client certificate the gateway presents to the bank (PEM)',
  GATEWAY_BANK_CLIENT_KEY: "that client certificate's private key (PEM)",
  GATEWAY_BANK_CA: "the bank's internal CA for its server certificate (PEM)",
  GATEWAY_BANK_TIMEOUT_MS: 'connect timeout and deadline of each bank call',
  GATEWAY_SANDBOX: "this deployment is the bank's public testing facility",
  GATEWAY_PSU_OIDC_ISSUER: "issuer of the bank's OpenID Connect provider, where PSUs authenticate",
  GATEWAY_PSU_OIDC_CLIENT_ID: "the gateway's client id at that provider",
  GATEWAY_PSU_OIDC_CLIENT_SECRET: "the gateway's client secret at that provider",
  GATEWAY_PSU_OIDC_ACR_VALUES:
    'acr values to request; with evidence acr, the ones that show strong authentication',
  GATEWAY_PSU_OIDC_SCA_EVIDENCE:
    'how the ID token shows strong authentication: acr, or amr (an accepted combination of methods)',
  GATEWAY_PSU_OIDC_AMR_COMBINATIONS:
    'with evidence amr: the combinations of amr methods that count as strong authentication',
  GATEWAY_PSU_OIDC_PSU_ID_CLAIM: "the ID-token claim that holds the bank's PSU id",
  GATEWAY_ADMIN_HOST: 'address of the admin listener (/healthz, /readyz, /metrics)',
  GATEWAY_ADMIN_PORT: 'port of the admin listener',
  GATEWAY_SHUTDOWN_GRACE_SECONDS: 'how long requests in flight may take to finish after SIGTERM',
  GATEWAY_AUDIT_QUEUE_MAX: 'audit events waiting for their batch write before events are dropped',
  GATEWAY_REDIRECT_URI_CHECK:
    "strict (refuse) or warn (admit with a WARNING) a TPP-Redirect-URI host not shown to be the TPP's",
  GATEWAY_PAYMENT_AUTHORISATION_SECONDS:
    "how long an initiated payment awaits the PSU's authorisation before it is rejected",
  GATEWAY_WATCH_KEY_FILES: 'reload certificate, key, anchor and CRLs when their files change',
} as const satisfies Record<`GATEWAY_${string}`, string>;

export type GatewayVariable = keyof typeof KNOWN_VARIABLES;

const KNOWN: ReadonlySet<string> = new Set(Object.keys(KNOWN_VARIABLES));

export function isGatewayVariable(name: string): name is GatewayVariable {
  return KNOWN.has(name);
}

export interface UnknownVariable {
  name: string;
  /** The closest declared name, when one is close enough to be a likely typo. */
  suggestion: string | undefined;
}

/** GATEWAY_* names in `env` that no row above declares, each with the closest declared name. */
export function unknownGatewayVariables(env: Env): UnknownVariable[] {
  return Object.keys(env)
    .filter((name) => name.startsWith('GATEWAY_') && !KNOWN.has(name))
    .sort()
    .map((name) => ({ name, suggestion: closestVariable(name) }));
}

export function describeUnknown(variable: UnknownVariable): string {
  return `unknown variable${variable.suggestion === undefined ? '' : `; did you mean ${variable.suggestion}?`}`;
}

function closestVariable(name: string): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const known of KNOWN) {
    const distance = editDistance(name, known);
    if (distance < bestDistance) {
      best = known;
      bestDistance = distance;
    }
  }
  // Beyond a third of the name it is another word, not a typo of one.
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/** Levenshtein distance. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * `env` as config.ts may read it: reading a GATEWAY_* name that is not declared above is a programming
 * error, thrown at once so the missing row is noticed in the first test that loads the configuration.
 */
export function declaredOnly(env: Env): Env {
  return new Proxy(env, {
    get(target, property, receiver) {
      if (typeof property === 'string' && property.startsWith('GATEWAY_') && !KNOWN.has(property)) {
        throw new Error(`config reads ${property}, which src/config/variables.ts does not declare`);
      }
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
}
