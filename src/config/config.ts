/**
 * The only module that reads process.env. Every key is declared in variables.ts, documented once here
 * and in the README table.
 */
import { existsSync } from 'node:fs';
import { BlockList, isIP } from 'node:net';
import path from 'node:path';
import { declaredOnly, describeUnknown, unknownGatewayVariables } from './variables';
import {
  loadPsuIdentityProviderConfig,
  type PsuIdentityProviderConfig,
} from './psu_identity_provider_config';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface GatewayConfig {
  /** `development` generates and uses the fixture PKI when key material is not configured. */
  mode: 'development' | 'production';
  host: string;
  port: number;
  /** Open TPP-port connections one client address (an IPv6 /64) may hold; 0: no cap. Proxies are exempt. */
  maxConnectionsPerAddress: number;
  /** PEM file holding the one trust anchor (root certificate). */
  trustAnchorFile: string;
  /** PEM chain file: the server certificate first, then its intermediates. */
  tlsCertFile: string;
  tlsKeyFile: string;
  /** CRL files (PEM or DER). */
  crlFiles: string[];
  /** How often CRL files are checked for changes. */
  crlReloadSeconds: number;
  /** How long past its nextUpdate a CRL still counts. */
  crlGraceSeconds: number;
  /**
   * GATEWAY_REVOCATION: what happens when a certificate's revocation sources (configured CRL of its issuer,
   * OCSP responder, CRL distribution point) give no fresh answer: `hard-fail` refuses, `soft-fail` admits
   * and logs a warning.
   */
  revocationPolicy: 'hard-fail' | 'soft-fail';
  /** Deadline of one OCSP or CRL distribution-point fetch. */
  revocationTimeoutMs: number;
  databaseUrl: string;
  logLevel: LogLevel;
  /** Drop chains that do not verify to the anchor during the TLS handshake instead of answering 401. */
  rejectUntrustedAtHandshake: boolean;
  /** Peer addresses whose forwarded client-certificate headers are believed. Empty: none. */
  trustedProxies: string[];
  /** The one header format the trusted proxies set; required when trustedProxies is not empty. */
  forwardedCertHeader: ForwardedCertHeaderFormat | undefined;
  /**
   * SHA-256 fingerprints (lowercase hex) of the client certificates the trusted proxies present to the
   * gateway. Empty: the proxies connect without a certificate of their own.
   */
  trustedProxyCertSha256: string[];
  /** PEM bundle of issuing CAs used for path building only (never trusted by themselves). */
  intermediatesFile: string | undefined;
  /** Public base URL of the gateway, used in links and as the OAuth issuer. */
  publicUrl: string;
  /**
   * GATEWAY_PORT=0 without GATEWAY_PUBLIC_URL: the system picks the port, so the public URL is only known
   * once the gateway listens (publicUrl then still names port 0 and must not be used as is).
   */
  publicUrlFollowsPort: boolean;
  /**
   * GATEWAY_REQUIRE_SIGNATURE: every API request must carry a Berlin Group message signature made with the
   * TPP's QSealC (Digest, Signature, TPP-Signature-Certificate). Default false: those headers are ignored.
   */
  requireSignature: boolean;
  /**
   * GATEWAY_REDIRECT_URI_CHECK: `strict` refuses a TPP-Redirect-URI whose host is neither registered for
   * the TPP (`tpp hosts`) nor named by its QWAC; `warn` admits it with a tppMessages WARNING.
   */
  redirectUriCheck: 'strict' | 'warn';
  /**
   * GATEWAY_PAYMENT_AUTHORISATION_SECONDS: how long an initiated payment (RCVD) awaits the PSU's
   * authorisation; past it, the payment is rejected (RJCT) when next read or decided.
   */
  paymentAuthorisationSeconds: number;
  /** Whether the default (development) configuration uses generated fixture key material. */
  usesFixturePki: boolean;
  /** Where the bank's books are: the embedded sandbox, or a bank implementing the connector contract. */
  bank: BankConfig;
  /**
   * This deployment is a testing facility: the sandbox's published test customers sign in with their
   * passwords. True for the embedded sandbox and with GATEWAY_SANDBOX=true; otherwise no sandbox
   * customer exists anywhere in the gateway.
   */
  sandbox: boolean;
  /**
   * The bank's OpenID Connect provider, where PSUs authenticate. When set, the gateway's own password
   * sign-in is off, sandbox or not.
   */
  psuIdentityProvider: PsuIdentityProviderConfig | undefined;
  /** What the operator should know at start (logged as warnings): unknown variables, revocation off. */
  warnings: string[];
}

/**
 * How a trusted proxy forwards the client certificate: `client-cert` is RFC 9440 `Client-Cert` and
 * `Client-Cert-Chain` (HAProxy, Apache, recent nginx configurations), `nginx` is `X-SSL-Client-Cert`
 * holding nginx's `$ssl_client_escaped_cert`, `xfcc` is Envoy's `X-Forwarded-Client-Cert`.
 */
export const FORWARDED_CERT_HEADER_FORMATS = ['client-cert', 'nginx', 'xfcc'] as const;
export type ForwardedCertHeaderFormat = (typeof FORWARDED_CERT_HEADER_FORMATS)[number];

/**
 * Trusted proxy ranges wider than this are catch-alls (anyone could be "the proxy"): refused in
 * production. 10.0.0.0/8 is still a plausible private network; 0.0.0.0/0 or ::/0 never is.
 */
export const NARROWEST_CATCH_ALL_PREFIX = { ipv4: 8, ipv6: 16 } as const;

/**
 * GATEWAY_BANK_URL unset: the sandbox bank runs in-process (development, or GATEWAY_SANDBOX=true).
 * Set: the HTTP connector to a bank implementing `openapi/bank-connector.json`; no sandbox customer exists.
 */
export type BankConfig =
  | { kind: 'sandbox' }
  | {
      kind: 'http';
      /** GATEWAY_BANK_URL: base URL, http:// or https:// (the contract's paths start with /bank/v1). */
      url: string;
      /** GATEWAY_BANK_CLIENT_CERT / _KEY: the gateway's client certificate for mutual TLS to the bank. */
      clientCertFile: string | undefined;
      clientKeyFile: string | undefined;
      /** GATEWAY_BANK_CA: the bank's internal CA (never the TPP trust anchor); default the system CAs. */
      caFile: string | undefined;
      /** GATEWAY_BANK_TIMEOUT_MS: connect timeout and whole-call deadline. */
      timeoutMs: number;
    };

/**
 * GATEWAY_MAX_CONNECTIONS_PER_ADDRESS default: far above what one TPP's client pool opens, far below the
 * descriptors a gateway process usually has.
 */
export const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 256;

/**
 * GATEWAY_PAYMENT_AUTHORISATION_SECONDS default: three times the authorisation page's session (10
 * minutes), so a PSU whose session lapsed can start again from the TPP; short enough that a payment left
 * unauthorised (an abandoned checkout, a TPP blocked since) is not approved and executed hours later, when
 * the PSU no longer has it in view.
 */
export const DEFAULT_PAYMENT_AUTHORISATION_SECONDS = 1800;

/** GATEWAY_BANK_TIMEOUT_MS default: a bank slower than this is answered 504. */
export const DEFAULT_BANK_TIMEOUT_MS = 5000;

function loadBankConfig(env: Env, mode: GatewayConfig['mode'], baseDir: string): BankConfig {
  const urlRaw = nonEmpty(env, 'GATEWAY_BANK_URL');
  const sandbox = parseBoolean(env, 'GATEWAY_SANDBOX', false);
  const tlsVariables = ['GATEWAY_BANK_CLIENT_CERT', 'GATEWAY_BANK_CLIENT_KEY', 'GATEWAY_BANK_CA'] as const;
  if (urlRaw === undefined) {
    // PSD2 RTS Art. 30(5): a testing facility is a deliberate choice, never what production falls into.
    if (mode === 'production' && !sandbox) {
      throw new ConfigError(
        'GATEWAY_BANK_URL',
        "required when GATEWAY_MODE=production: the URL of the bank's connector (openapi/bank-connector.json); set GATEWAY_SANDBOX=true only for the bank's public testing facility",
      );
    }
    for (const name of [...tlsVariables, 'GATEWAY_BANK_TIMEOUT_MS']) {
      if (nonEmpty(env, name) !== undefined)
        throw new ConfigError(name, 'set only together with GATEWAY_BANK_URL');
    }
    return { kind: 'sandbox' };
  }
  let url: URL;
  try {
    url = new URL(urlRaw);
  } catch {
    throw new ConfigError('GATEWAY_BANK_URL', `not a URL: ${JSON.stringify(urlRaw)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ConfigError('GATEWAY_BANK_URL', `expected http:// or https://, got ${JSON.stringify(urlRaw)}`);
  if (url.username !== '' || url.password !== '')
    throw new ConfigError('GATEWAY_BANK_URL', 'must not carry credentials; use GATEWAY_BANK_CLIENT_CERT');
  const [certEnv, keyEnv, caEnv] = tlsVariables.map((name) => nonEmpty(env, name));
  if ((certEnv === undefined) !== (keyEnv === undefined)) {
    throw new ConfigError(
      certEnv === undefined ? 'GATEWAY_BANK_CLIENT_CERT' : 'GATEWAY_BANK_CLIENT_KEY',
      'set both GATEWAY_BANK_CLIENT_CERT and GATEWAY_BANK_CLIENT_KEY, or neither',
    );
  }
  if (url.protocol === 'http:' && (certEnv !== undefined || caEnv !== undefined)) {
    throw new ConfigError('GATEWAY_BANK_URL', 'client certificate or CA given, but the URL is not https://');
  }
  const file = (name: string, value: string | undefined) =>
    value === undefined ? undefined : requireFile(name, value, baseDir);
  return {
    kind: 'http',
    url: url.href.replace(/\/+$/, ''),
    clientCertFile: file('GATEWAY_BANK_CLIENT_CERT', certEnv),
    clientKeyFile: file('GATEWAY_BANK_CLIENT_KEY', keyEnv),
    caFile: file('GATEWAY_BANK_CA', caEnv),
    timeoutMs: parseInteger(env, 'GATEWAY_BANK_TIMEOUT_MS', DEFAULT_BANK_TIMEOUT_MS, 100, 120_000),
  };
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

export type Env = Record<string, string | undefined>;

/** Where `npm run fixtures` and the first development start put the generated PKI. */
export const FIXTURE_PKI_DIR = 'fixtures/pki';
export const FIXTURE_DEFAULTS = {
  trustAnchorFile: 'trust-anchors/trent-root.pem',
  tlsCertFile: `${FIXTURE_PKI_DIR}/bob-server.chain.pem`,
  tlsKeyFile: `${FIXTURE_PKI_DIR}/bob-server.key.pem`,
  crlFiles: [`${FIXTURE_PKI_DIR}/trent-issuing-ca.crl.pem`, `${FIXTURE_PKI_DIR}/trent-root.crl.pem`],
} as const;

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function nonEmpty(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

export function parseInteger(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = nonEmpty(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `not a whole number: ${JSON.stringify(raw)}`);
  const value = Number(raw);
  if (value < min || value > max)
    throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

export function parseBoolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = nonEmpty(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(name, `expected true or false, got ${JSON.stringify(raw)}`);
}

function requireFile(name: string, file: string, baseDir: string): string {
  const resolved = path.resolve(baseDir, file);
  if (!existsSync(resolved)) throw new ConfigError(name, `file not found: ${file}`);
  return resolved;
}

export interface LoadConfigParams {
  /** Directory that relative paths are resolved against (the project root by default). */
  baseDir?: string;
  /** Skip file-existence checks for fixture defaults that the caller is about to generate. */
  fixturesPending?: boolean;
}

/** GATEWAY_WORKERS accepts 1 to this many processes. */
export const MAX_WORKERS = 64;

/** GATEWAY_WORKERS: how many gateway processes share the port; default 1 (no cluster). */
export function loadWorkerCount(env: Env = process.env): number {
  const raw = declaredOnly(env).GATEWAY_WORKERS?.trim() ?? '';
  if (raw === '') return 1;
  if (!/^\d+$/.test(raw))
    throw new ConfigError('GATEWAY_WORKERS', `not a whole number: ${JSON.stringify(raw)}`);
  const value = Number(raw);
  if (value < 1 || value > MAX_WORKERS) {
    throw new ConfigError('GATEWAY_WORKERS', `must be between 1 and ${MAX_WORKERS}, got ${value}`);
  }
  return value;
}

/**
 * GATEWAY_DATABASE_URL alone, for tools (the consent CLI) that need the store but none of the key
 * material loadConfig insists on.
 */
export function loadDatabaseUrl(env: Env = process.env): string {
  const databaseUrl = nonEmpty(declaredOnly(env), 'GATEWAY_DATABASE_URL') ?? 'sqlite:./data/gateway.db';
  if (!/^(sqlite:|postgres:\/\/|postgresql:\/\/)/.test(databaseUrl)) {
    throw new ConfigError(
      'GATEWAY_DATABASE_URL',
      `expected sqlite:<file> or postgres://…, got ${JSON.stringify(databaseUrl)}`,
    );
  }
  return databaseUrl;
}

function loadMode(env: Env): GatewayConfig['mode'] {
  const modeRaw =
    nonEmpty(env, 'GATEWAY_MODE') ?? (env.NODE_ENV === 'production' ? 'production' : 'development');
  if (modeRaw !== 'development' && modeRaw !== 'production') {
    throw new ConfigError(
      'GATEWAY_MODE',
      `expected development or production, got ${JSON.stringify(modeRaw)}`,
    );
  }
  return modeRaw;
}

/**
 * The bank settings alone, for tools (the consent CLI) that decide for PSUs of the bank the gateway
 * serves: the same rules as at start, so a tool never falls back to the sandbox where the gateway would not.
 */
export function loadBankSettings(
  environment: Env = process.env,
  params: LoadConfigParams = {},
): Pick<GatewayConfig, 'bank' | 'sandbox'> {
  const env = declaredOnly(environment);
  const bank = loadBankConfig(env, loadMode(env), params.baseDir ?? process.cwd());
  return { bank, sandbox: bank.kind === 'sandbox' || parseBoolean(env, 'GATEWAY_SANDBOX', false) };
}

/** GATEWAY_HOST and GATEWAY_PORT (0: the system picks); also read by the cluster's primary. */
export function loadListenAddress(env: Env = process.env): { host: string; port: number } {
  return {
    host: nonEmpty(env, 'GATEWAY_HOST') ?? '127.0.0.1',
    port: parseInteger(env, 'GATEWAY_PORT', 8443, 0, 65535),
  };
}

export function loadConfig(environment: Env = process.env, params: LoadConfigParams = {}): GatewayConfig {
  const env = declaredOnly(environment);
  const baseDir = params.baseDir ?? process.cwd();
  const warnings: string[] = [];
  const mode = loadMode(env);
  // A typo in a name (one S too many on GATEWAY_CRL) would otherwise leave a setting at its default.
  const unknown = unknownGatewayVariables(environment);
  const firstUnknown = unknown[0];
  if (mode === 'production' && firstUnknown !== undefined) {
    const more =
      unknown.length > 1
        ? ` (and ${unknown
            .slice(1)
            .map((u) => u.name)
            .join(', ')})`
        : '';
    throw new ConfigError(firstUnknown.name, `${describeUnknown(firstUnknown)}${more}`);
  }
  for (const variable of unknown) warnings.push(`${variable.name}: ${describeUnknown(variable)}`);

  // Before key material: a production start without a bank is the first thing to fix.
  const { bank, sandbox } = loadBankSettings(environment, params);
  const psuIdentityProvider = loadPsuIdentityProviderConfig(env, mode);
  if (psuIdentityProvider === undefined && !sandbox) {
    // No sandbox customer exists and no identity provider is named: nobody could sign in to authorise
    // anything. A production start refuses (a gateway that can never authorise is a misconfiguration, not
    // a deployment); development starts and says so.
    if (mode === 'production') {
      throw new ConfigError(
        'GATEWAY_PSU_OIDC_ISSUER',
        "required when GATEWAY_MODE=production in front of a bank (GATEWAY_BANK_URL): the issuer of the bank's OpenID provider, where PSUs sign in; without it no PSU can sign in. Set GATEWAY_SANDBOX=true only for the bank's public testing facility",
      );
    }
    warnings.push(
      "GATEWAY_PSU_OIDC_ISSUER: not set and this is not a sandbox, so no PSU can sign in; set the bank's identity provider",
    );
  }

  const anchorEnv = nonEmpty(env, 'GATEWAY_TRUST_ANCHOR');
  const certEnv = nonEmpty(env, 'GATEWAY_TLS_CERT');
  const keyEnv = nonEmpty(env, 'GATEWAY_TLS_KEY');
  const crlEnv = nonEmpty(env, 'GATEWAY_CRL');

  if (mode === 'production') {
    // Key material and the trust anchor have no silent defaults in production.
    for (const [name, value] of [
      ['GATEWAY_TRUST_ANCHOR', anchorEnv],
      ['GATEWAY_TLS_CERT', certEnv],
      ['GATEWAY_TLS_KEY', keyEnv],
    ] as const) {
      if (value === undefined) throw new ConfigError(name, 'required when GATEWAY_MODE=production');
    }
  }
  if ((certEnv === undefined) !== (keyEnv === undefined)) {
    throw new ConfigError(
      certEnv === undefined ? 'GATEWAY_TLS_CERT' : 'GATEWAY_TLS_KEY',
      'set both GATEWAY_TLS_CERT and GATEWAY_TLS_KEY, or neither',
    );
  }

  const usesFixturePki = anchorEnv === undefined || certEnv === undefined;
  const pending = params.fixturesPending === true;
  const fileOrFixture = (name: string, value: string | undefined, fixture: string): string =>
    value !== undefined
      ? requireFile(name, value, baseDir)
      : pending
        ? path.resolve(baseDir, fixture)
        : requireFile(name, fixture, baseDir);

  const trustAnchorFile = fileOrFixture('GATEWAY_TRUST_ANCHOR', anchorEnv, FIXTURE_DEFAULTS.trustAnchorFile);
  const tlsCertFile = fileOrFixture('GATEWAY_TLS_CERT', certEnv, FIXTURE_DEFAULTS.tlsCertFile);
  const tlsKeyFile = fileOrFixture('GATEWAY_TLS_KEY', keyEnv, FIXTURE_DEFAULTS.tlsKeyFile);

  let crlFiles: string[];
  if (crlEnv !== undefined) {
    crlFiles = crlEnv
      .split(',')
      .map((f) => f.trim())
      .filter((f) => f !== '')
      .map((f) => requireFile('GATEWAY_CRL', f, baseDir));
  } else if (usesFixturePki && mode === 'development') {
    crlFiles = FIXTURE_DEFAULTS.crlFiles.map((f) =>
      pending ? path.resolve(baseDir, f) : requireFile('GATEWAY_CRL', f, baseDir),
    );
  } else {
    crlFiles = [];
  }
  if (mode === 'production' && crlFiles.length === 0) {
    warnings.push(
      'GATEWAY_CRL: no CRL configured, so only certificates naming an OCSP responder or CRL distribution point are revocation-checked',
    );
  }

  const { host, port } = loadListenAddress(env);
  const maxConnectionsPerAddress = parseInteger(
    env,
    'GATEWAY_MAX_CONNECTIONS_PER_ADDRESS',
    DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
    0,
    1_000_000,
  );

  const logLevelRaw = (nonEmpty(env, 'GATEWAY_LOG_LEVEL') ?? 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevelRaw)) {
    throw new ConfigError(
      'GATEWAY_LOG_LEVEL',
      `expected one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(logLevelRaw)}`,
    );
  }

  const databaseUrl = loadDatabaseUrl(env);

  const trustedProxies = parseTrustedProxies(env, mode);
  const forwardedCertHeader = parseForwardedCertHeader(env, trustedProxies);
  const trustedProxyCertSha256 = parseProxyCertPins(env, trustedProxies);
  const intermediatesEnv = nonEmpty(env, 'GATEWAY_INTERMEDIATES');
  const intermediatesFile =
    intermediatesEnv === undefined
      ? undefined
      : requireFile('GATEWAY_INTERMEDIATES', intermediatesEnv, baseDir);

  const publicUrlRaw = nonEmpty(env, 'GATEWAY_PUBLIC_URL') ?? `https://localhost:${port}`;
  let publicUrl: string;
  try {
    const url = new URL(publicUrlRaw);
    if (url.protocol !== 'https:') throw new Error('not https');
    publicUrl = url.origin;
  } catch {
    throw new ConfigError(
      'GATEWAY_PUBLIC_URL',
      `expected an https:// URL, got ${JSON.stringify(publicUrlRaw)}`,
    );
  }

  return {
    mode,
    host,
    port,
    maxConnectionsPerAddress,
    trustAnchorFile,
    tlsCertFile,
    tlsKeyFile,
    crlFiles,
    crlReloadSeconds: parseInteger(env, 'GATEWAY_CRL_RELOAD_SECONDS', 60, 1, 86400),
    crlGraceSeconds: parseInteger(env, 'GATEWAY_CRL_GRACE_SECONDS', 0, ...CRL_GRACE_SECONDS_RANGE),
    revocationPolicy: parseRevocationPolicy(env),
    revocationTimeoutMs: parseInteger(
      env,
      'GATEWAY_REVOCATION_TIMEOUT_MS',
      DEFAULT_REVOCATION_TIMEOUT_MS,
      ...REVOCATION_TIMEOUT_MS_RANGE,
    ),
    databaseUrl,
    logLevel: logLevelRaw as LogLevel,
    rejectUntrustedAtHandshake: parseBoolean(env, 'GATEWAY_REJECT_UNTRUSTED_AT_HANDSHAKE', false),
    requireSignature: parseBoolean(env, 'GATEWAY_REQUIRE_SIGNATURE', false),
    redirectUriCheck: parseRedirectUriCheck(env, mode, sandbox, warnings),
    paymentAuthorisationSeconds: parseInteger(
      env,
      'GATEWAY_PAYMENT_AUTHORISATION_SECONDS',
      DEFAULT_PAYMENT_AUTHORISATION_SECONDS,
      60,
      86400,
    ),
    trustedProxies,
    forwardedCertHeader,
    trustedProxyCertSha256,
    intermediatesFile,
    publicUrl,
    publicUrlFollowsPort: port === 0 && nonEmpty(env, 'GATEWAY_PUBLIC_URL') === undefined,
    usesFixturePki,
    bank,
    sandbox,
    psuIdentityProvider,
    warnings,
  };
}

/**
 * `warn` admits redirect hosts nobody vouched for: a PSU could be sent to a host the TPP does not own
 * after authorising. Acceptable while TPPs onboard on a testing facility, never silently, and not in
 * production unless that production deployment is the sandbox (GATEWAY_SANDBOX=true).
 */
function parseRedirectUriCheck(
  env: Env,
  mode: GatewayConfig['mode'],
  sandbox: boolean,
  warnings: string[],
): GatewayConfig['redirectUriCheck'] {
  const value = nonEmpty(env, 'GATEWAY_REDIRECT_URI_CHECK') ?? 'strict';
  if (value !== 'strict' && value !== 'warn')
    throw new ConfigError(
      'GATEWAY_REDIRECT_URI_CHECK',
      `expected strict or warn, got ${JSON.stringify(value)}`,
    );
  if (value === 'warn') {
    if (mode === 'production' && !sandbox)
      throw new ConfigError(
        'GATEWAY_REDIRECT_URI_CHECK',
        'warn is refused when GATEWAY_MODE=production (unless GATEWAY_SANDBOX=true): a TPP-Redirect-URI on a host not shown to belong to the TPP would be admitted',
      );
    warnings.push(
      'GATEWAY_REDIRECT_URI_CHECK=warn: consents whose TPP-Redirect-URI host is not shown to belong to the TPP are ADMITTED (each one audited as consent.redirect_uri_unverified)',
    );
  }
  return value;
}

/** Whether a GATEWAY_TRUSTED_PROXIES entry is wider than any one proxy network plausibly is. */
export function isCatchAllRange(entry: string): boolean {
  const [address = '', prefix] = entry.split('/');
  if (prefix === undefined) return false;
  const bits = Number(prefix);
  if (isIP(address) !== 6) return bits < NARROWEST_CATCH_ALL_PREFIX.ipv4;
  // Node matches IPv4 clients against IPv4-mapped IPv6 ranges, so ::ffff:0.0.0.0/96 lets in every
  // IPv4 client: such a range is judged as the IPv4 range it maps (the deprecated IPv4-compatible
  // ::/96 likewise), and a shorter range that contains either block is a catch-all outright.
  const range = new BlockList();
  range.addSubnet(address, Math.min(bits, IPV4_IN_IPV6_PREFIX), 'ipv6');
  const holdsIpv4 = IPV4_IN_IPV6_BLOCKS.some((block) => range.check(block, 'ipv6'));
  if (holdsIpv4) return bits - IPV4_IN_IPV6_PREFIX < NARROWEST_CATCH_ALL_PREFIX.ipv4;
  return bits < NARROWEST_CATCH_ALL_PREFIX.ipv6;
}

const IPV4_IN_IPV6_PREFIX = 96;
/** IPv4-mapped (RFC 4291 2.5.5.2) and IPv4-compatible (2.5.5.1) addresses, each as its /96 block. */
const IPV4_IN_IPV6_BLOCKS = ['::ffff:0:0', '::'];

/** What GATEWAY_CRL_GRACE_SECONDS accepts (and `cert verify --crl-grace-seconds`). */
export const CRL_GRACE_SECONDS_RANGE = [0, 7 * 86400] as const;
/** GATEWAY_REVOCATION_TIMEOUT_MS: default and accepted range (also `cert verify --revocation-timeout`). */
export const DEFAULT_REVOCATION_TIMEOUT_MS = 5000;
export const REVOCATION_TIMEOUT_MS_RANGE = [100, 60_000] as const;

function parseRevocationPolicy(env: Env): GatewayConfig['revocationPolicy'] {
  const value = nonEmpty(env, 'GATEWAY_REVOCATION') ?? 'hard-fail';
  if (value !== 'hard-fail' && value !== 'soft-fail') {
    throw new ConfigError(
      'GATEWAY_REVOCATION',
      `expected hard-fail or soft-fail, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function commaList(env: Env, name: string): string[] {
  return (nonEmpty(env, name) ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

/** GATEWAY_TRUSTED_PROXIES: addresses or CIDR ranges; catch-all ranges are refused in production. */
function parseTrustedProxies(env: Env, mode: GatewayConfig['mode']): string[] {
  const name = 'GATEWAY_TRUSTED_PROXIES';
  const entries = commaList(env, name);
  for (const entry of entries) {
    const [address = '', prefix, extra] = entry.split('/');
    const family = isIP(address);
    if (family === 0 || extra !== undefined)
      throw new ConfigError(name, `not an IP address or CIDR range: ${JSON.stringify(entry)}`);
    const max = family === 6 ? 128 : 32;
    const bits = prefix === undefined ? max : Number(prefix);
    if (prefix !== undefined && (!/^\d{1,3}$/.test(prefix) || bits > max))
      throw new ConfigError(name, `bad prefix length in ${JSON.stringify(entry)}`);
    if (mode === 'production' && isCatchAllRange(entry)) {
      const { ipv4, ipv6 } = NARROWEST_CATCH_ALL_PREFIX;
      throw new ConfigError(
        name,
        `${entry} is a catch-all range (IPv4 shorter than /${ipv4}, IPv6 shorter than /${ipv6}, or IPv4 ` +
          `as IPv6 shorter than /${96 + ipv4}): any client in it could forward any certificate; list the ` +
          'proxies themselves',
      );
    }
  }
  return entries;
}

function parseForwardedCertHeader(
  env: Env,
  trustedProxies: readonly string[],
): ForwardedCertHeaderFormat | undefined {
  const name = 'GATEWAY_FORWARDED_CERT_HEADER';
  const raw = nonEmpty(env, name)?.toLowerCase();
  if (raw === undefined) {
    if (trustedProxies.length > 0) {
      throw new ConfigError(
        name,
        `required with GATEWAY_TRUSTED_PROXIES: name the one header your proxy sets (${FORWARDED_CERT_HEADER_FORMATS.join(', ')})`,
      );
    }
    return undefined;
  }
  if (!(FORWARDED_CERT_HEADER_FORMATS as readonly string[]).includes(raw)) {
    throw new ConfigError(
      name,
      `expected one of ${FORWARDED_CERT_HEADER_FORMATS.join(', ')}, got ${JSON.stringify(raw)}`,
    );
  }
  if (trustedProxies.length === 0)
    throw new ConfigError(name, 'has no effect without GATEWAY_TRUSTED_PROXIES');
  return raw as ForwardedCertHeaderFormat;
}

/** SHA-256 fingerprints as `openssl x509 -fingerprint -sha256` prints them, or plain hex. */
function parseProxyCertPins(env: Env, trustedProxies: readonly string[]): string[] {
  const name = 'GATEWAY_TRUSTED_PROXY_CERT_SHA256';
  const pins = commaList(env, name).map((pin) => {
    const hex = pin
      .replace(/^sha256 fingerprint=/i, '')
      .replace(/:/g, '')
      .toLowerCase();
    if (!/^[0-9a-f]{64}$/.test(hex))
      throw new ConfigError(name, `not a SHA-256 fingerprint: ${JSON.stringify(pin)}`);
    return hex;
  });
  if (pins.length > 0 && trustedProxies.length === 0)
    throw new ConfigError(name, 'has no effect without GATEWAY_TRUSTED_PROXIES');
  return pins;
}
