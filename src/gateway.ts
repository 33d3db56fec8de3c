/**
 * Assembles a running gateway from configuration: trust store, database, the AIS and OAuth routers behind
 * the trust gate, and the TLS listener. `main.ts` runs it as a process; tests and the conformance command
 * start it in-process.
 */
import type { Kysely } from 'kysely';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type https from 'node:https';
import { ConsentAuthorisationAdapter } from './adapters/consent_authorisation_adapter';
import { UndiciRevocationFetcher } from './adapters/undici_revocation_fetcher';
import { PsuDirectoryAdapter } from './adapters/psu_directory_adapter';
import { PaymentAuthorisationAdapter } from './adapters/payment_authorisation_adapter';
import { PaymentAuthorisation } from './payment/authorisation';
import { PaymentAuthorisationDeadline } from './payment/authorisation_deadline';
import { PaymentExecutionStep } from './payment/execution';
import { PaymentResend, type PaymentResendOptions } from './payment/execution_resend';
import { createAisApi } from './api/ais_api';
import type { BankConnector } from './bank/bank_connector';
import { openBankConnector, type OpenedBank } from './bank/open_bank_connector';
import { createOAuthRouter, exactPathPatterns, OAUTH_BROWSER_PATH_PATTERNS } from './api/oauth_routes';
import { presentedAccessTokenOf, requireTppIdentity } from './api/request_context';
import type { Request } from 'express';
import { readSandboxBankFixture } from './accounts/sandbox_bank';
import { PsuConsentAdapter } from './adapters/psu_consent_adapter';
import { clientAddress } from './api/client_address';
import { createPsuDashboardRouter, DASHBOARD_BROWSER_PATHS } from './api/psu_dashboard_routes';
import { createIdentityRouter, IDENTITY_BROWSER_PATHS } from './api/psu_identity_routes';
import type { PsuIdentityProviderConfig } from './config/psu_identity_provider_config';
import { ConsentDashboard } from './psu/consent_dashboard';
import { IdpSignIn } from './psu/idp_sign_in';
import { IDP_CALLBACK_PATH } from './psu/psu_identity_provider';
import { SandboxAuthenticator, SandboxOneTimeCodes } from './sca/sandbox_one_time_codes';
import { KyselyUsedOneTimeCodes } from './store/kysely_used_one_time_codes';
import { SignInLimiter } from './sca/sign_in_limiter';
import { KyselyDashboardSessionRepository } from './store/kysely_dashboard_session_repository';
import { KyselyPendingIdpSignInRepository } from './store/kysely_pending_idp_sign_in_repository';
import { KyselySignInAttemptRepository } from './store/kysely_sign_in_attempt_repository';
import { createSignatureCheck, loggingEvidenceSink } from './api/signature_check';
import { AIS_ROLE_REQUIREMENTS } from './api/trust_gate';
import { createApp, PUBLIC_PATHS } from './app';
import type { TrustGateOptions } from './api/trust_gate';
import type { ClientIdentityVerifier } from './pki/identity/client_identity';
import { createLogger, type Logger } from './audit/logger';
import {
  ConfigError,
  DEFAULT_PAYMENT_AUTHORISATION_SECONDS,
  FIXTURE_PKI_DIR,
  isCatchAllRange,
  loadConfig,
  type Env,
  type GatewayConfig,
} from './config/config';
import { loadOperationsConfig } from './config/operations_config';
import { PROJECT_ROOT } from './config/project_root';
import { ConsentService } from './consent/consent_service';
import { RedirectUriPolicy, type RedirectUriCheckMode } from './consent/redirect_uri_policy';
import { ensureFixturePki } from './fixtures/fixture_pki';
import type { PresentedAccessToken } from './oauth/access_token_verifier';
import { OAuthService } from './oauth/oauth_service';
import { TrustMaterialError, TrustStore } from './pki/path/trust_store';
import { allEvidenceSinks, auditEvidenceSink } from './adapters/signature_audit_adapter';
import { RequestSignatureVerifier } from './signature/request_signature_verifier';
import { OAuthRepositoryKysely } from './store/oauth_repository_kysely';
import type { OAuthTables } from './store/oauth_schema';
import { openStore, type Store } from './store/open_store';
import { ExpiredRowsSweep } from './store/expired_rows';
import { KyselyTppStopList } from './store/kysely_tpp_stop_list';
import { KyselyTppRedirectHosts } from './store/kysely_tpp_redirect_hosts';
import { CachedConsentRepository } from './store/cached_consent_repository';
import { CachedTokenLookup } from './store/cached_token_lookup';
import { publishChange } from './store/change_notice';
import { PostgresChangeListener, type ChangeEvent } from './store/postgres_change_listener';
import { PostgresReadAdmission } from './store/postgres_read_admission';
import { sharedStoreAdmitRead } from './adapters/shared_store_read_gate';
import { StopListView } from './tpp/stop_list';
import { TrustedProxies } from './tls/forwarded_certificate';
import { capConnectionsPerAddress, onceAMinutePerClient } from './tls/connections_per_address';
import { createGatewayServer, type ServerLimitOverrides } from './tls/gateway_server';
import { whenCompleteChainBudgetExhausted } from './tls/peer_certificate';
import { ServerKeyMaterial } from './tls/server_key_material';
import { GatewayMetrics } from './ops/gateway_metrics';
import { GatewayOperations } from './ops/gateway_operations';
import { currentRequest, observeRequests } from './ops/request_observer';

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
  /** Other waits for the resend of payments the bank could not execute (tests that isolate it). */
  paymentResend?: Partial<PaymentResendOptions>;
}

export interface RunningGateway {
  url: string;
  port: number;
  config: GatewayConfig;
  server: https.Server;
  trustStore: TrustStore;
  store: Store;
  /** The bank's books: the embedded sandbox or the HTTP connector (its `ping` is the readiness check). */
  bank: BankConnector;
  logger: Logger;
  /** Metrics, readiness, audit trail, statistics, key rotation and the drain. */
  operations: GatewayOperations;
  /** Drains (see GatewayOperations.drain) and closes the store. */
  close(): Promise<void>;
}

/** For a promise whose value nobody needs, without a closure per call. */
const nothing = (): void => undefined;

/** The reload trigger of a change notice from another instance (not told on again). */
const PEER_RELOAD = 'another instance reloaded';
/** Tells this process's own notices from the others'. */
const INSTANCE_ID = randomUUID();

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
  /** The bank's books behind the BankConnector port, and the sandbox's password sign-in if any. */
  bank: OpenedBank;
  /** The bank's TPP stop list: the trust gate consults it on every request once the chain verified. */
  stopList: StopListView;
  /**
   * Every request is observed (access log, metrics, audit admission or refusal, EBA statistics) and every
   * consent and token decision goes to the audit trail.
   */
  operations: Pick<GatewayOperations, 'metrics' | 'auditTrail' | 'statistics' | 'draining'>;
  /**
   * GATEWAY_REQUIRE_SIGNATURE: the QSealC verifier that judges each request's seal, or an explicit
   * 'not-required' (the standard lets the bank choose), never left out by accident.
   */
  requestSignatures: { sealVerifier: ClientIdentityVerifier } | 'not-required';
  /**
   * The clock of consents and AIS reads (validUntil, the frequencyPerDay day), for tests that move it;
   * certificates and OAuth code, session and token lifetimes always run on the real time.
   */
  clock?: () => Date;
  /** Where the presented chain comes from; default the TLS socket. Tests inject it as the TLS layer would. */
  tlsChainOf?: TrustGateOptions['tlsChainOf'];
  /** Check every AIS response against the OpenAPI document (tests). */
  validateResponses?: boolean;
  /** GATEWAY_REDIRECT_URI_CHECK; default strict. */
  redirectUriCheck?: RedirectUriCheckMode;
  /** GATEWAY_PAYMENT_AUTHORISATION_SECONDS; default DEFAULT_PAYMENT_AUTHORISATION_SECONDS. */
  paymentAuthorisationSeconds?: number;
  /**
   * Several instances on one PostgreSQL database: the other instances' changes, heard here. Consents and
   * tokens are then kept between requests while it listens, and each read is confirmed in the store.
   */
  changeListener?: PostgresChangeListener;
  /**
   * The bank's OpenID Connect provider (GATEWAY_PSU_OIDC_*), where PSUs authenticate; `redirectUri` is
   * the gateway's callback the bank registered. Without it PSUs sign in at the gateway (sandbox only).
   */
  psuIdentityProvider?: PsuIdentityProviderConfig;
  /** The waits of the resend of payments the bank could not execute; default DEFAULT_PAYMENT_RESEND. */
  paymentResend?: Partial<PaymentResendOptions>;
}

export interface GatewayAssembly {
  /** The request listener: observation, front door, trust gate, AIS API, OAuth endpoints. */
  app: RequestListener;
  consents: ConsentService;
  oauth: OAuthService;
  /** Sends payments left ACTC again; `recover` at start, `close` before the store closes. */
  paymentResend: PaymentResend;
  /** Deletes the PSU pages' expired rows; startGateway runs it every minute and stops it at close. */
  expiredRows: ExpiredRowsSweep;
}

/**
 * The gateway's request path on an open store, without a listener: the same wiring the running gateway
 * has, so tests that drive it exercise the trust gate, the stop list, the OpenAPI validation, the
 * signature and token checks, the bank port and the audit trail.
 */
export async function assembleGateway(deps: GatewayAssemblyDeps): Promise<GatewayAssembly> {
  const { store, logger, clock, bank, operations } = deps;
  const audit = operations.auditTrail;
  const listener = deps.changeListener;
  const trusted = () => listener?.listening === true;
  const cachedConsents =
    listener === undefined ? undefined : new CachedConsentRepository(store.consents, { trusted });
  // Same connection, disjoint tables: Kysely's table map is invariant, so the view is narrowed by a cast.
  const oauthDb = store.db as unknown as Kysely<OAuthTables>;
  const oauthRepository = new OAuthRepositoryKysely(oauthDb);
  const tokenLookup =
    listener === undefined ? undefined : new CachedTokenLookup(oauthRepository, { trusted });
  listener?.on((event: ChangeEvent) => {
    switch (event.topic) {
      case 'resync':
        cachedConsents?.clear();
        tokenLookup?.clear();
        deps.stopList.invalidate();
        break;
      case 'stop_list':
        deps.stopList.invalidate();
        break;
      case 'consent':
        if (event.key === undefined) cachedConsents?.clear();
        else cachedConsents?.forget(event.key);
        break;
      case 'token':
        if (event.key === undefined) tokenLookup?.clear();
        else tokenLookup?.forget(event.key);
        break;
      case 'trust_material':
        // startGateway reloads the trust material.
        break;
    }
  });
  // One TPP-Redirect-URI rule for consents and payments.
  const redirectUriPolicy = new RedirectUriPolicy({
    directory: new KyselyTppRedirectHosts(store.db),
    mode: deps.redirectUriCheck ?? 'strict',
  });
  const consents = new ConsentService({
    repository: cachedConsents ?? store.consents,
    accounts: bank.connector,
    audit,
    redirectUriPolicy,
    ...(clock !== undefined ? { clock } : {}),
  });
  // Payments run on the assembly's clock too, so tests that move it see the same time in both APIs.
  const paymentClock = clock ?? ((): Date => new Date());
  // Every step reads payments through the authorisation deadline, so a lapsed one is never approved.
  const payments = new PaymentAuthorisationDeadline(store.payments, {
    seconds: deps.paymentAuthorisationSeconds ?? DEFAULT_PAYMENT_AUTHORISATION_SECONDS,
    clock: paymentClock,
    logger,
  });
  // With the bank's identity provider the gateway holds no password, sandbox or not: nobody can sign in
  // here, so the sandbox's password form is unreachable.
  const idpConfig = deps.psuIdentityProvider;
  const passwordSignIn = idpConfig === undefined ? bank.signIn : undefined;
  const psus = new PsuDirectoryAdapter(bank.connector, passwordSignIn);
  // One execution step for the PSU's approval, the TPP's reads and the resend: a payment the bank could not
  // take stays ACTC and is sent again under its idempotency key until the bank answers.
  const paymentResend = new PaymentResend(
    { repository: payments, execution: () => paymentExecution, logger },
    deps.paymentResend,
  );
  const paymentExecution = new PaymentExecutionStep(payments, bank.connector, paymentClock, {
    logger,
    onDeferred: (paymentId) => paymentResend.add(paymentId),
  });
  // The second factor exists where passwords do: in the embedded sandbox, with its published seeds.
  const secondFactor = new SandboxOneTimeCodes(
    new SandboxAuthenticator(passwordSignIn !== undefined ? readSandboxBankFixture().psus : []),
    new KyselyUsedOneTimeCodes(oauthDb),
  );
  const signInLimiter = new SignInLimiter(new KyselySignInAttemptRepository(oauthDb));
  // openid-client (and jose under it) is loaded only where a provider is configured: some 15 MB of
  // resident memory that a gateway signing its PSUs in itself would carry for nothing.
  let identityProvider: IdpSignIn | undefined;
  if (idpConfig !== undefined) {
    const { OpenIdIdentityProvider } = await import('./psu/openid_identity_provider');
    identityProvider = new IdpSignIn({
      provider: new OpenIdIdentityProvider(idpConfig, `${deps.publicUrl}${IDP_CALLBACK_PATH}`),
      pending: new KyselyPendingIdpSignInRepository(oauthDb),
      policy: idpConfig,
      now: () => new Date(),
      logger,
    });
  }
  const oauth = new OAuthService({
    repository: oauthRepository,
    ...(tokenLookup !== undefined ? { tokenLookup } : {}),
    consents: new ConsentAuthorisationAdapter(consents),
    payments: new PaymentAuthorisationAdapter({
      payments,
      authorisation: new PaymentAuthorisation(payments, paymentExecution, paymentClock),
      bank: bank.connector,
    }),
    psus,
    secondFactor,
    signInLimiter,
    stopList: deps.stopList,
    options: { issuer: deps.publicUrl },
    logger,
    audit,
  });
  const present = (req: IncomingMessage, res: ServerResponse): PresentedAccessToken =>
    oauth.presentedAccessToken(req.headers.authorization, requireTppIdentity(res));
  const presentedToken = (req: IncomingMessage, res: ServerResponse): PresentedAccessToken =>
    presentedAccessTokenOf(req, res, present);
  const signatures = deps.requestSignatures;
  const ais = await createAisApi({
    consents,
    accounts: bank.connector,
    payments,
    paymentExecution,
    redirectUriPolicy,
    logger,
    publicUrl: deps.publicUrl,
    ...(clock !== undefined ? { clock } : {}),
    ...(deps.validateResponses !== undefined ? { validateResponses: deps.validateResponses } : {}),
    // Both checks read the same token record: one lookup per request.
    accessCheck: (req, res, consentId) => presentedToken(req, res).verifyFor(consentId).then(nothing),
    tokenBindingCheck: (req, res) => presentedToken(req, res).refuseIfBoundElsewhere(),
    onConsentDeleted: (consentId) => oauth.revokeTokensForConsent(consentId),
    tppDnsNames: (res) => requireTppIdentity(res).dnsNames,
    ...(listener !== undefined
      ? {
          admitRead: sharedStoreAdmitRead({
            admission: new PostgresReadAdmission(store.db as unknown as Kysely<unknown>),
            consents,
            presentedToken,
            freshToken: (req, gate) => oauth.presentedAccessToken(req.headers.authorization, gate.tpp),
            forget: (consentId, tokenHash) => {
              cachedConsents?.forget(consentId);
              tokenLookup?.forget(tokenHash);
            },
            ...(clock !== undefined ? { clock } : {}),
          }),
        }
      : {}),
    ...(signatures !== 'not-required'
      ? {
          signatureCheck: createSignatureCheck({
            verifier: new RequestSignatureVerifier({ sealVerifier: signatures.sealVerifier }),
            evidence: allEvidenceSinks(loggingEvidenceSink(logger), auditEvidenceSink(audit)),
            roleRequirements: AIS_ROLE_REQUIREMENTS,
          }),
        }
      : {}),
  });
  const browserAddress = (req: Request): string => clientAddress(req, deps.trustedProxies);
  const oauthRouter = createOAuthRouter({
    service: oauth,
    publicUrl: deps.publicUrl,
    clientAddress: browserAddress,
    ...(identityProvider !== undefined ? { identityProvider } : {}),
    logger,
  });
  const dashboard = new ConsentDashboard({
    sessions: new KyselyDashboardSessionRepository(oauthDb),
    consents: new PsuConsentAdapter(consents),
    revokeTokens: (consentId) => oauth.revokeTokensForConsent(consentId),
    psus,
    secondFactor,
    signInLimiter,
    now: () => new Date(),
    logger,
  });
  const dashboardRouter = createPsuDashboardRouter({
    dashboard,
    clientAddress: browserAddress,
    ...(identityProvider !== undefined ? { identityProvider } : {}),
    logger,
  });
  const identityRouters =
    identityProvider === undefined
      ? []
      : [createIdentityRouter({ identityProvider, oauth, dashboard, logger })];

  const app = observeRequests(
    createApp({
      logger,
      verifier: deps.verifier,
      trustedProxies: deps.trustedProxies,
      routers: [oauthRouter, dashboardRouter, ...identityRouters, ais.router],
      direct: ais,
      stopList: deps.stopList,
      publicPaths: [
        ...PUBLIC_PATHS,
        ...OAUTH_BROWSER_PATH_PATTERNS,
        ...exactPathPatterns([...DASHBOARD_BROWSER_PATHS, ...IDENTITY_BROWSER_PATHS]),
      ],
      ...(deps.tlsChainOf !== undefined ? { tlsChainOf: deps.tlsChainOf } : {}),
    }),
    {
      logger,
      metrics: operations.metrics,
      audit,
      statistics: operations.statistics,
      draining: () => operations.draining,
    },
  );
  const expiredRows = new ExpiredRowsSweep({
    db: oauthDb,
    dialect: store.dialect,
    signInLockSeconds: signInLimiter.lockSeconds,
    logger,
  });
  return { app, consents, oauth, paymentResend, expiredRows };
}

export async function startGateway(params: StartGatewayParams = {}): Promise<RunningGateway> {
  const env: Env = { ...(params.env ?? process.env) };
  if (params.host !== undefined) env.GATEWAY_HOST = params.host;
  if (params.port !== undefined) env.GATEWAY_PORT = String(params.port);
  if (params.databaseUrl !== undefined) env.GATEWAY_DATABASE_URL = params.databaseUrl;
  const baseDir = params.baseDir ?? PROJECT_ROOT;

  const fixtureDevelopment = isFixtureDevelopment(env);
  const config = loadConfig(env, { baseDir, fixturesPending: fixtureDevelopment });
  const operationsConfig = loadOperationsConfig(env);
  const logger =
    params.logger ??
    createLogger(params.quiet === true ? 'silent' : config.logLevel, undefined, { context: currentRequest });
  for (const warning of config.warnings) logger.warn({ event: 'config_warning' }, warning);

  if (fixtureDevelopment) {
    const pki = await ensureFixturePki({
      outDir: path.resolve(baseDir, FIXTURE_PKI_DIR),
      trustAnchorDir: path.resolve(baseDir, 'trust-anchors'),
    });
    if (pki.action !== 'reused')
      logger.info({ event: 'fixture_pki', action: pki.action, dir: FIXTURE_PKI_DIR }, 'fixture PKI ready');
  }

  let keyMaterial: ServerKeyMaterial;
  try {
    keyMaterial = ServerKeyMaterial.load({
      certChainFile: config.tlsCertFile,
      keyFile: config.tlsKeyFile,
      anchorFile: config.trustAnchorFile,
      rejectUntrustedAtHandshake: config.rejectUntrustedAtHandshake,
    });
  } catch (error) {
    throw new ConfigError('GATEWAY_TLS_CERT', `${config.tlsCertFile}: ${(error as Error).message}`);
  }

  const revocationFetcher = new UndiciRevocationFetcher();
  let trustStore: TrustStore;
  try {
    trustStore = await TrustStore.load({
      anchorFile: config.trustAnchorFile,
      crlFiles: config.crlFiles,
      crlGraceSeconds: config.crlGraceSeconds,
      intermediatesFile: config.intermediatesFile,
      logger,
      revocationPolicy: config.revocationPolicy,
      revocationTimeoutMs: config.revocationTimeoutMs,
      fetcher: revocationFetcher,
    });
  } catch (error) {
    if (error instanceof TrustMaterialError) {
      throw new ConfigError(TRUST_MATERIAL_VARIABLES[error.material], error.message);
    }
    throw error;
  }

  // SQLite paths in the URL are relative to the project, like every other path in the configuration.
  const databaseUrl =
    config.databaseUrl.startsWith('sqlite:') && !config.databaseUrl.startsWith('sqlite::memory:')
      ? `sqlite:${path.resolve(baseDir, config.databaseUrl.slice('sqlite:'.length))}`
      : config.databaseUrl;
  const metrics = new GatewayMetrics({ processMetrics: true });
  const store = await openStore(databaseUrl, {
    logger,
    onQuery: (seconds, ok) => metrics.storeQuery(seconds, ok),
  });
  const bank = await openBankConnector(config.bank, {
    db: store.db,
    logger,
    sandbox: config.sandbox,
    onBankCall: (operationId, seconds, ok) => metrics.bankCall(operationId, seconds, ok),
  });
  const operations = new GatewayOperations({ config: operationsConfig, logger, metrics, store, trustStore });
  operations.readiness.set({
    name: 'bank_connector',
    check: () =>
      bank.connector.ping().then(
        () => undefined,
        (error: unknown) => (error instanceof Error ? error.message : 'bank connector unreachable'),
      ),
  });

  const stopList = new StopListView(new KyselyTppStopList(store.db), { logger });
  await stopList.load();

  whenCompleteChainBudgetExhausted(() =>
    logger.warn(
      { event: 'complete_chain_budget_exhausted' },
      'full certificate lists are rationed (Node 20 leaks each read) and the ration is used up; chains Node cannot link by name are refused until the budget refills',
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
  // Several instances on one PostgreSQL database: each LISTENs for the others' changes (README "Several
  // instances on one PostgreSQL database").
  const listener =
    store.dialect === 'postgres' ? new PostgresChangeListener({ databaseUrl, logger }) : undefined;
  let appHandler: RequestListener | undefined;
  let expiredRows: ExpiredRowsSweep | undefined;
  let appAssembled: (handler: RequestListener | undefined) => void = () => undefined;
  const assembled = new Promise<RequestListener | undefined>((resolve) => (appAssembled = resolve));
  const server = createGatewayServer(
    keyMaterial.options,
    (req, res) => {
      if (appHandler !== undefined) {
        appHandler(req, res);
        return;
      }
      // Only on a system-chosen port, where the gateway binds before it assembles itself (below): the
      // first requests wait the few milliseconds until it can answer them.
      void assembled.then((handler) => (handler !== undefined ? handler(req, res) : res.destroy()));
    },
    params.serverLimits,
  );
  capConnectionsPerAddress(server, {
    limit: config.maxConnectionsPerAddress,
    exempt: (address) => trustedProxies.includes(address),
    onRefused: onceAMinutePerClient((client) =>
      logger.warn(
        { event: 'connection_cap_reached', client, limit: config.maxConnectionsPerAddress },
        'a client holds the most connections allowed; further connections are closed at accept',
      ),
    ),
  });
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  // With GATEWAY_PORT=0 the links and the OAuth issuer must name the port the system picked, so the
  // gateway binds first; otherwise it binds only once it can answer.
  if (config.publicUrlFollowsPort) await listen();
  const publicUrl = config.publicUrlFollowsPort
    ? `https://localhost:${(server.address() as AddressInfo).port}`
    : config.publicUrl;
  let paymentResend: PaymentResend;
  try {
    const assembly = await assembleGateway({
      ...(listener !== undefined ? { changeListener: listener } : {}),
      redirectUriCheck: config.redirectUriCheck,
      paymentAuthorisationSeconds: config.paymentAuthorisationSeconds,
      store,
      logger,
      publicUrl,
      verifier: trustStore.verifier,
      trustedProxies,
      bank,
      stopList,
      operations,
      requestSignatures: config.requireSignature ? { sealVerifier: trustStore.sealVerifier } : 'not-required',
      ...(config.psuIdentityProvider !== undefined
        ? { psuIdentityProvider: config.psuIdentityProvider }
        : {}),
      ...(params.paymentResend !== undefined ? { paymentResend: params.paymentResend } : {}),
    });
    paymentResend = assembly.paymentResend;
    appHandler = assembly.app;
    expiredRows = assembly.expiredRows;
    appAssembled(assembly.app);
  } catch (error) {
    appAssembled(undefined);
    server.close();
    throw error;
  }
  if (!config.publicUrlFollowsPort) await listen();
  const port = (server.address() as AddressInfo).port;
  operations.attachServer({
    server,
    keyMaterial,
    crlFiles: config.crlFiles,
    pollSeconds: config.crlReloadSeconds,
    onReloaded: (trigger, result) => {
      // A reload this instance made of itself is told to the others; one a notice caused is not re-told.
      if (listener === undefined || trigger === PEER_RELOAD || !(result.crls || result.anchor)) return;
      publishChange(store.db, { topic: 'trust_material', key: INSTANCE_ID }).catch((error: unknown) =>
        logger.warn(
          { event: 'change_notice_failed', topic: 'trust_material', error: (error as Error).message },
          'other instances were not told about the reloaded trust material; they find it by their own poll',
        ),
      );
    },
  });
  listener?.on((event: ChangeEvent) => {
    if (event.topic === 'trust_material' && event.key !== INSTANCE_ID)
      void operations.reloadKeyMaterial(PEER_RELOAD);
  });
  try {
    await listener?.start();
  } catch (error) {
    server.close();
    throw new ConfigError(
      'GATEWAY_DATABASE_URL',
      `cannot LISTEN for other instances' changes: ${(error as Error).message}`,
    );
  }
  const hostForUrl =
    config.host === '127.0.0.1' || config.host === '0.0.0.0' || config.host === '::'
      ? 'localhost'
      : config.host;
  const url = `https://${hostForUrl}:${port}`;
  expiredRows?.start();
  logger.info(
    { event: 'listening', url, mode: config.mode, database: store.dialect, bank: config.bank.kind },
    `psd2-gateway listening on ${url}`,
  );

  // Payments an earlier run left authorised but not executed (the bank was down, the process stopped).
  const recovering = paymentResend
    .recover()
    .catch((error: unknown) => logger.error({ event: 'payment.resend_recovery_failed', err: error }));

  let closed = false;
  return {
    url,
    port,
    config: { ...config, publicUrl },
    server,
    trustStore,
    store,
    bank: bank.connector,
    logger,
    operations,
    close: async () => {
      if (closed) return;
      closed = true;
      await operations.drain();
      await recovering;
      await paymentResend.close();
      await expiredRows?.stop();
      trustStore.close();
      await revocationFetcher.close();
      await listener?.close();
      await bank.connector.close();
      await store.close();
    },
  };
}
