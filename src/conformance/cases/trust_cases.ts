/**
 * Client-certificate trust (one case per fixture row), forwarded-certificate header spoofing, and PSD2
 * roles. Together they answer "who gets in": only a chain to the anchor with the right role, presented
 * on this very connection.
 */
import { randomUUID } from 'node:crypto';
import { TlsRefusedError } from '../../client/tpp_client';
import { encodePem } from '../../pki/asn1/pem';
import { fail, pass, skip, type ConformanceCase } from '../conformance_case';
import type { ClientCaseRow } from '../client_cases';
import { codeOf, describe, evidenceOf, type SuiteContext } from '../suite_context';
import { aliceTargetConsent } from '../tpp_flows';
import { expectAnswer, judge, tlsRefusalEvidence, type Expectation } from './expectations';

/** Codes that mean "the certificate or role was refused": anything else means the identity got in. */
const TRUST_REFUSALS = /^(CERTIFICATE_|ROLE_INVALID$)/;

function tlsRefusalAllowed(row: ClientCaseRow): boolean {
  return (
    row.handshakeRefusalAllowed ??
    (row.expect.status === 401 && (row.expect.code ?? '').startsWith('CERTIFICATE_'))
  );
}

function clientCertificateCase(row: ClientCaseRow): ConformanceCase {
  const expectText =
    row.expect.status === 200
      ? 'admitted: 200 (or an answer about consents/tokens, never a certificate or role refusal)'
      : `${row.expect.status}${row.expect.code !== null ? ` ${row.expect.code}` : ''}${tlsRefusalAllowed(row) ? ' (or the handshake refused)' : ''}`;
  return {
    id: `CERT-${row.id}`,
    group: 'client-certificate',
    title: row.title,
    clause:
      'RFC 5280 §6.1; ETSI TS 119 495 §5.1-5.2; Berlin Group NextGenPSD2 1.3.x §14.11 (certificate error codes)',
    expected: `${row.presents !== undefined ? `presents ${row.presents}; ` : ''}${expectText}`,
    async run(ctx) {
      const noCertificate =
        row.id === 'no-certificate' ||
        (row.expect.code === 'CERTIFICATE_MISSING' && !ctx.identities.has(row.id));
      if (!noCertificate && !ctx.identities.has(row.id)) {
        return skip(`fixture files for ${row.id} are missing in ${ctx.identities.dir}`);
      }
      const { method, path } = ctx.contract.trustProbe;
      const line = `${method} ${path}`;
      let res;
      try {
        // Security level 0 on our side: hostile identities (SHA-1, RSA-1024) must reach the target so that the
        // target, not our own TLS library, is what refuses them.
        res = await ctx.send(
          noCertificate ? null : row.id,
          { method, path },
          { tls: { ciphers: 'DEFAULT:@SECLEVEL=0' } },
        );
      } catch (error) {
        if (!(error instanceof TlsRefusedError)) throw error;
        const evidence = tlsRefusalEvidence(error, line);
        if (row.expect.status === 200)
          return fail(`a valid TPP was refused at the TLS layer: ${error.message}`, evidence);
        if (tlsRefusalAllowed(row)) return pass(`refused at the TLS layer (${error.stage})`, evidence);
        return fail(
          `dropped at the TLS layer, but the case expects ${expectText} so the TPP can diagnose it`,
          evidence,
        );
      }
      const code = codeOf(res);
      const notes: string[] = [];
      if (row.reasonContains !== undefined) {
        const text = JSON.stringify(res.json ?? res.body);
        if (!text.toLowerCase().includes(row.reasonContains.toLowerCase())) {
          notes.push(`informative: the refusal text does not mention "${row.reasonContains}"`);
        }
      }
      const evidence = evidenceOf(res, notes);
      if (row.expect.status === 200) {
        if (res.status === 200) return pass('admitted: answered 200', evidence);
        if (res.status >= 500 || (code !== null && TRUST_REFUSALS.test(code)) || code === null) {
          return fail(`a valid TPP was refused: answered ${describe(res)}`, evidence);
        }
        evidence.notes = [
          ...(evidence.notes ?? []),
          'the certificate was accepted; the refusal concerns consent or token, not identity',
        ];
        return pass(`admitted past the trust gate: answered ${describe(res)}`, evidence);
      }
      if (res.status === row.expect.status && (row.expect.code === null || code === row.expect.code)) {
        return pass(`refused: answered ${describe(res)}`, evidence);
      }
      if (res.status < 400) {
        return fail(
          `accepted a client certificate that must be refused (${row.title}): answered ${describe(res)}`,
          evidence,
        );
      }
      return fail(`refused, but answered ${describe(res)} instead of ${expectText}`, evidence);
    },
  };
}

export function clientCertificateCases(rows: readonly ClientCaseRow[]): ConformanceCase[] {
  return rows.map(clientCertificateCase);
}

const MISSING: Expectation = { status: 401, codes: ['CERTIFICATE_MISSING'], tlsRefusalAllowed: true };

function aliceLeafB64(der: Buffer): string {
  return der.toString('base64');
}

function headerCase(
  id: string,
  title: string,
  header: (leaf: Buffer) => Record<string, string>,
  sender: 'none' | 'mallory',
): ConformanceCase {
  const expectation: Expectation =
    sender === 'none' ? MISSING : { status: 401, codes: ['CERTIFICATE_INVALID'], tlsRefusalAllowed: true };
  return {
    id,
    group: 'header-spoofing',
    title,
    clause: 'RFC 9440 §4 (header only from a trusted proxy); RFC 8705 §2',
    expected: `Alice's certificate in a header lends nothing: ${sender === 'none' ? '401 CERTIFICATE_MISSING' : "Mallory's own certificate judged: 401 CERTIFICATE_INVALID"} (or the handshake refused)`,
    async run(ctx) {
      const alice = ctx.identities.require(ctx.roles.alice);
      const { method, path } = ctx.contract.trustProbe;
      return expectAnswer(
        ctx,
        sender === 'none' ? null : ctx.roles.mallory,
        { method, path, headers: header(alice.leafDer) },
        expectation,
        "a forwarded-certificate header lent Alice's identity to a connection that did not present her certificate",
      );
    },
  };
}

export function headerSpoofingCases(): ConformanceCase[] {
  const pem = (der: Buffer): string => encodePem(der, 'CERTIFICATE');
  return [
    headerCase(
      'HDR-01',
      'RFC 9440 Client-Cert header without a certificate',
      (d) => ({ 'Client-Cert': `:${aliceLeafB64(d)}:` }),
      'none',
    ),
    headerCase(
      'HDR-02',
      'nginx-style X-SSL-Client-Cert header without a certificate',
      (d) => ({ 'X-SSL-Client-Cert': encodeURIComponent(pem(d)) }),
      'none',
    ),
    headerCase(
      'HDR-03',
      'Envoy X-Forwarded-Client-Cert header without a certificate',
      (d) => ({ 'X-Forwarded-Client-Cert': `Hash=00;Cert="${encodeURIComponent(pem(d))}"` }),
      'none',
    ),
    headerCase(
      'HDR-04',
      "Mallory's certificate plus Alice's certificate in Client-Cert",
      (d) => ({ 'Client-Cert': `:${aliceLeafB64(d)}:` }),
      'mallory',
    ),
    {
      id: 'HDR-05',
      group: 'header-spoofing',
      title: "Carol sending Alice's certificate in Client-Cert cannot read Alice's consent",
      clause: 'RFC 9440 §4; Berlin Group NextGenPSD2 1.3.x (CONSENT_UNKNOWN, 403 when the id is in the path)',
      expected: "403 CONSENT_UNKNOWN: the request is Carol's, whatever the header says",
      async run(ctx) {
        const alice = ctx.identities.require(ctx.roles.alice);
        const { consentId } = await aliceTargetConsent(ctx);
        return expectAnswer(
          ctx,
          ctx.roles.carol,
          {
            path: `${ctx.contract.consentsPath}/${consentId}`,
            headers: { 'Client-Cert': `:${aliceLeafB64(alice.leafDer)}:` },
          },
          { status: 403, codes: ['CONSENT_UNKNOWN'] },
          'a Client-Cert header let Carol act as Alice',
        );
      },
    },
  ];
}

function roleCase(
  id: string,
  title: string,
  request: (ctx: SuiteContext) => { method: string; path: string; json?: unknown },
  expectation: Expectation,
  identity: 'piOnly' | 'alice',
  guarantee: string,
): ConformanceCase {
  return {
    id,
    group: 'roles',
    title,
    clause: 'ETSI TS 119 495 §5.1 (rolesOfPSP); Berlin Group NextGenPSD2 1.3.x (ROLE_INVALID)',
    expected: `${expectation.status}${expectation.codes ? ` ${expectation.codes.join(' or ')}` : ''}`,
    async run(ctx) {
      const who = identity === 'piOnly' ? ctx.roles.piOnly : ctx.roles.alice;
      if (!ctx.identities.has(who)) return skip(`identity ${who} is not available in ${ctx.identities.dir}`);
      const r = request(ctx);
      try {
        const res = await ctx.send(who, {
          method: r.method,
          path: r.path,
          headers: r.method === 'POST' ? { 'TPP-Redirect-URI': ctx.contract.redirectUri } : {},
          ...(r.json !== undefined ? { json: r.json } : {}),
        });
        return judge(res, expectation, guarantee);
      } catch (error) {
        if (error instanceof TlsRefusedError)
          return fail(
            `${guarantee}: dropped at the TLS layer (${error.message})`,
            tlsRefusalEvidence(error, `${r.method} ${r.path}`),
          );
        throw error;
      }
    },
  };
}

export function roleCases(): ConformanceCase[] {
  const roleInvalid: Expectation = { status: 401, codes: ['ROLE_INVALID'] };
  return [
    roleCase(
      'ROLE-01',
      'A PSP_PI-only certificate cannot read accounts',
      (ctx) => ({ method: 'GET', path: ctx.contract.accountsPath }),
      roleInvalid,
      'piOnly',
      'a TPP without PSP_AI reached the account API',
    ),
    roleCase(
      'ROLE-02',
      'A PSP_PI-only certificate cannot create an AIS consent',
      (ctx) => ({
        method: 'POST',
        path: ctx.contract.consentsPath,
        json: ctx.contract.consentBody({ frequencyPerDay: 1 }),
      }),
      roleInvalid,
      'piOnly',
      'a TPP without PSP_AI created an AIS consent',
    ),
    roleCase(
      'ROLE-03',
      'A PSP_PI-only certificate is refused before any consent lookup',
      (ctx) => ({ method: 'GET', path: `${ctx.contract.consentsPath}/${randomUUID()}` }),
      roleInvalid,
      'piOnly',
      'the role check does not come first (consent existence becomes observable)',
    ),
    roleCase(
      'ROLE-04',
      'A PSP_AI certificate may create an AIS consent',
      (ctx) => ({
        method: 'POST',
        path: ctx.contract.consentsPath,
        json: ctx.contract.consentBody({ frequencyPerDay: 1 }),
      }),
      { status: 201 },
      'alice',
      'a TPP with PSP_AI was refused',
    ),
  ];
}
