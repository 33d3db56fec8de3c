/**
 * Token binding and PKCE: RFC 8414 metadata, RFC 7636 verifiers, single-use codes, RFC 8705
 * certificate-bound tokens, consent-bound tokens and RFC 7009 revocation.
 */
import { randomBytes } from 'node:crypto';
import { fail, pass, PrerequisiteFailed, type ConformanceCase } from '../conformance_case';
import { describe, evidenceOf } from '../suite_context';
import { flowsOf } from '../tpp_flows';
import { expectAnswer, judge, type Expectation } from './expectations';

const INVALID_GRANT: Expectation = { status: 400, codes: ['invalid_grant'] };

export function tokenCases(): ConformanceCase[] {
  const g = 'token-binding' as const;
  return [
    {
      id: 'TOK-01',
      group: g,
      title: 'Authorization server metadata advertises certificate-bound tokens and PKCE',
      clause: 'RFC 8414 §2-3; RFC 8705 §3.3; RFC 7636 §4.2',
      expected:
        'issuer, authorization_endpoint, token_endpoint, response_types_supported ∋ code, code_challenge_methods_supported ∋ S256, token_endpoint_auth_methods_supported ∋ tls_client_auth, tls_client_certificate_bound_access_tokens = true',
      async run(ctx) {
        let meta;
        try {
          meta = await flowsOf(ctx).metadata();
        } catch (error) {
          if (error instanceof PrerequisiteFailed) return fail(error.message);
          throw error;
        }
        const d = meta.doc;
        const has = (field: string, value: string): boolean =>
          Array.isArray(d[field]) && (d[field] as unknown[]).includes(value);
        const problems: string[] = [];
        for (const f of ['issuer', 'authorization_endpoint', 'token_endpoint']) {
          if (typeof d[f] !== 'string' || !String(d[f]).startsWith('https://'))
            problems.push(`${f} missing or not https`);
        }
        if (!has('response_types_supported', 'code')) problems.push('response_types_supported lacks code');
        if (!has('code_challenge_methods_supported', 'S256'))
          problems.push('code_challenge_methods_supported lacks S256');
        if (has('code_challenge_methods_supported', 'plain')) problems.push('PKCE method plain is offered');
        if (!has('token_endpoint_auth_methods_supported', 'tls_client_auth'))
          problems.push('token_endpoint_auth_methods_supported lacks tls_client_auth');
        if (d.tls_client_certificate_bound_access_tokens !== true)
          problems.push('tls_client_certificate_bound_access_tokens is not true');
        const evidence = evidenceOf(meta.res, [`fields: ${Object.keys(d).join(', ')}`]);
        return problems.length === 0
          ? pass('all required fields present', evidence)
          : fail(`metadata incomplete: ${problems.join('; ')}`, evidence);
      },
    },
    {
      id: 'TOK-02',
      group: g,
      title: 'No code is issued without a PKCE code_challenge',
      clause: 'RFC 7636 §4.4.1; RFC 9700 §2.1.1',
      expected: 'the authorisation request is refused (error page or redirect with error), never a code',
      async run(ctx) {
        const flows = flowsOf(ctx);
        const { consentId } = await flows.createConsent(ctx.roles.alice);
        const { outcome } = await flows.authorise(ctx.roles.alice, consentId, { withoutPkce: true });
        const notes = outcome.trail;
        if (outcome.kind === 'redirected' && outcome.code !== null)
          return fail('a code was issued for a request without code_challenge', { notes });
        return pass(
          outcome.kind === 'stopped'
            ? `refused: ${outcome.reason}`
            : `redirected with error=${outcome.error ?? 'none'}`,
          { notes },
        );
      },
    },
    {
      id: 'TOK-03',
      group: g,
      title: 'A wrong code_verifier is refused',
      clause: 'RFC 7636 §4.6',
      expected: '400 invalid_grant',
      async run(ctx) {
        const flows = flowsOf(ctx);
        const code = await flows.freshCode(ctx.roles.alice);
        const res = await flows.redeem(ctx.roles.alice, code, {
          verifier: randomBytes(32).toString('base64url'),
        });
        return judge(res, INVALID_GRANT, 'a token was issued without the matching PKCE verifier');
      },
    },
    {
      id: 'TOK-04',
      group: g,
      title: 'An authorization code is single use',
      clause: 'RFC 6749 §4.1.2, §10.5',
      expected: 'first redemption 200, replay 400 invalid_grant',
      async run(ctx) {
        const replay = await replayed(ctx);
        return judge(replay.second, INVALID_GRANT, 'a replayed authorization code was accepted', [
          `first redemption: ${describe(replay.first)}`,
        ]);
      },
    },
    {
      id: 'TOK-05',
      group: g,
      title: 'Replaying a code revokes the token it issued',
      clause: 'RFC 6749 §4.1.2 (SHOULD revoke); RFC 9700 §4.5',
      expected: 'the token from the first redemption is refused with 401 afterwards',
      async run(ctx) {
        const replay = await replayed(ctx);
        const token = (replay.first.json as { access_token?: unknown } | undefined)?.access_token;
        if (typeof token !== 'string')
          throw new PrerequisiteFailed(`first redemption gave no token: ${describe(replay.first)}`);
        const res = await flowsOf(ctx).readAccounts(ctx.roles.alice, replay.consentId, token, {
          'PSU-IP-Address': '192.0.2.10',
        });
        return judge(res, { status: 401 }, 'the token issued from a replayed code still works');
      },
    },
    {
      id: 'TOK-06',
      group: g,
      title: "Carol cannot redeem Alice's code as Alice",
      clause: 'RFC 8705 §2.1 (tls_client_auth: the certificate must match client_id)',
      expected: '400 invalid_grant or 401 invalid_client',
      async run(ctx) {
        const flows = flowsOf(ctx);
        const code = await flows.freshCode(ctx.roles.alice);
        const res = await flows.redeem(ctx.roles.carol, code);
        if (
          (res.status === 400 && describe(res) === '400 invalid_grant') ||
          (res.status === 401 && describe(res) === '401 invalid_client') ||
          describe(res) === '400 invalid_client'
        ) {
          return pass(`answered ${describe(res)}`, evidenceOf(res));
        }
        return fail(
          `Carol's certificate redeemed a code issued to Alice: answered ${describe(res)}`,
          evidenceOf(res),
        );
      },
    },
    {
      id: 'TOK-07',
      group: g,
      title: "Carol cannot redeem Alice's code under her own client_id",
      clause: 'RFC 6749 §4.1.3 (code bound to the client)',
      expected: '400 invalid_grant',
      async run(ctx) {
        const flows = flowsOf(ctx);
        const code = await flows.freshCode(ctx.roles.alice);
        const res = await flows.redeem(ctx.roles.carol, code, { clientId: flows.clientId(ctx.roles.carol) });
        return judge(res, INVALID_GRANT, 'Carol redeemed a code issued to Alice');
      },
    },
    {
      id: 'TOK-08',
      group: g,
      title: "Alice's token is refused on Carol's connection",
      clause: 'RFC 8705 §3 (certificate-bound access tokens); Berlin Group TOKEN_INVALID',
      expected: '401 TOKEN_INVALID',
      async run(ctx) {
        const c = await flowsOf(ctx).shared(ctx.roles.alice, 'binding');
        const res = await flowsOf(ctx).readAccounts(ctx.roles.carol, c.consentId, c.accessToken, {
          'PSU-IP-Address': '192.0.2.10',
        });
        return judge(
          res,
          { status: 401, codes: ['TOKEN_INVALID'] },
          "a token bound to Alice's certificate was accepted from Carol",
        );
      },
    },
    {
      id: 'TOK-09',
      group: g,
      title: "Alice's token is refused on a connection without a certificate",
      clause: 'RFC 8705 §3',
      expected: '401 CERTIFICATE_MISSING (or the handshake refused)',
      async run(ctx) {
        const c = await flowsOf(ctx).shared(ctx.roles.alice, 'binding');
        return expectAnswer(
          ctx,
          null,
          {
            path: ctx.contract.accountsPath,
            headers: { 'Consent-ID': c.consentId, Authorization: `Bearer ${c.accessToken}` },
          },
          { status: 401, codes: ['CERTIFICATE_MISSING'], tlsRefusalAllowed: true },
          'a bearer token worked without the certificate it is bound to',
        );
      },
    },
    {
      id: 'TOK-10',
      group: g,
      title: "A token for consent A is refused with consent B's Consent-ID",
      clause: 'Berlin Group NextGenPSD2 1.3.x OAuth SCA (token scoped to one consent); TOKEN_INVALID',
      expected: '401 TOKEN_INVALID',
      async run(ctx) {
        const flows = flowsOf(ctx);
        const a = await flows.shared(ctx.roles.alice, 'binding');
        const b = await flows.shared(ctx.roles.alice, 'second');
        const res = await flows.readAccounts(ctx.roles.alice, b.consentId, a.accessToken, {
          'PSU-IP-Address': '192.0.2.10',
        });
        return judge(
          res,
          { status: 401, codes: ['TOKEN_INVALID'] },
          'a token opened a consent it was not issued for',
        );
      },
    },
    {
      id: 'TOK-11',
      group: g,
      title: 'A revoked token is refused',
      clause: 'RFC 7009 §2.1-2.2; Berlin Group TOKEN_INVALID',
      expected: 'revocation 200, then 401 TOKEN_INVALID or TOKEN_UNKNOWN',
      async run(ctx) {
        const flows = flowsOf(ctx);
        const c = await flows.authorisedConsent(ctx.roles.alice);
        const revoke = await flows.revoke(ctx.roles.alice, c.accessToken);
        if (revoke.status !== 200) return fail(`revocation answered ${describe(revoke)}`, evidenceOf(revoke));
        const res = await flows.readAccounts(ctx.roles.alice, c.consentId, c.accessToken, {
          'PSU-IP-Address': '192.0.2.10',
        });
        return judge(
          res,
          { status: 401, codes: ['TOKEN_INVALID', 'TOKEN_UNKNOWN'] },
          'a revoked token still works',
          [`revocation: ${describe(revoke)}`],
        );
      },
    },
    {
      id: 'TOK-12',
      group: g,
      title: 'An unknown bearer token is refused',
      clause: 'RFC 6750 §3.1; Berlin Group TOKEN_UNKNOWN',
      expected: '401 TOKEN_UNKNOWN or TOKEN_INVALID',
      async run(ctx) {
        const c = await flowsOf(ctx).shared(ctx.roles.alice, 'binding');
        const res = await flowsOf(ctx).readAccounts(
          ctx.roles.alice,
          c.consentId,
          randomBytes(24).toString('base64url'),
          { 'PSU-IP-Address': '192.0.2.10' },
        );
        return judge(
          res,
          { status: 401, codes: ['TOKEN_UNKNOWN', 'TOKEN_INVALID'] },
          'a made-up bearer token was accepted',
        );
      },
    },
    {
      id: 'TOK-13',
      group: g,
      title: 'redirect_uri must match at the token endpoint',
      clause: 'RFC 6749 §4.1.3',
      expected: '400 invalid_grant',
      async run(ctx) {
        const flows = flowsOf(ctx);
        const code = await flows.freshCode(ctx.roles.alice);
        const res = await flows.redeem(ctx.roles.alice, code, {
          redirectUri: 'https://mallory.example/callback',
        });
        return judge(res, INVALID_GRANT, 'a code was redeemed with another redirect_uri');
      },
    },
    {
      id: 'TOK-14',
      group: g,
      title: 'Token responses are not cacheable',
      clause: 'RFC 6749 §5.1 (Cache-Control: no-store)',
      expected: 'Cache-Control contains no-store',
      async run(ctx) {
        const c = await flowsOf(ctx).shared(ctx.roles.alice, 'binding');
        const cc = String(c.tokenResponse.headers['cache-control'] ?? '');
        const ev = evidenceOf(c.tokenResponse, [`Cache-Control: ${cc || 'absent'}`]);
        return /no-store/i.test(cc)
          ? pass(`Cache-Control: ${cc}`, ev)
          : fail('the token response may be cached (no Cache-Control: no-store)', ev);
      },
    },
    {
      id: 'TOK-15',
      group: g,
      title: 'The token endpoint refuses a client without a certificate in OAuth form',
      clause: 'RFC 8705 §2 (tls_client_auth); RFC 6749 §5.2 (401 invalid_client)',
      expected: '401 invalid_client (or the handshake refused)',
      async run(ctx) {
        return expectAnswer(
          ctx,
          null,
          {
            method: 'POST',
            path: ctx.contract.tokenPath,
            form: {
              grant_type: 'authorization_code',
              code: 'not-a-code',
              redirect_uri: ctx.contract.redirectUri,
              code_verifier: randomBytes(32).toString('base64url'),
              client_id: flowsOf(ctx).clientId(ctx.roles.alice),
            },
          },
          { status: 401, codes: ['invalid_client'], tlsRefusalAllowed: true },
          'a token request without a client certificate was not refused with invalid_client',
        );
      },
    },
  ];
}

async function replayed(ctx: Parameters<ConformanceCase['run']>[0]) {
  return ctx.memo('token:replay', async () => {
    const flows = flowsOf(ctx);
    const code = await flows.freshCode(ctx.roles.alice);
    const first = await flows.redeem(ctx.roles.alice, code);
    if (first.status !== 200) throw new PrerequisiteFailed(`the first redemption failed: ${describe(first)}`);
    const second = await flows.redeem(ctx.roles.alice, code);
    return { consentId: code.consentId, first, second };
  });
}
