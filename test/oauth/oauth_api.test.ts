import request from 'supertest';
import {
  ALICE,
  ALICE_REDIRECT,
  CAROL,
  CAROL_REDIRECT,
  PUBLIC_URL,
  aliceConsent,
  as,
  authorizeQuery,
  csrfOf,
  exchangeCode,
  newPkce,
  obtainCode,
  openAuthorize,
  postForm,
  readAccounts,
  tokenRequest,
  createTestApp,
  type TestApp,
  credentials,
} from './oauth_gateway';

let t: TestApp;
beforeEach(async () => {
  t = await createTestApp();
});
afterEach(async () => {
  await t.close();
});

/** Authorises a fresh consent of Alice's and exchanges the code. */
async function aliceTokens() {
  const consent = t.consents.add(aliceConsent());
  const pair = newPkce();
  const code = await obtainCode(t, consent, pair);
  const res = await exchangeCode(t.app, 'alice', code, pair).expect(200);
  return {
    consent,
    pair,
    code,
    accessToken: String(res.body.access_token),
    refreshToken: String(res.body.refresh_token),
  };
}

function tppCode(res: request.Response): string | undefined {
  return (res.body as { tppMessages?: { code: string }[] }).tppMessages?.[0]?.code;
}

describe('metadata (RFC 8414)', () => {
  it('describes a certificate-bound, PKCE-only authorisation server', async () => {
    const res = await request(t.app).get('/.well-known/oauth-authorization-server').expect(200);
    expect(res.body).toEqual({
      issuer: PUBLIC_URL,
      authorization_endpoint: `${PUBLIC_URL}/oauth2/authorize`,
      token_endpoint: `${PUBLIC_URL}/oauth2/token`,
      revocation_endpoint: `${PUBLIC_URL}/oauth2/revoke`,
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_methods_supported: ['tls_client_auth'],
      revocation_endpoint_auth_methods_supported: ['tls_client_auth'],
      code_challenge_methods_supported: ['S256'],
      tls_client_certificate_bound_access_tokens: true,
      authorization_response_iss_parameter_supported: true,
    });
  });
});

describe('GET /oauth2/authorize', () => {
  it('renders the sign-in page with a session cookie, a CSRF token and a strict CSP', async () => {
    const consent = t.consents.add(aliceConsent());
    const res = await request(t.app)
      .get('/oauth2/authorize')
      .query(authorizeQuery(consent, newPkce()))
      .expect(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.text).toContain('<html lang="en">');
    expect(res.text).toContain('name="username"');
    expect(res.text).toContain('name="password"');
    expect(res.text).toContain('Bank of Alice');
    expect(res.text).not.toMatch(/<script|style=/);
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("form-action 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    const cookie = String(([] as string[]).concat(res.headers['set-cookie'] ?? [])[0]);
    expect(cookie).toMatch(/^__Host-psd2-authorize=/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/Secure/);
    expect(cookie).toMatch(/SameSite=Lax/);
  });

  it('serves its stylesheet itself', async () => {
    const res = await request(t.app).get('/oauth2/authorize/style.css').expect(200);
    expect(res.headers['content-type']).toMatch(/text\/css/);
  });

  it.each([
    [
      'redirect_uri differing from TPP-Redirect-URI',
      { redirect_uri: 'https://mallory.example/cb' },
      /redirect address/,
    ],
    ['redirect_uri with an extra path', { redirect_uri: `${ALICE_REDIRECT}/x` }, /redirect address/],
    [
      'client_id of another TPP (Carol)',
      { client_id: CAROL.organizationIdentifier },
      /does not match any consent/,
    ],
    ['unknown consent', { scope: 'AIS:no-such-consent' }, /does not match any consent/],
    ['scope without AIS: prefix', { scope: 'accounts' }, /scope must be AIS/],
    ['response_type=token', { response_type: 'token' }, /response_type=code/],
    ['code_challenge_method=plain', { code_challenge_method: 'plain' }, /S256/],
    ['malformed code_challenge', { code_challenge: 'short' }, /code_challenge/],
    ['no state', { state: '' }, /missing the parameter state/],
    ['no code_challenge', { code_challenge: '' }, /missing the parameter code_challenge/],
  ])('%s → 400 error page, never a redirect', async (_name, overrides, text) => {
    const consent = t.consents.add(aliceConsent());
    const res = await request(t.app)
      .get('/oauth2/authorize')
      .query(authorizeQuery(consent, newPkce(), overrides));
    expect(res.status).toBe(400);
    expect(res.headers.location).toBeUndefined();
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.text).toMatch(text);
  });

  it('refuses a repeated parameter', async () => {
    const consent = t.consents.add(aliceConsent());
    const qs = new URLSearchParams(authorizeQuery(consent, newPkce()));
    qs.append('redirect_uri', 'https://mallory.example/cb');
    const res = await request(t.app).get(`/oauth2/authorize?${qs.toString()}`).expect(400);
    expect(res.text).toMatch(/malformed or repeated/);
  });

  it.each(['valid', 'rejected', 'terminatedByTpp'] as const)(
    'a consent in status %s → 400 error page',
    async (status) => {
      const consent = t.consents.add(aliceConsent({ status }));
      const res = await request(t.app)
        .get('/oauth2/authorize')
        .query(authorizeQuery(consent, newPkce()))
        .expect(400);
      expect(res.text).toMatch(/already been answered or has ended/);
    },
  );
});

describe('sign-in and decision', () => {
  it('shows who asks and what, then approve → consent valid and 303 with code, state and iss', async () => {
    const consent = t.consents.add(aliceConsent());
    const page = await openAuthorize(t.app, authorizeQuery(consent, newPkce()));
    const signIn = await postForm(t.app, page, { csrf_token: page.csrf, ...credentials(t, consent) }).expect(
      200,
    );
    expect(signIn.text).toContain('Bank of Alice');
    expect(signIn.text).toContain(ALICE.organizationIdentifier);
    expect(signIn.text).toContain('Federal Financial Supervisory Authority (DE-BAFIN)');
    expect(signIn.text).toContain('DE89 3704 0044 0532 0130 00');
    // Where Allow and Deny will send the browser, shown before the choice.
    expect(signIn.text).toMatch(/you will then return to <strong>alice\.example<\/strong>/);
    expect(signIn.text).toContain('2030-06-30');
    expect(signIn.text).toContain('up to 4 times a day');
    expect(signIn.text).toMatch(/name="decision" value="approve"/);
    expect(signIn.text).toMatch(/name="decision" value="deny"/);
    // The decision redirects to the TPP; the page's CSP must let the form go there, and nowhere else.
    expect(String(signIn.headers['content-security-policy'])).toContain(
      "form-action 'self' https://alice.example",
    );

    const res = await postForm(t.app, page, {
      csrf_token: csrfOf(signIn.text),
      decision: 'approve',
    }).expect(303);
    const location = new URL(String(res.headers.location));
    expect(`${location.origin}${location.pathname}`).toBe(ALICE_REDIRECT);
    expect(location.searchParams.get('state')).toBe('state-xyz');
    expect(location.searchParams.get('iss')).toBe(PUBLIC_URL);
    expect(location.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(t.consents.consents.get(consent.consentId)?.status).toBe('valid');
    expect(t.consents.decisions).toEqual([
      {
        consentId: consent.consentId,
        psuId: 'psu-1',
        decision: 'approve',
        ibans: ['DE89370400440532013000'],
      },
    ]);
  });

  it('deny → consent rejected and 303 with error=access_denied and state', async () => {
    const consent = t.consents.add(aliceConsent());
    const page = await openAuthorize(t.app, authorizeQuery(consent, newPkce()));
    const signIn = await postForm(t.app, page, { csrf_token: page.csrf, ...credentials(t, consent) }).expect(
      200,
    );
    const res = await postForm(t.app, page, {
      csrf_token: csrfOf(signIn.text),
      decision: 'deny',
    }).expect(303);
    const location = new URL(String(res.headers.location));
    expect(location.searchParams.get('error')).toBe('access_denied');
    expect(location.searchParams.get('state')).toBe('state-xyz');
    expect(location.searchParams.get('code')).toBeNull();
    expect(t.consents.consents.get(consent.consentId)?.status).toBe('rejected');
  });

  it('a wrong password → the sign-in page again with an error tied to the fields', async () => {
    const consent = t.consents.add(aliceConsent());
    const page = await openAuthorize(t.app, authorizeQuery(consent, newPkce()));
    const res = await postForm(t.app, page, {
      csrf_token: page.csrf,
      username: 'petra',
      password: 'wrong',
    }).expect(200);
    expect(res.text).toContain('id="sign-in-error"');
    expect(res.text).toMatch(/id="password"[^>]*aria-describedby="sign-in-error"/);
    expect(res.text).toMatch(/username, password or one-time code is not correct/);
    expect(t.consents.consents.get(consent.consentId)?.status).toBe('received');
  });

  it.each([
    ['no one-time code', { otp: '' }, 'petra'],
    ['a wrong one-time code', { otp: '000000' }, 'petra'],
    ["Paul's code with Petra's password", { otp: '' }, 'paul'],
    ['a code from two steps ago', { otp: 'old' }, 'petra'],
    ['the right code but a wrong password', { password: 'wrong' }, 'petra'],
  ] as const)('two factors: %s → refused with the same message', async (_name, change, codeOf) => {
    const consent = t.consents.add(aliceConsent());
    const page = await openAuthorize(t.app, authorizeQuery(consent, newPkce()));
    const fields: Record<string, string> = { ...credentials(t, consent), ...change };
    // codeOf: whose authenticator the code comes from.
    if (codeOf === 'paul') fields.otp = credentials(t, consent, 'paul').otp;
    if ('otp' in change && change.otp === 'old') {
      t.clock.advance(-60);
      fields.otp = credentials(t, consent).otp;
      t.clock.advance(60);
    }
    const res = await postForm(t.app, page, { csrf_token: page.csrf, ...fields }).expect(200);
    expect(res.text).toMatch(/username, password or one-time code is not correct/);
    expect(res.text).not.toMatch(/name="decision"/);
    expect(t.consents.consents.get(consent.consentId)?.status).toBe('received');
  });

  it('the code one step either side of the clock is accepted (drift)', async () => {
    for (const offset of [-30, 30]) {
      const consent = t.consents.add(aliceConsent());
      const page = await openAuthorize(t.app, authorizeQuery(consent, newPkce()));
      t.clock.advance(offset);
      const fields = credentials(t, consent);
      t.clock.advance(-offset);
      const res = await postForm(t.app, page, { csrf_token: page.csrf, ...fields }).expect(200);
      expect(res.text).toMatch(/name="decision"/);
    }
  });

  it('the session cookie is renewed at sign-in: the cookie from before no longer works', async () => {
    const consent = t.consents.add(aliceConsent());
    const page = await openAuthorize(t.app, authorizeQuery(consent, newPkce()));
    const before = page.cookie;
    const signIn = await postForm(t.app, page, { csrf_token: page.csrf, ...credentials(t, consent) }).expect(
      200,
    );
    const renewed = String(([] as string[]).concat(signIn.headers['set-cookie'] ?? [])[0]);
    expect(renewed).toMatch(/^__Host-psd2-authorize=[^;]+;.*HttpOnly/);
    expect(page.cookie).not.toBe(before);
    const csrf = csrfOf(signIn.text);
    expect(csrf).not.toBe(page.csrf);
    // A session id planted before sign-in (session fixation) is worthless after it.
    await postForm(t.app, before, { csrf_token: csrf, decision: 'approve' }).expect(403);
    await postForm(t.app, page, { csrf_token: page.csrf, decision: 'approve' }).expect(403);
    await postForm(t.app, page, { csrf_token: csrf, decision: 'approve' }).expect(303);
  });

  it('five wrong passwords end the session', async () => {
    const consent = t.consents.add(aliceConsent());
    const page = await openAuthorize(t.app, authorizeQuery(consent, newPkce()));
    for (let i = 0; i < 4; i++) {
      await postForm(t.app, page, { csrf_token: page.csrf, username: 'petra', password: 'x' }).expect(200);
    }
    await postForm(t.app, page, { csrf_token: page.csrf, username: 'petra', password: 'x' }).expect(403);
    await postForm(t.app, page, { csrf_token: page.csrf, ...credentials(t, consent) }).expect(403);
  });

  it.each([
    ['no CSRF token', (csrf: string) => ({ csrf_token: csrf }), 'omit'],
    ['a wrong CSRF token', () => ({ csrf_token: 'forged' }), 'keep'],
    ['no session cookie', (csrf: string) => ({ csrf_token: csrf }), 'no-cookie'],
  ] as const)('%s → 403 page', async (_name, fields, mode) => {
    const consent = t.consents.add(aliceConsent());
    const page = await openAuthorize(t.app, authorizeQuery(consent, newPkce()));
    const body: Record<string, string> = { ...credentials(t, consent), ...fields(page.csrf) };
    if (mode === 'omit') delete body.csrf_token;
    const res = await postForm(t.app, mode === 'no-cookie' ? undefined : page, body).expect(403);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.headers.location).toBeUndefined();
  });

  it('a decision with a wrong CSRF token → 403 and the consent stays received', async () => {
    const consent = t.consents.add(aliceConsent());
    const page = await openAuthorize(t.app, authorizeQuery(consent, newPkce()));
    await postForm(t.app, page, { csrf_token: page.csrf, ...credentials(t, consent) }).expect(200);
    await postForm(t.app, page, { csrf_token: 'forged', decision: 'approve' }).expect(403);
    expect(t.consents.consents.get(consent.consentId)?.status).toBe('received');
  });

  it('a decision before signing in → 403', async () => {
    const consent = t.consents.add(aliceConsent());
    const page = await openAuthorize(t.app, authorizeQuery(consent, newPkce()));
    await postForm(t.app, page, { csrf_token: page.csrf, decision: 'approve' }).expect(403);
  });

  it("a consent naming accounts that are not the PSU's can only be denied", async () => {
    const consent = t.consents.add(aliceConsent({ access: { balances: ['DE75512108001245126199'] } }));
    const page = await openAuthorize(t.app, authorizeQuery(consent, newPkce()));
    const signIn = await postForm(t.app, page, { csrf_token: page.csrf, ...credentials(t, consent) }).expect(
      403,
    );
    expect(signIn.text).toMatch(/cannot be approved/);
    expect(signIn.text).toContain('DE75 5121 0800 1245 1261 99');
    expect(signIn.text).not.toMatch(/value="approve"/);
    await postForm(t.app, page, { csrf_token: csrfOf(signIn.text), decision: 'approve' }).expect(403);
    expect(t.consents.consents.get(consent.consentId)?.status).toBe('received');
  });

  it.each([
    ['availableAccounts', { availableAccounts: 'allAccounts' }],
    ['allPsd2', { allPsd2: 'allAccounts' }],
    ['bank-offered', { accounts: [], balances: [], transactions: [] }],
  ])('%s: the PSU picks their own accounts', async (_name, access) => {
    const consent = t.consents.add(aliceConsent({ access }));
    const page = await openAuthorize(t.app, authorizeQuery(consent, newPkce()));
    const signIn = await postForm(t.app, page, { csrf_token: page.csrf, ...credentials(t, consent) }).expect(
      200,
    );
    expect(signIn.text).toMatch(/type="checkbox"[^>]*name="accounts" value="DE89370400440532013000"/);
    expect(signIn.text).toMatch(/type="checkbox"[^>]*name="accounts" value="DE02120300000000202051"/);
    const csrf = csrfOf(signIn.text);

    const none = await postForm(t.app, page, { csrf_token: csrf, decision: 'approve' }).expect(200);
    expect(none.text).toContain('id="accounts-error"');
    expect(none.text).toContain('aria-describedby="accounts-error"');

    await postForm(t.app, page, {
      csrf_token: csrf,
      decision: 'approve',
      accounts: ['DE89370400440532013000', 'DE75512108001245126199'],
    }).expect(400);
    expect(t.consents.consents.get(consent.consentId)?.status).toBe('received');

    await postForm(t.app, page, {
      csrf_token: csrf,
      decision: 'approve',
      accounts: 'DE02120300000000202051',
    }).expect(303);
    expect(t.consents.decisions.at(-1)?.ibans).toEqual(['DE02120300000000202051']);
  });

  it('the session answers one decision only', async () => {
    const consent = t.consents.add(aliceConsent());
    const page = await openAuthorize(t.app, authorizeQuery(consent, newPkce()));
    const signIn = await postForm(t.app, page, { csrf_token: page.csrf, ...credentials(t, consent) }).expect(
      200,
    );
    const csrf = csrfOf(signIn.text);
    await postForm(t.app, page, { csrf_token: csrf, decision: 'approve' }).expect(303);
    await postForm(t.app, page, { csrf_token: csrf, decision: 'deny' }).expect(403);
    expect(t.consents.consents.get(consent.consentId)?.status).toBe('valid');
  });
});

describe('POST /oauth2/token', () => {
  it('exchanges a code for certificate-bound tokens, no-store', async () => {
    const consent = t.consents.add(aliceConsent());
    const pair = newPkce();
    const code = await obtainCode(t, consent, pair);
    const res = await exchangeCode(t.app, 'alice', code, pair).expect(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({
      access_token: expect.stringMatching(/^psd2at_/),
      token_type: 'Bearer',
      expires_in: 300,
      refresh_token: expect.stringMatching(/^psd2rt_/),
      scope: `AIS:${consent.consentId}`,
    });
    const read = await readAccounts(t.app, 'alice', String(res.body.access_token), consent.consentId).expect(
      200,
    );
    expect(read.body.consentId).toBe(consent.consentId);
  });

  it.each([
    ['a wrong PKCE verifier', { code_verifier: newPkce().verifier }],
    ['a wrong redirect_uri', { redirect_uri: 'https://alice.example/other' }],
  ])(
    '%s → 400 invalid_grant, and the code is used up: the right request fails after it',
    async (_n, change) => {
      const consent = t.consents.add(aliceConsent());
      const pair = newPkce();
      const code = await obtainCode(t, consent, pair);
      const res = await exchangeCode(t.app, 'alice', code, pair, change).expect(400);
      expect(res.body).toMatchObject({ error: 'invalid_grant' });
      const again = await exchangeCode(t.app, 'alice', code, pair).expect(400);
      expect(again.body).toMatchObject({ error: 'invalid_grant' });
    },
  );

  it('an expired code is used up too', async () => {
    const consent = t.consents.add(aliceConsent());
    const pair = newPkce();
    const code = await obtainCode(t, consent, pair);
    t.clock.advance(121);
    await exchangeCode(t.app, 'alice', code, pair).expect(400);
    const row = await t.db
      .selectFrom('oauth_grant')
      .select('code_used_at')
      .where('consent_id', '=', consent.consentId)
      .executeTakeFirst();
    expect(row?.code_used_at).not.toBeNull();
  });

  it.each([
    ['too short', 'a'.repeat(42)],
    ['too long', 'a'.repeat(129)],
    ['outside the unreserved set', `${'a'.repeat(42)}+`],
  ])('a code_verifier %s → 400 invalid_request', async (_name, verifier) => {
    const consent = t.consents.add(aliceConsent());
    const pair = newPkce();
    const code = await obtainCode(t, consent, pair);
    const res = await exchangeCode(t.app, 'alice', code, pair, { code_verifier: verifier }).expect(400);
    expect(res.body.error).toBe('invalid_request');
  });

  it('a replayed code → invalid_grant and the tokens it issued are revoked', async () => {
    const { consent, pair, code, accessToken, refreshToken } = await aliceTokens();
    const replay = await exchangeCode(t.app, 'alice', code, pair).expect(400);
    expect(replay.body.error).toBe('invalid_grant');
    const read = await readAccounts(t.app, 'alice', accessToken, consent.consentId).expect(401);
    expect(tppCode(read)).toBe('TOKEN_INVALID');
    const refresh = await tokenRequest(t.app, 'alice', {
      grant_type: 'refresh_token',
      client_id: ALICE.organizationIdentifier,
      refresh_token: refreshToken,
    }).expect(400);
    expect(refresh.body.error).toBe('invalid_grant');
  });

  it("Carol cannot redeem Alice's code; Alice still can", async () => {
    const consent = t.consents.add(aliceConsent());
    const pair = newPkce();
    const code = await obtainCode(t, consent, pair);
    const res = await exchangeCode(t.app, 'carol', code, pair, { redirect_uri: ALICE_REDIRECT }).expect(400);
    expect(res.body.error).toBe('invalid_grant');
    await exchangeCode(t.app, 'alice', code, pair).expect(200);
  });

  it("Carol sending Alice's client_id → 401 invalid_client", async () => {
    const consent = t.consents.add(aliceConsent());
    const pair = newPkce();
    const code = await obtainCode(t, consent, pair);
    const res = await exchangeCode(t.app, 'carol', code, pair, {
      client_id: ALICE.organizationIdentifier,
    }).expect(401);
    expect(res.body.error).toBe('invalid_client');
  });

  it("a redirect_uri other than the authorisation request's → invalid_grant", async () => {
    const consent = t.consents.add(aliceConsent());
    const pair = newPkce();
    const code = await obtainCode(t, consent, pair);
    const res = await exchangeCode(t.app, 'alice', code, pair, { redirect_uri: CAROL_REDIRECT }).expect(400);
    expect(res.body.error).toBe('invalid_grant');
  });

  it('an expired code (2 minutes) → invalid_grant', async () => {
    const consent = t.consents.add(aliceConsent());
    const pair = newPkce();
    const code = await obtainCode(t, consent, pair);
    t.clock.advance(121);
    const res = await exchangeCode(t.app, 'alice', code, pair).expect(400);
    expect(res.body).toEqual({ error: 'invalid_grant', error_description: expect.stringMatching(/expired/) });
  });

  it('a consent ended before the exchange → invalid_grant', async () => {
    const consent = t.consents.add(aliceConsent());
    const pair = newPkce();
    const code = await obtainCode(t, consent, pair);
    t.consents.setStatus(consent.consentId, 'terminatedByTpp');
    const res = await exchangeCode(t.app, 'alice', code, pair).expect(400);
    expect(res.body.error).toBe('invalid_grant');
  });

  it('no client certificate → 401 invalid_client', async () => {
    const res = await request(t.app)
      .post('/oauth2/token')
      .type('form')
      .send(`grant_type=authorization_code&client_id=${ALICE.organizationIdentifier}`)
      .expect(401);
    expect(res.body.error).toBe('invalid_client');
  });

  it.each([
    ['no client_id', 400, 'invalid_request', { grant_type: 'refresh_token', refresh_token: 'x' }],
    ['no grant_type', 400, 'invalid_request', { client_id: ALICE.organizationIdentifier }],
    [
      'grant_type=password',
      400,
      'unsupported_grant_type',
      { client_id: ALICE.organizationIdentifier, grant_type: 'password' },
    ],
    [
      'no code',
      400,
      'invalid_request',
      { client_id: ALICE.organizationIdentifier, grant_type: 'authorization_code' },
    ],
    [
      'an unknown code',
      400,
      'invalid_grant',
      {
        client_id: ALICE.organizationIdentifier,
        grant_type: 'authorization_code',
        code: 'nope',
        redirect_uri: ALICE_REDIRECT,
        code_verifier: 'a'.repeat(43),
      },
    ],
    [
      'an unknown refresh token',
      400,
      'invalid_grant',
      { client_id: ALICE.organizationIdentifier, grant_type: 'refresh_token', refresh_token: 'nope' },
    ],
  ] as [string, number, string, Record<string, string>][])(
    '%s → %i %s',
    async (_name, status, error, fields) => {
      const res = await tokenRequest(t.app, 'alice', fields).expect(status);
      expect(res.body.error).toBe(error);
      expect(res.headers['cache-control']).toBe('no-store');
    },
  );

  it('a JSON body → 400 invalid_request', async () => {
    const res = await as(t.app, 'alice')
      .post('/oauth2/token')
      .send({ grant_type: 'refresh_token', client_id: ALICE.organizationIdentifier, refresh_token: 'x' })
      .expect(400);
    expect(res.body.error).toBe('invalid_request');
  });

  it('a repeated parameter → 400 invalid_request', async () => {
    const res = await as(t.app, 'alice')
      .post('/oauth2/token')
      .type('form')
      .send(
        `grant_type=refresh_token&client_id=${ALICE.organizationIdentifier}&refresh_token=a&refresh_token=b`,
      )
      .expect(400);
    expect(res.body.error).toBe('invalid_request');
  });
});

describe('refresh tokens', () => {
  const refresh = (who: string, clientId: string, refreshToken: string) =>
    tokenRequest(t.app, who, {
      grant_type: 'refresh_token',
      client_id: clientId,
      refresh_token: refreshToken,
    });

  it('rotate on use; reusing a rotated one revokes the whole family', async () => {
    const { consent, refreshToken } = await aliceTokens();
    const first = await refresh('alice', ALICE.organizationIdentifier, refreshToken).expect(200);
    expect(first.body.refresh_token).not.toBe(refreshToken);
    const newAccess = String(first.body.access_token);
    await readAccounts(t.app, 'alice', newAccess, consent.consentId).expect(200);

    const reuse = await refresh('alice', ALICE.organizationIdentifier, refreshToken).expect(400);
    expect(reuse.body.error).toBe('invalid_grant');
    const read = await readAccounts(t.app, 'alice', newAccess, consent.consentId).expect(401);
    expect(tppCode(read)).toBe('TOKEN_INVALID');
    await refresh('alice', ALICE.organizationIdentifier, String(first.body.refresh_token)).expect(400);
  });

  it("Carol cannot use Alice's refresh token", async () => {
    const { refreshToken } = await aliceTokens();
    const res = await refresh('carol', CAROL.organizationIdentifier, refreshToken).expect(400);
    expect(res.body.error).toBe('invalid_grant');
    await refresh('alice', ALICE.organizationIdentifier, refreshToken).expect(200);
  });

  it('after a certificate renewal the refreshed access token is bound to the new certificate', async () => {
    const { consent, refreshToken } = await aliceTokens();
    const res = await refresh('alice-renewed', ALICE.organizationIdentifier, refreshToken).expect(200);
    await readAccounts(t.app, 'alice-renewed', String(res.body.access_token), consent.consentId).expect(200);
    const old = await readAccounts(t.app, 'alice', String(res.body.access_token), consent.consentId).expect(
      401,
    );
    expect(tppCode(old)).toBe('TOKEN_INVALID');
  });
});

describe('enforcement on AIS reads', () => {
  it("Alice's token on Carol's connection → 401 TOKEN_INVALID", async () => {
    const { consent, accessToken } = await aliceTokens();
    const res = await readAccounts(t.app, 'carol', accessToken, consent.consentId).expect(401);
    expect(tppCode(res)).toBe('TOKEN_INVALID');
  });

  it('a token for consent A with Consent-ID B → 401 TOKEN_INVALID', async () => {
    const a = await aliceTokens();
    const b = await aliceTokens();
    const res = await readAccounts(t.app, 'alice', a.accessToken, b.consent.consentId).expect(401);
    expect(tppCode(res)).toBe('TOKEN_INVALID');
  });

  it('an expired token → 401 TOKEN_EXPIRED', async () => {
    const { consent, accessToken } = await aliceTokens();
    t.clock.advance(299);
    await readAccounts(t.app, 'alice', accessToken, consent.consentId).expect(200);
    t.clock.advance(1);
    const res = await readAccounts(t.app, 'alice', accessToken, consent.consentId).expect(401);
    expect(tppCode(res)).toBe('TOKEN_EXPIRED');
  });

  it.each([
    ['no Authorization', 401, 'TOKEN_INVALID', undefined],
    ['Basic instead of Bearer', 401, 'TOKEN_INVALID', 'Basic'],
    ['an unknown token', 401, 'TOKEN_UNKNOWN', 'psd2at_unknown'],
  ])('%s → %i %s', async (_name, status, code, token) => {
    const consent = t.consents.add(aliceConsent());
    const req = as(t.app, 'alice').get('/v1/accounts').set('Consent-ID', consent.consentId);
    if (token === 'Basic') req.set('Authorization', 'Basic YTpi');
    else if (token !== undefined) req.set('Authorization', `Bearer ${token}`);
    const res = await req.expect(status);
    expect(tppCode(res)).toBe(code);
  });

  it('no Consent-ID → 400 FORMAT_ERROR', async () => {
    const { accessToken } = await aliceTokens();
    const res = await readAccounts(t.app, 'alice', accessToken, undefined).expect(400);
    expect(tppCode(res)).toBe('FORMAT_ERROR');
  });

  it('a refresh token is not an access token → TOKEN_UNKNOWN', async () => {
    const { consent, refreshToken } = await aliceTokens();
    const res = await readAccounts(t.app, 'alice', refreshToken, consent.consentId).expect(401);
    expect(tppCode(res)).toBe('TOKEN_UNKNOWN');
  });

  it('revokeTokensForConsent (consent DELETE) ends access and refresh tokens', async () => {
    const { consent, accessToken, refreshToken } = await aliceTokens();
    await t.service.revokeTokensForConsent(consent.consentId);
    const res = await readAccounts(t.app, 'alice', accessToken, consent.consentId).expect(401);
    expect(tppCode(res)).toBe('TOKEN_INVALID');
    await tokenRequest(t.app, 'alice', {
      grant_type: 'refresh_token',
      client_id: ALICE.organizationIdentifier,
      refresh_token: refreshToken,
    }).expect(400);
  });
});

describe('POST /oauth2/revoke (RFC 7009)', () => {
  const revoke = (who: string, clientId: string, token: string, hint?: string) =>
    as(t.app, who)
      .post('/oauth2/revoke')
      .type('form')
      .send(
        new URLSearchParams({
          client_id: clientId,
          token,
          ...(hint ? { token_type_hint: hint } : {}),
        }).toString(),
      );

  it('revoking the access token → 200, then the token is refused', async () => {
    const { consent, accessToken } = await aliceTokens();
    await revoke('alice', ALICE.organizationIdentifier, accessToken, 'access_token').expect(200);
    const res = await readAccounts(t.app, 'alice', accessToken, consent.consentId).expect(401);
    expect(tppCode(res)).toBe('TOKEN_INVALID');
  });

  it('revoking the refresh token also ends the access tokens of its grant', async () => {
    const { consent, accessToken, refreshToken } = await aliceTokens();
    await revoke('alice', ALICE.organizationIdentifier, refreshToken).expect(200);
    await readAccounts(t.app, 'alice', accessToken, consent.consentId).expect(401);
  });

  it("Carol revoking Alice's token → 200 and nothing happens", async () => {
    const { consent, accessToken } = await aliceTokens();
    await revoke('carol', CAROL.organizationIdentifier, accessToken).expect(200);
    await readAccounts(t.app, 'alice', accessToken, consent.consentId).expect(200);
  });

  it('an unknown token → 200', async () => {
    await revoke('alice', ALICE.organizationIdentifier, 'never-issued').expect(200);
  });

  it('client_id not matching the certificate → 401 invalid_client; no token → 400 invalid_request', async () => {
    const bad = await revoke('carol', ALICE.organizationIdentifier, 'x').expect(401);
    expect(bad.body.error).toBe('invalid_client');
    const missing = await as(t.app, 'alice')
      .post('/oauth2/revoke')
      .type('form')
      .send(`client_id=${ALICE.organizationIdentifier}`)
      .expect(400);
    expect(missing.body.error).toBe('invalid_request');
  });
});
