/**
 * Assembles a running gateway from configuration: trust store, database, the AIS and OAuth routers behind
 * the trust gate, and the TLS listener. `main.ts` runs it as a process; tests and the conformance command
 * start it in-process.
 */
import { readFileSync } from 'node:fs';
import type { Kysely } from 'kysely';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type https from 'node:https';
import { ConsentAuthorisationAdapter } from './adapters/consent_authorisation_adapter';
import { PsuDirectoryAdapter } from './adapters/psu_directory_adapter';
import { buildSandboxBank, readSandboxBankFixture } from './accounts/sandbox_bank';
import { createAisApi } from './api/ais_api';
import { createOAuthRouter, OAUTH_BROWSER_PATH_PATTERNS } from './api/oauth_routes';
import { requireTppIdentity } from './api/request_context';
import { createApp, PUBLIC_PATHS } from './app';
import type { TrustGateOptions } from './api/trust_gate';
import type { ClientIdentityVerifier } from './pki/identity/client_identity';
import { createLogger, type Logger } from './audit/logger';
import {
  ConfigError,
  FIXTURE_PKI_DIR,
  isCatchAllRange,
  loadConfig,
  type Env,
  type GatewayConfig,
} from './config/config';
import { PROJECT_ROOT } from './config/project_root';
import { ConsentService } from './consent/consent_service';
import { ensureFixturePki } from './fixtures/fixture_pki';
import type { PresentedAccessToken } from './oauth/access_token_verifier';
import { OAuthService } from './oauth/oauth_service';
import { TrustMaterialError, TrustStore } from './pki/path/trust_store';
import { loadSandboxBank } from './store/load_sandbox_bank';
import { OAuthRepositoryKysely } from './store/oauth_repository_kysely';
import type { OAuthTables } from './store/oauth_schema';
import { openStore, type Store } from './store/open_store';
import { TrustedProxies } from './tls/forwarded_certificate';
import { createGatewayServer, type ServerLimitOverrides } from './tls/gateway_server';
import { whenCompleteChainBudgetExhausted } from './tls/peer_certificate';
import { serverCertificateProblem } from './tls/server_options';

/** The setting each kind of trust material comes from, for start-up refusals that name it. */
const TRUST_MATERIAL_VARIABLES: Record<TrustMaterialError['material'], string> = {
  anchor: 'GATEWAY_TRUST_ANCHOR',
  intermediates: 'GATEWAY_INTERMEDIATES',
};

export interface StartGatewayParams {
  /** Configuration source; default process.env. */
  env?: Env;
  /** Override GATEWAY_HOST / GATEWAY_PORT (port 0 picks a free one). */
  host?: string;
  port?: number;
  /** Override GATEWAY_DATABASE_URL. */
  databaseUrl?: string;
  /** No log output at all (used when another tool owns the terminal). */
  quiet?: boolean;
  logger?: Logger;
  /** Directory relative paths are resolved against; default the project root. */
  baseDir?: string;
  /** Tighter listener limits (tests that need a handshake or header timeout to pass quickly). */
  serverLimits?: ServerLimitOverrides;
}

export interface RunningGateway {
  url: string;
  port: number;
  config: GatewayConfig;
  server: https.Server;
  trustStore: TrustStore;
  store: Store;
  logger: Logger;
  close(): Promise<void>;
}

function isFixtureDevelopment(env: Env): boolean {
  const production =
    (env.GATEWAY_MODE ?? (env.NODE_ENV === 'production' ? 'production' : '')) === 'production';
  const unset = (name: string) => (env[name] ?? '').trim() === '';
  return !production && (unset('GATEWAY_TRUST_ANCHOR') || unset('GATEWAY_TLS_CERT'));
}

export interface GatewayAssemblyDeps {
  store: Store;
  logger: Logger;
  publicUrl: string;
  verifier: ClientIdentityVerifier;
  trustedProxies: TrustedProxies;
  /**
   * The clock of consents and AIS reads (validUntil, the frequencyPerDay day), for tests that move it;
   * certificates and OAuth code, session and token lifetimes always run on the real time.
   */
  clock?: () => Date;
  /** Where the presented chain comes from; default the TLS socket. Tests inject it as the TLS layer would. */
  tlsChainOf?: TrustGateOptions['tlsChainOf'];
  /** Check every AIS response against the OpenAPI document (tests). */
  validateResponses?: boolean;
}

export interface GatewayAssembly {
  /** The request listener: front door, trust gate, AIS API, OAuth endpoints. */
  app: RequestListener;
  consents: ConsentService;
  oauth: OAuthService;
}

/**
 * The gateway's request path on an open store, without a listener: the same wiring the running gateway
 * has, so tests that drive it exercise the trust gate, the OpenAPI validation and the token checks.
 */
export async function assembleGateway(deps: GatewayAssemblyDeps): Promise<GatewayAssembly> {
  const { store, logger, clock } = deps;
  const consents = new ConsentService({
    repository: store.consents,
    accounts: store.accounts,
    ...(clock !== undefined ? { clock } : {}),
  });
  const oauth = new OAuthService({
    // Same connection, disjoint tables: Kysely's table map is invariant, so the view is narrowed by a cast.
    repository: new OAuthRepositoryKysely(store.db as unknown as Kysely<OAuthTables>),
    consents: new ConsentAuthorisationAdapter(consents),
    psus: new PsuDirectoryAdapter(store.accounts),
    options: { issuer: deps.publicUrl },
    logger,
  });
  const tokensOfRequests = new WeakMap<ServerResponse, PresentedAccessToken>();
  const presentedToken = (req: IncomingMessage, res: ServerResponse): PresentedAccessToken => {
    let token = tokensOfRequests.get(res);
    if (token === undefined) {
      token = oauth.presentedAccessToken(req.headers.authorization, requireTppIdentity(res));
      tokensOfRequests.set(res, token);
    }
    return token;
  };
  const ais = await createAisApi({
    consents,
    accounts: store.accounts,
    logger,
    publicUrl: deps.publicUrl,
    ...(clock !== undefined ? { clock } : {}),
    ...(deps.validateResponses !== undefined ? { validateResponses: deps.validateResponses } : {}),
    // Both checks read the same token record: one lookup per request.
    accessCheck: async (req, res, consentId) => {
      await presentedToken(req, res).verifyFor(consentId);
    },
    tokenBindingCheck: (req, res) => presentedToken(req, res).refuseIfBoundElsewhere(),
    onConsentDeleted: (consentId) => oauth.revokeTokensForConsent(consentId),
    tppDnsNames: (res) => requireTppIdentity(res).dnsNames,
  });
  const oauthRouter = createOAuthRouter({ service: oauth, publicUrl: deps.publicUrl, logger });

  const app = createApp({
    logger,
    verifier: deps.verifier,
    trustedProxies: deps.trustedProxies,
    routers: [oauthRouter, ais.router],
    direct: ais,
    publicPaths: [...PUBLIC_PATHS, ...OAUTH_BROWSER_PATH_PATTERNS],
    ...(deps.tlsChainOf !== undefined ? { tlsChainOf: deps.tlsChainOf } : {}),
  });
  return { app, consents, oauth };
}

export async function startGateway(params: StartGatewayParams = {}): Promise<RunningGateway> {
  const env: Env = { ...(params.env ?? process.env) };
  if (params.host !== undefined) env.GATEWAY_HOST = params.host;
  if (params.port !== undefined) env.GATEWAY_PORT = String(params.port);
  if (params.databaseUrl !== undefined) env.GATEWAY_DATABASE_URL = params.databaseUrl;
  const baseDir = params.baseDir ?? PROJECT_ROOT;

  const fixtureDevelopment = isFixtureDevelopment(env);
  const config = loadConfig(env, { baseDir, fixturesPending: fixtureDevelopment });
  const logger = params.logger ?? createLogger(params.quiet === true ? 'silent' : config.logLevel);
  for (const warning of config.warnings) logger.warn({ event: 'config_warning' }, warning);

  if (fixtureDevelopment) {
    const pki = await ensureFixturePki({
      outDir: path.resolve(baseDir, FIXTURE_PKI_DIR),
      trustAnchorDir: path.resolve(baseDir, 'trust-anchors'),
    });
    if (pki.action !== 'reused')
      logger.info({ event: 'fixture_pki', action: pki.action, dir: FIXTURE_PKI_DIR }, 'fixture PKI ready');
  }

  const certChainPem = readFileSync(config.tlsCertFile);
  const serverCertProblem = serverCertificateProblem(certChainPem);
  if (serverCertProblem !== undefined)
    throw new ConfigError('GATEWAY_TLS_CERT', `${config.tlsCertFile}: ${serverCertProblem}`);

  let trustStore: TrustStore;
  try {
    trustStore = await TrustStore.load({
      anchorFile: config.trustAnchorFile,
      crlFiles: config.crlFiles,
      intermediatesFile: config.intermediatesFile,
      logger,
    });
  } catch (error) {
    if (error instanceof TrustMaterialError) {
      throw new ConfigError(TRUST_MATERIAL_VARIABLES[error.material], error.message);
    }
    throw error;
  }
  const stopWatching = trustStore.watch(config.crlReloadSeconds);

  // SQLite paths in the URL are relative to the project, like every other path in the configuration.
  const databaseUrl =
    config.databaseUrl.startsWith('sqlite:') && !config.databaseUrl.startsWith('sqlite::memory:')
      ? `sqlite:${path.resolve(baseDir, config.databaseUrl.slice('sqlite:'.length))}`
      : config.databaseUrl;
  const store = await openStore(databaseUrl, { logger });
  await loadSandboxBank(store.db, buildSandboxBank(readSandboxBankFixture()));

  whenCompleteChainBudgetExhausted(() =>
    logger.warn(
      { event: 'complete_chain_budget_exhausted' },
      'no more full certificate lists are read in this process (Node 20 leaks each read); chains Node cannot link by name are refused until restart',
    ),
  );
  const catchAll = config.trustedProxies.filter(isCatchAllRange);
  if (catchAll.length > 0) {
    // Refused in production by loadConfig; in development it is allowed, but never silently.
    logger.warn(
      { event: 'trusted_proxies_catch_all', ranges: catchAll },
      'GATEWAY_TRUSTED_PROXIES holds catch-all ranges: any client in them may forward any certificate',
    );
  }
  let trustedProxies: TrustedProxies;
  try {
    trustedProxies = new TrustedProxies(config.trustedProxies, {
      ...(config.forwardedCertHeader !== undefined ? { header: config.forwardedCertHeader } : {}),
      proxyCertSha256: config.trustedProxyCertSha256,
    });
  } catch (error) {
    throw new Error(`GATEWAY_TRUSTED_PROXIES: ${(error as Error).message}`);
  }
  const { app } = await assembleGateway({
    store,
    logger,
    publicUrl: config.publicUrl,
    verifier: trustStore.verifier,
    trustedProxies,
  });
  const server = createGatewayServer(
    {
      certChainPem,
      keyPem: readFileSync(config.tlsKeyFile),
      anchorPem: readFileSync(config.trustAnchorFile),
      rejectUntrustedAtHandshake: config.rejectUntrustedAtHandshake,
    },
    app,
    params.serverLimits,
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const hostForUrl =
    config.host === '127.0.0.1' || config.host === '0.0.0.0' || config.host === '::'
      ? 'localhost'
      : config.host;
  const url = `https://${hostForUrl}:${port}`;
  logger.info(
    { event: 'listening', url, mode: config.mode, database: store.dialect },
    `psd2-gateway listening on ${url}`,
  );

  let closed = false;
  return {
    url,
    port,
    config,
    server,
    trustStore,
    store,
    logger,
    close: async () => {
      if (closed) return;
      closed = true;
      stopWatching();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      });
      await store.close();
    },
  };
}
