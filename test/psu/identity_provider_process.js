/**
 * The bank's OpenID Provider for the tests: panva's oidc-provider 8.8.1, a real provider in its own
 * process, run with `node -r ./test/helpers/ts_register.js test/psu/identity_provider_process.js
 * <port> <redirect_uri>`. Its customers are the sandbox PSUs (password from the sandbox fixture); a sign-in
 * with the one-time code as well gets acr `urn:bob:sca` and amr [pwd, otp], one without it acr
 * `urn:bob:pwd` and amr [pwd], so the gateway's refusal of weak sign-ins can be tried. The PSU id travels
 * in its own claim `psu_id` (sub is the provider's own id), as at banks whose subject is not the customer
 * number. `<redirect_uri>` may list several, comma-separated (one per gateway). Test hooks make it
 * misbehave: GET /__test/tamper-next-nonce replaces the nonce of the next authorization request, so the
 * ID token carries a nonce the gateway did not send; GET /__test/next-sign-in?freshness=stale|missing
 * makes the next authorization ignore prompt=login and max_age=0, as a provider without their support
 * would, and either date the sign-in three hours back (an old single sign-on session: auth_time stale)
 * or leave auth_time out; `&amr=pwd,pin` replaces the methods the next sign-in reports.
 * Prints one JSON line `{"issuer": …}` on stdout when it listens.
 */
const { createServer } = require('node:http');
const { generateKeyPairSync } = require('node:crypto');
const { Provider } = require('oidc-provider');
const { readSandboxBankFixture } = require('../../src/accounts/sandbox_bank.ts');
const { SandboxAuthenticator } = require('../../src/sca/sandbox_one_time_codes.ts');

const [port, redirectUri] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;
const psus = readSandboxBankFixture().psus;
const codes = new SandboxAuthenticator(psus);

const signingKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'psd2-gateway',
      client_secret: 'gateway-test-secret',
      redirect_uris: redirectUri.split(','),
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'ES256',
    },
  ],
  jwks: { keys: [{ ...signingKey, use: 'sig', alg: 'ES256', kid: 'op-test' }] },
  cookies: { keys: ['identity-provider-test-cookie-key'] },
  // amr goes into the ID token only as a supported claim of a requested scope.
  claims: { openid: ['sub', 'amr'], profile: ['name', 'psu_id'] },
  conformIdTokenClaims: false,
  acrValues: ['urn:bob:sca', 'urn:bob:pwd'],
  features: { devInteractions: { enabled: false } },
  pkce: { required: () => true },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  findAccount: (_ctx, id) => {
    const psu = psus.find((p) => `op-${p.psuId}` === id);
    if (psu === undefined) return undefined;
    return { accountId: id, claims: () => ({ sub: id, name: psu.displayName, psu_id: psu.psuId }) };
  },
  // A first-party client: no consent screen, the grant covers what was asked.
  loadExistingGrant: async (ctx) => {
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid profile');
    await grant.save();
    return grant;
  },
});

let tamperNextNonce = false;
/** What the next sign-in does differently (GET /__test/next-sign-in). */
let nextSignIn = {};

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const loginPage = (
  uid,
  error,
) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Bob's Bank sign-in</title></head>
<body><main><h1>Bob's Bank sign-in</h1>${error ? `<p role="alert">${esc(error)}</p>` : ''}
<form method="post" action="/interaction/${esc(uid)}">
<label for="login">Customer login</label><input id="login" name="login" autocomplete="username">
<label for="secret">Customer password</label><input id="secret" name="password" type="password">
<label for="code">Code from your banking app</label><input id="code" name="otp" inputmode="numeric">
<button type="submit">Continue</button></form></main></body></html>`;

function readForm(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => resolve(new URLSearchParams(body)));
    req.on('error', reject);
  });
}

provider.use(async (ctx, next) => {
  if (ctx.path === '/__test/tamper-next-nonce') {
    tamperNextNonce = true;
    ctx.body = 'ok';
    return;
  }
  if (ctx.path === '/auth' && tamperNextNonce) {
    tamperNextNonce = false;
    ctx.query = { ...ctx.query, nonce: 'not-the-gateways-nonce' };
  }
  if (ctx.path === '/__test/next-sign-in') {
    const amr = ctx.query.amr;
    nextSignIn = {
      freshness: ctx.query.freshness,
      amr: typeof amr === 'string' ? amr.split(',') : undefined,
    };
    ctx.body = 'ok';
    return;
  }
  if (ctx.path === '/auth' && nextSignIn.freshness !== undefined) {
    const query = { ...ctx.query };
    delete query.prompt;
    delete query.max_age;
    // A stale sign-in needs auth_time in the ID token, which a max_age asks for; one day admits it.
    ctx.query = nextSignIn.freshness === 'stale' ? { ...query, max_age: '86400' } : query;
    nextSignIn = { ...nextSignIn, staleLogin: nextSignIn.freshness === 'stale', freshness: undefined };
  }
  const match = /^\/interaction\/([^/]+)$/.exec(ctx.path);
  if (match === null) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  ctx.type = 'html';
  if (ctx.method === 'GET') {
    ctx.body = loginPage(details.uid);
    return;
  }
  const form = await readForm(ctx.req);
  const psu = psus.find((p) => p.psuId === form.get('login') && p.password === form.get('password'));
  if (psu === undefined) {
    ctx.body = loginPage(details.uid, 'Login or password wrong.');
    return;
  }
  const otp = form.get('otp') ?? '';
  const strong =
    otp !== '' &&
    codes.matchingStep({
      username: psu.psuId,
      code: otp,
      subject: { kind: 'consentDashboard' },
      at: new Date(),
    }) !== undefined;
  const login = strong
    ? { accountId: `op-${psu.psuId}`, acr: 'urn:bob:sca', amr: ['pwd', 'otp'] }
    : { accountId: `op-${psu.psuId}`, acr: 'urn:bob:pwd', amr: ['pwd'] };
  if (nextSignIn.amr !== undefined) login.amr = nextSignIn.amr;
  if (nextSignIn.staleLogin === true) login.ts = Math.floor(Date.now() / 1000) - 3 * 3600;
  nextSignIn = {};
  const url = await provider.interactionResult(
    ctx.req,
    ctx.res,
    { login },
    { mergeWithLastSubmission: false },
  );
  ctx.redirect(url);
});

const server = createServer(provider.callback());
server.listen(Number(port), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});
