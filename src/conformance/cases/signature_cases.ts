/**
 * Request signatures (Berlin Group NextGenPSD2 1.3 "Signing messages at application layer",
 * draft-cavage-http-signatures-10): run when the target is declared to require them (`--signatures`). Each case
 * signs a consent request with a seal identity (`alice-seal`, `carol-seal`, …), changes one thing, and expects
 * the refusal that one thing deserves.
 */
import { randomUUID } from 'node:crypto';
import type { TppResponse } from '../../client/tpp_client';
import { signatureHeaders } from '../../signature/sign_request';
import { skip, type CaseOutcome, type ConformanceCase } from '../conformance_case';
import type { SuiteContext } from '../suite_context';
import { judge, type Expectation } from './expectations';

const BG = 'Berlin Group NextGenPSD2 1.3.x, Signing messages at application layer';
const CAVAGE = 'draft-cavage-http-signatures-10';

interface SignedRequest {
  headers: Record<string, string>;
  body: Buffer;
}

interface Attempt {
  /** The seal identity that signs; Alice's connection carries the request. */
  seal: string;
  algorithm?: string;
  /** Changes made after signing. */
  tamper?: (request: SignedRequest) => void;
}

async function signedConsentRequest(ctx: SuiteContext, attempt: Attempt): Promise<TppResponse> {
  const seal = ctx.identities.require(attempt.seal);
  const body = Buffer.from(JSON.stringify(ctx.contract.consentBody({ frequencyPerDay: 1 })));
  const headers: Record<string, string> = {
    'X-Request-ID': randomUUID(),
    'Content-Type': 'application/json',
    'TPP-Redirect-URI': ctx.contract.redirectUri,
  };
  Object.assign(
    headers,
    signatureHeaders({
      headers,
      body,
      seal: { certificate: seal.leafDer, privateKey: seal.keyPem },
      ...(attempt.algorithm !== undefined ? { algorithm: attempt.algorithm } : {}),
    }),
  );
  const request: SignedRequest = { headers, body };
  attempt.tamper?.(request);
  return ctx.send(
    ctx.roles.alice,
    { method: 'POST', path: ctx.contract.consentsPath, headers: request.headers, body: request.body },
    { unsigned: true },
  );
}

const NOT_REQUIRED =
  'the target is not declared to require request signatures (run with --signatures against a gateway that does)';

function replaceParameter(name: string, value: string): (r: SignedRequest) => void {
  return (r) => {
    r.headers.Signature = (r.headers.Signature ?? '').replace(
      new RegExp(`${name}="[^"]*"`),
      `${name}="${value}"`,
    );
  };
}

const invalid: Expectation = { status: 401, codes: ['SIGNATURE_INVALID'] };

interface Row {
  id: string;
  title: string;
  clause: string;
  expect: Expectation;
  guarantee: string;
  run: (ctx: SuiteContext) => Promise<TppResponse>;
}

const rows: Row[] = [
  {
    id: 'SIG-01',
    title: "A request signed with the TPP's own QSealC is served",
    clause: `${BG}; ${CAVAGE} §2.3`,
    expect: { status: 201 },
    guarantee: 'a correctly signed request was refused',
    run: (ctx) => signedConsentRequest(ctx, { seal: 'alice-seal' }),
  },
  {
    id: 'SIG-02',
    title: 'An unsigned request is refused',
    clause: `${BG}; SIGNATURE_MISSING`,
    expect: { status: 401, codes: ['SIGNATURE_MISSING'] },
    guarantee: 'an unsigned request was served',
    run: (ctx) =>
      ctx.send(
        ctx.roles.alice,
        {
          method: 'POST',
          path: ctx.contract.consentsPath,
          headers: { 'TPP-Redirect-URI': ctx.contract.redirectUri },
          json: ctx.contract.consentBody({ frequencyPerDay: 1 }),
        },
        { unsigned: true },
      ),
  },
  {
    id: 'SIG-03',
    title: 'A body changed after signing is refused',
    clause: `${BG} (Digest over the body, RFC 3230)`,
    expect: invalid,
    guarantee: 'a request whose body does not match its Digest was served',
    run: (ctx) =>
      signedConsentRequest(ctx, {
        seal: 'alice-seal',
        tamper: (r) => {
          r.body = Buffer.from(r.body.toString('utf8').replace('"frequencyPerDay":1', '"frequencyPerDay":2'));
        },
      }),
  },
  {
    id: 'SIG-04',
    title: 'A signed header changed after signing is refused',
    clause: `${CAVAGE} §2.3 (signing string)`,
    expect: invalid,
    guarantee: 'a request whose signed X-Request-ID was changed was served',
    run: (ctx) =>
      signedConsentRequest(ctx, {
        seal: 'alice-seal',
        tamper: (r) => {
          r.headers['X-Request-ID'] = randomUUID();
        },
      }),
  },
  {
    id: 'SIG-05',
    title: 'A sent TPP-Redirect-URI missing from the signed headers is refused',
    clause: `${BG} (headers: tpp-redirect-uri when sent)`,
    expect: invalid,
    guarantee: 'a signature that does not cover TPP-Redirect-URI was accepted',
    run: (ctx) =>
      signedConsentRequest(ctx, {
        seal: 'alice-seal',
        tamper: (r) => {
          // The signature is made over the header; dropping it from the list leaves it unprotected.
          replaceParameter('headers', 'digest x-request-id')(r);
        },
      }),
  },
  {
    id: 'SIG-06',
    title: 'A keyId that does not name the seal certificate is refused',
    clause: `${BG} (keyId SN=…,CA=…)`,
    expect: invalid,
    guarantee: 'a keyId naming another certificate was accepted',
    run: (ctx) =>
      signedConsentRequest(ctx, {
        seal: 'alice-seal',
        tamper: (r) => {
          r.headers.Signature = (r.headers.Signature ?? '').replace(/SN=[0-9A-Fa-f]+/, 'SN=1');
        },
      }),
  },
  {
    id: 'SIG-07',
    title: "An algorithm that does not fit the seal's key is refused",
    clause: `${BG} (algorithm matches the certificate's key)`,
    expect: invalid,
    guarantee: 'an RSA algorithm name was accepted for an EC seal',
    run: (ctx) =>
      signedConsentRequest(ctx, { seal: 'alice-seal', tamper: replaceParameter('algorithm', 'rsa-sha256') }),
  },
  {
    id: 'SIG-08',
    title: "Another organisation's seal is refused",
    clause: `${BG}; ETSI TS 119 495 (organizationIdentifier)`,
    expect: { status: 401, codes: ['CERTIFICATE_INVALID'] },
    guarantee: "Alice's request signed with Carol's seal was served",
    run: (ctx) => signedConsentRequest(ctx, { seal: 'carol-seal' }),
  },
  {
    id: 'SIG-09',
    title: 'A QWAC used as a seal is refused',
    clause: 'ETSI EN 319 412-5 (QcType eseal)',
    expect: { status: 401, codes: ['CERTIFICATE_INVALID'] },
    guarantee: 'a website certificate (QcType web) was accepted as a seal',
    run: (ctx) => signedConsentRequest(ctx, { seal: ctx.roles.alice }),
  },
  {
    id: 'SIG-10',
    title: "A seal from Mallory's CA with Alice's names is refused",
    clause: 'RFC 5280 §6 (path validation to the trust anchor)',
    expect: { status: 401, codes: ['CERTIFICATE_INVALID'] },
    guarantee: 'a seal that does not chain to the trust anchor was accepted',
    run: (ctx) => signedConsentRequest(ctx, { seal: 'mallory-seal' }),
  },
  {
    id: 'SIG-11',
    title: 'An expired seal is refused',
    clause: 'RFC 5280 §4.1.2.5; CERTIFICATE_EXPIRED',
    expect: { status: 401, codes: ['CERTIFICATE_EXPIRED'] },
    guarantee: 'an expired seal was accepted',
    run: (ctx) => signedConsentRequest(ctx, { seal: 'expired-seal' }),
  },
  {
    id: 'SIG-12',
    title: 'A revoked seal is refused',
    clause: 'RFC 5280 §6.3 (CRL); CERTIFICATE_REVOKED',
    expect: { status: 401, codes: ['CERTIFICATE_REVOKED'] },
    guarantee: 'a revoked seal was accepted',
    run: (ctx) => signedConsentRequest(ctx, { seal: 'revoked-seal' }),
  },
  {
    id: 'SIG-13',
    title: 'A seal whose roles do not cover the endpoint is refused',
    clause: 'ETSI TS 119 495 §5.1 (rolesOfPSP); ROLE_INVALID',
    expect: { status: 401, codes: ['ROLE_INVALID'] },
    guarantee: 'a seal without PSP_AI signed an account-information request that was served',
    run: (ctx) => signedConsentRequest(ctx, { seal: 'alice-seal-pi-only' }),
  },
  {
    id: 'SIG-14',
    title: 'The signature is checked before any consent lookup',
    clause: `${BG}; SIGNATURE_MISSING before CONSENT_UNKNOWN`,
    expect: { status: 401, codes: ['SIGNATURE_MISSING'] },
    guarantee: 'an unsigned request reached the consent lookup',
    run: (ctx) =>
      ctx.send(ctx.roles.alice, { path: `${ctx.contract.consentsPath}/${randomUUID()}` }, { unsigned: true }),
  },
];

export function signatureCases(): ConformanceCase[] {
  return rows.map((row) => ({
    id: row.id,
    group: 'signatures' as const,
    title: row.title,
    clause: row.clause,
    expected:
      row.expect.codes === undefined
        ? `${row.expect.status}`
        : `${row.expect.status} ${row.expect.codes.join(' or ')}`,
    async run(ctx: SuiteContext): Promise<CaseOutcome> {
      if (!ctx.signatures) return skip(NOT_REQUIRED);
      return judge(await row.run(ctx), row.expect, row.guarantee);
    },
  }));
}
