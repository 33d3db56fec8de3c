/**
 * TLS group: protocol versions and suites offered, the server's chain and identity, the CertificateRequest,
 * and session resumption. Version and suite probes present Alice's certificate so that a gateway that
 * refuses anonymous handshakes still shows its protocol policy.
 */
import http from 'node:http';
import { connect, isIP } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import tls from 'node:tls';
import { acceptableCaNames, subjectRfc2253 } from '../../client/acceptable_ca_names';
import { checkServerIdentity, presentedIdentifiers } from '../../client/check_server_identity';
import { TlsRefusedError, type ConnectionFacts, type TlsTuning } from '../../client/tpp_client';
import { OID, ParsedCertificate } from '../../pki/certificate/parsed_certificate';
import { attributeValues, formatName } from '../../pki/certificate/x500_name';
import {
  fail,
  pass,
  skip,
  type CaseOutcome,
  type ConformanceCase,
  type TlsEvidence,
} from '../conformance_case';
import { describe, evidenceOf, type SuiteContext } from '../suite_context';
import { verifyChainToAnchor } from '../verify_chain_to_anchor';

/** Errors raised by our own OpenSSL when it cannot even offer what was asked. */
const CLIENT_CANNOT_OFFER =
  /NO_PROTOCOLS_AVAILABLE|NO_CIPHERS_AVAILABLE|NO_CIPHER_MATCH|no cipher match|unsupported protocol/i;

type Probe = { ok: true; facts: ConnectionFacts } | { ok: false; error: Error };

async function probe(ctx: SuiteContext, tls: TlsTuning): Promise<Probe> {
  try {
    const facts = await ctx.client(ctx.roles.alice, { tls, verifyServer: false }).handshake();
    ctx.firstConnection ??= facts;
    return { ok: true, facts };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error : new Error(String(error)) };
  }
}

function tlsEvidence(p: Probe, offered: string): TlsEvidence {
  return p.ok
    ? { handshake: 'completed', protocol: p.facts.protocol, cipher: p.facts.cipher, offered }
    : { handshake: 'refused', offered, error: p.error.message };
}

function cannotOffer(p: Probe): boolean {
  if (p.ok) return false;
  const code = (p.error as { code?: unknown }).code;
  // A refusal by the server arrives as an alert; these come from our own side before sending anything.
  return (
    CLIENT_CANNOT_OFFER.test(`${typeof code === 'string' ? code : ''} ${p.error.message}`) &&
    !/alert/i.test(p.error.message)
  );
}

function accepted(
  id: string,
  title: string,
  clause: string,
  tls: TlsTuning,
  offered: string,
  check?: (f: ConnectionFacts) => string | undefined,
): ConformanceCase {
  return {
    id,
    group: 'tls',
    title,
    clause,
    expected: `handshake completes${check ? ' with an ECDHE key exchange and AES-GCM' : ''}`,
    async run(ctx) {
      const p = await probe(ctx, tls);
      if (cannotOffer(p))
        return skip(`this client cannot offer ${offered}`, { tls: tlsEvidence(p, offered) });
      if (!p.ok)
        return fail(`the server refused ${offered}: ${p.error.message}`, { tls: tlsEvidence(p, offered) });
      const problem = check?.(p.facts);
      if (problem !== undefined) return fail(problem, { tls: tlsEvidence(p, offered) });
      return pass(`negotiated ${p.facts.protocol} ${p.facts.cipher}`, { tls: tlsEvidence(p, offered) });
    },
  };
}

function refused(
  id: string,
  title: string,
  clause: string,
  tls: TlsTuning,
  offered: string,
  guarantee: string,
): ConformanceCase {
  return {
    id,
    group: 'tls',
    title,
    clause,
    expected: 'the server refuses the handshake',
    async run(ctx) {
      const p = await probe(ctx, tls);
      if (cannotOffer(p))
        return skip(`this client cannot offer ${offered}`, { tls: tlsEvidence(p, offered) });
      if (p.ok)
        return fail(`${guarantee}: negotiated ${p.facts.protocol} ${p.facts.cipher}`, {
          tls: tlsEvidence(p, offered),
        });
      return pass(`refused: ${p.error.message}`, { tls: tlsEvidence(p, offered) });
    },
  };
}

const TLS12_AEAD =
  'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384';
const TLS12_CBC =
  'ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES256-SHA384:ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:AES128-SHA256:AES128-SHA:@SECLEVEL=0';
const TLS12_STATIC_RSA = 'AES128-GCM-SHA256:AES256-GCM-SHA384';
const LEGACY = 'DEFAULT:@SECLEVEL=0';

/** A bare SSL 3.0 ClientHello offering only SSL-era suites; an up-to-date server answers with an alert or closes. */
function sslv3ClientHello(): Buffer {
  const suites = [0x002f, 0x0035, 0x000a, 0x0005];
  const body = Buffer.concat([
    Buffer.from([0x03, 0x00]),
    randomBytes(32),
    Buffer.from([0x00]),
    Buffer.from([0x00, suites.length * 2]),
    Buffer.from(suites.flatMap((s) => [s >> 8, s & 0xff])),
    Buffer.from([0x01, 0x00]),
  ]);
  const handshake = Buffer.concat([Buffer.from([0x01, 0x00, body.length >> 8, body.length & 0xff]), body]);
  return Buffer.concat([
    Buffer.from([0x16, 0x03, 0x00, handshake.length >> 8, handshake.length & 0xff]),
    handshake,
  ]);
}

function sslv3Answer(ctx: SuiteContext): Promise<Buffer | Error> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect({
      host: ctx.target.hostname.replace(/^\[|\]$/g, ''),
      port: Number(ctx.target.port || 443),
    });
    const done = (value: Buffer | Error): void => {
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(5000, () => done(Buffer.concat(chunks)));
    socket.on('connect', () => socket.write(sslv3ClientHello()));
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      if (Buffer.concat(chunks).length >= 11) done(Buffer.concat(chunks));
    });
    socket.on('end', () => done(Buffer.concat(chunks)));
    socket.on('error', (e) => done(chunks.length > 0 ? Buffer.concat(chunks) : e));
  });
}

async function serverChain(ctx: SuiteContext): Promise<ConnectionFacts> {
  return ctx.memo('tls:server-chain', async () => {
    const facts = await ctx.client(ctx.roles.alice, { verifyServer: false }).handshake();
    ctx.firstConnection ??= facts;
    return facts;
  });
}

async function resumption(ctx: SuiteContext, version: 'TLSv1.3' | 'TLSv1.2'): Promise<CaseOutcome> {
  const { trustProbe } = ctx.contract;
  const tls: TlsTuning = { minVersion: version, maxVersion: version };
  let first;
  try {
    first = await ctx.send(ctx.roles.alice, { method: trustProbe.method, path: trustProbe.path }, { tls });
  } catch (error) {
    if (error instanceof TlsRefusedError)
      return skip(`no ${version} connection with Alice's certificate: ${error.message}`);
    throw error;
  }
  const notes = [
    `first connection: ${version}, ${first.connection.session ? 'server offered a session for resumption' : 'no session offered'}, ticket ${first.connection.ticketIssued ? 'issued' : 'not issued'}`,
  ];
  const session = first.connection.session;
  if (session === undefined) {
    return pass(
      'no resumable session was offered: every connection needs a full handshake with a certificate',
      {
        ...evidenceOf(first, notes),
      },
    );
  }
  let second;
  try {
    second = await ctx.send(
      null,
      { method: trustProbe.method, path: trustProbe.path },
      { tls: { ...tls, session } },
    );
  } catch (error) {
    if (error instanceof TlsRefusedError) {
      return pass('the resumption attempt without a certificate was refused at the TLS layer', {
        request: `${trustProbe.method} ${trustProbe.path}`,
        tls: { handshake: 'refused', error: error.message },
        notes,
      });
    }
    throw error;
  }
  const reused = second.connection.sessionReused;
  notes.push(
    `second connection without a certificate: session ${reused ? 'RESUMED' : 'not resumed (full handshake)'}`,
  );
  const evidence = evidenceOf(second, notes);
  if (second.status === 401 && describe(second) === '401 CERTIFICATE_MISSING') {
    return pass(
      `${reused ? 'session resumed but' : 'full handshake;'} the request without a certificate was refused 401 CERTIFICATE_MISSING`,
      evidence,
    );
  }
  if (reused && second.status < 400) {
    return fail(
      `session resumption lent Alice's identity to a connection without a certificate: answered ${describe(second)}`,
      evidence,
    );
  }
  return fail(
    `a request without a client certificate was answered ${describe(second)} instead of 401 CERTIFICATE_MISSING`,
    evidence,
  );
}

/** When the request leaves, relative to the client's last handshake flight. */
type RequestTiming = 'with-finished' | 'after-handshake';

interface EarlyAnswer {
  status: number;
  code: string | null;
  requestIdEchoed: boolean;
}

/**
 * One request on a fresh connection, written either before the handshake has finished (it leaves in the
 * same flight as the client's Finished) or in its own write right after it, as curl and `openssl
 * s_client` send it. A server that reads an error left over from the handshake as a broken request
 * answers these differently from a request that arrives later.
 */
function earlyRequest(
  ctx: SuiteContext,
  identity: string,
  timing: RequestTiming,
): Promise<EarlyAnswer | Error> {
  const id = ctx.identities.require(identity);
  const { method, path } = ctx.contract.trustProbe;
  const requestId = randomUUID();
  return new Promise((resolve) => {
    const req = http.request(
      {
        method,
        path,
        headers: { Host: ctx.target.host, 'X-Request-ID': requestId, Connection: 'close' },
        timeout: ctx.timeoutMs,
        createConnection: () => {
          const socket = tls.connect({
            host: ctx.target.hostname.replace(/^\[|\]$/g, ''),
            port: Number(ctx.target.port || 443),
            ...(isIP(ctx.serverName) === 0 ? { servername: ctx.serverName } : {}),
            ca: [ctx.anchorPem],
            cert: id.chainPem,
            key: id.keyPem,
            // Only a probe with a test identity goes out; the server is checked like everywhere else.
            checkServerIdentity: (_name, peer) => checkServerIdentity(ctx.serverName, peer.raw),
            ciphers: 'DEFAULT:@SECLEVEL=0',
          });
          if (timing === 'after-handshake') socket.cork();
          return socket;
        },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => {
          let code: string | null = null;
          try {
            const json = JSON.parse(body) as { tppMessages?: Array<{ code?: unknown }> };
            const first = json.tppMessages?.[0]?.code;
            code = typeof first === 'string' ? first : null;
          } catch {
            code = null;
          }
          resolve({
            status: res.statusCode ?? 0,
            code,
            requestIdEchoed: res.headers['x-request-id'] === requestId,
          });
        });
      },
    );
    if (timing === 'after-handshake') {
      // Held back until the handshake is done, then sent in a write of its own (the next turn of the
      // event loop, after the Finished has gone out).
      req.once('socket', (s) => s.once('secureConnect', () => setImmediate(() => s.uncork())));
    }
    req.on('timeout', () => req.destroy(new Error('no answer within the timeout')));
    req.on('error', (error) => resolve(error));
    req.end();
  });
}

const ATTEMPTS = 3;

async function requestInHandshakeFlight(ctx: SuiteContext): Promise<CaseOutcome> {
  const { trustProbe } = ctx.contract;
  const identities = [ctx.roles.mallory, 'mallory-leaf-with-trent-intermediate', ctx.roles.alice].filter(
    (id, i, all) => ctx.identities.has(id) && all.indexOf(id) === i,
  );
  if (identities.length === 0) return skip('no identities to present');
  const notes: string[] = [];
  const problems: string[] = [];
  for (const identity of identities) {
    let reference;
    try {
      reference = await ctx.send(
        identity,
        { method: trustProbe.method, path: trustProbe.path },
        // Unsigned like the raw requests it is compared with, also when the run signs requests.
        { tls: { ciphers: 'DEFAULT:@SECLEVEL=0' }, unsigned: true },
      );
    } catch (error) {
      if (error instanceof TlsRefusedError) {
        notes.push(`${identity}: handshake refused (${error.message}); nothing to compare`);
        continue;
      }
      throw error;
    }
    const expected = describe(reference);
    notes.push(`${identity}: a request sent after the handshake is answered ${expected}`);
    for (const timing of ['with-finished', 'after-handshake'] as const) {
      for (let i = 0; i < ATTEMPTS; i++) {
        const answer = await earlyRequest(ctx, identity, timing);
        if (answer instanceof Error) {
          problems.push(`${identity} (${timing}): no answer: ${answer.message}`);
          continue;
        }
        const got = answer.code === null ? `${answer.status}` : `${answer.status} ${answer.code}`;
        if (got !== expected)
          problems.push(`${identity} (${timing}): answered ${got} instead of ${expected}`);
        else if (!answer.requestIdEchoed && reference.headers['x-request-id'] !== undefined)
          problems.push(`${identity} (${timing}): answered ${got} without echoing X-Request-ID`);
      }
    }
  }
  if (problems.length > 0) return fail(problems[0] ?? 'answers differ', { notes: [...problems, ...notes] });
  return pass(
    `${identities.length} identities x ${ATTEMPTS} connections x 2 timings: each answered as the same request sent later`,
    { notes },
  );
}

export function tlsCases(): ConformanceCase[] {
  return [
    accepted(
      'TLS-01',
      'TLS 1.3 is accepted',
      'RFC 8446 §4.2.1; RFC 9325 §3.1.1',
      { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' },
      'TLS 1.3',
    ),
    accepted(
      'TLS-02',
      'TLS 1.2 is accepted with ECDHE and AES-GCM',
      'RFC 9325 §4.2; RFC 5289',
      { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', ciphers: TLS12_AEAD },
      'TLS 1.2 ECDHE+AES-GCM suites',
    ),
    accepted(
      'TLS-03',
      'TLS 1.2 with every suite offered negotiates ECDHE and AES-GCM',
      'RFC 9325 §4.2',
      { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', ciphers: 'ALL:@SECLEVEL=0' },
      'TLS 1.2 with all suites',
      (f) =>
        f.cipher !== null && /ECDHE_.*_WITH_AES_\d+_GCM_/.test(f.cipher)
          ? undefined
          : `the server chose ${f.cipher ?? 'no cipher'}, not an ECDHE+AES-GCM suite`,
    ),
    refused(
      'TLS-04',
      'TLS 1.1 is refused',
      'RFC 8996 §5',
      { minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: LEGACY },
      'TLS 1.1',
      'TLS 1.1 (deprecated) was accepted',
    ),
    refused(
      'TLS-05',
      'TLS 1.0 is refused',
      'RFC 8996 §4',
      { minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: LEGACY },
      'TLS 1.0',
      'TLS 1.0 (deprecated) was accepted',
    ),
    refused(
      'TLS-06',
      'TLS 1.2 CBC suites are refused',
      'RFC 9325 §4.2; RFC 7366',
      { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', ciphers: TLS12_CBC },
      'TLS 1.2 CBC-only suites',
      'a CBC cipher suite was accepted',
    ),
    refused(
      'TLS-07',
      'TLS 1.2 static RSA key exchange is refused',
      'RFC 9325 §4.1 (forward secrecy)',
      { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', ciphers: TLS12_STATIC_RSA },
      'TLS 1.2 RSA key-transport suites',
      'a suite without forward secrecy was accepted',
    ),
    {
      id: 'TLS-08',
      group: 'tls',
      title: 'An SSL 3.0 ClientHello is refused',
      clause: 'RFC 7568 §3',
      expected: 'an alert or a closed connection, never an SSL 3.0 ServerHello',
      async run(ctx) {
        const answer = await sslv3Answer(ctx);
        const offered = 'SSL 3.0 ClientHello';
        if (answer instanceof Error)
          return pass(`connection closed: ${answer.message}`, {
            tls: { handshake: 'refused', offered, error: answer.message },
          });
        if (answer.length === 0)
          return pass('connection closed without an answer', { tls: { handshake: 'refused', offered } });
        const hex = answer.subarray(0, 11).toString('hex');
        if (answer[0] === 0x16 && answer[5] === 0x02 && answer[9] === 0x03 && answer[10] === 0x00) {
          return fail('the server answered an SSL 3.0 ServerHello', {
            tls: { handshake: 'completed', protocol: 'SSLv3', offered },
            notes: [`first bytes ${hex}`],
          });
        }
        const what = answer[0] === 0x15 ? 'an alert' : `a non-SSL 3.0 answer`;
        return pass(`refused with ${what}`, {
          tls: { handshake: 'refused', offered },
          notes: [`first bytes ${hex}`],
        });
      },
    },
    {
      id: 'TLS-09',
      group: 'tls',
      title: "The server's chain verifies to the trust anchor",
      clause: 'RFC 5280 §6.1',
      expected:
        'every link verifies by signature and every certificate is in its validity period, ending at the anchor',
      async run(ctx) {
        const facts = await serverChain(ctx);
        const check = verifyChainToAnchor(facts.serverChain, ctx.anchorDer);
        const tls: TlsEvidence = { handshake: 'completed', protocol: facts.protocol, cipher: facts.cipher };
        if (!check.ok)
          return fail(`the server's chain does not verify to the anchor: ${check.reason}`, { tls });
        return pass(`chain: ${check.path.join(' <- ')}`, { tls });
      },
    },
    {
      id: 'TLS-10',
      group: 'tls',
      title: 'The server certificate is for TLS server authentication',
      clause: 'RFC 5280 §4.2.1.12; ETSI TS 119 495 §5.1',
      expected: 'extendedKeyUsage contains id-kp-serverAuth and the leaf is not a CA',
      async run(ctx) {
        const leafDer = (await serverChain(ctx)).serverChain[0];
        if (leafDer === undefined) return fail('the server sent no certificate');
        const leaf = ParsedCertificate.parse(leafDer);
        const usages = leaf.extKeyUsage ?? [];
        const subject = `subject ${formatName(leaf.subject)}`;
        if (leaf.isCa) return fail('the server certificate is a CA certificate', { notes: [subject] });
        if (!usages.includes(OID.serverAuth)) {
          return fail(`the server certificate lacks serverAuth (EKU: ${usages.join(', ') || 'none'})`, {
            notes: [subject],
          });
        }
        return pass(`EKU: ${usages.join(', ')}`, { notes: [subject] });
      },
    },
    {
      id: 'TLS-11',
      group: 'tls',
      title: 'The server certificate names the server in subjectAltName',
      clause: 'RFC 6125 §6.4 (DNS-ID), §6.4.1 (case-insensitive), §6.4.3 (wildcards)',
      expected: 'a SAN dNSName (or iPAddress for an IP target) matches the server name',
      async run(ctx) {
        const leafDer = (await serverChain(ctx)).serverChain[0];
        if (leafDer === undefined) return fail('the server sent no certificate');
        const ids = presentedIdentifiers(leafDer);
        const notes = [
          `server name checked: ${ctx.serverName}`,
          `SAN: ${[...ids.dnsNames.map((d) => `DNS:${d}`), ...ids.ipAddresses.map((i) => `IP:${i}`)].join(', ') || 'none'}`,
        ];
        const error = checkServerIdentity(ctx.serverName, leafDer);
        if (error !== undefined)
          return fail(`the server's identity does not verify: ${error.message}`, { notes });
        return pass(`${ctx.serverName} matches the subjectAltName`, { notes });
      },
    },
    {
      id: 'TLS-12',
      group: 'tls',
      title: 'Server identity does not depend on the subject CN',
      clause: 'RFC 6125 §6.4.4',
      expected:
        'the certificate carries subjectAltName entries; a CN-only certificate would be refused by conforming clients',
      async run(ctx) {
        const leafDer = (await serverChain(ctx)).serverChain[0];
        if (leafDer === undefined) return fail('the server sent no certificate');
        const ids = presentedIdentifiers(leafDer);
        const cn = attributeValues(ParsedCertificate.parse(leafDer).subject, '2.5.4.3')[0]?.display ?? null;
        const notes = [`subject CN: ${cn ?? 'none'}`];
        if (ids.dnsNames.length === 0 && ids.ipAddresses.length === 0) {
          return fail(
            `the server is named only in the subject CN (${cn ?? 'none'}); it has no subjectAltName`,
            { notes },
          );
        }
        return pass(
          `subjectAltName present (${ids.dnsNames.length} dNSName, ${ids.ipAddresses.length} iPAddress)`,
          { notes },
        );
      },
    },
    {
      id: 'TLS-13',
      group: 'tls',
      title: 'The CertificateRequest advertises the trust anchor',
      clause: 'RFC 8446 §4.2.4 (certificate_authorities); RFC 5246 §7.4.4',
      expected: "the acceptable CA names include the anchor's subject",
      async run(ctx) {
        const anchor = await subjectRfc2253(ctx.anchorPem);
        const result = await acceptableCaNames({
          host: ctx.target.hostname.replace(/^\[|\]$/g, ''),
          port: Number(ctx.target.port || 443),
          ...(/^[\d.:[\]]+$/.test(ctx.serverName) ? {} : { serverName: ctx.serverName }),
        });
        if (!result.available || anchor === undefined) {
          return skip(result.available ? 'could not print the anchor subject with openssl' : result.reason);
        }
        const notes = [`anchor: ${anchor}`, `listed: ${result.names.join(' | ') || 'none'}`, result.openssl];
        if (result.names.length === 0)
          return fail(
            'the server requests a client certificate without naming any CA, so clients cannot tell which anchor it trusts',
            { notes },
          );
        if (!result.names.includes(anchor))
          return fail('the CertificateRequest does not list the trust anchor', { notes });
        const others = result.names.filter((n) => n !== anchor);
        return pass(
          others.length === 0
            ? 'lists exactly the anchor'
            : `lists the anchor and ${others.length} other name(s)`,
          { notes },
        );
      },
    },
    {
      id: 'TLS-14',
      group: 'tls',
      title: 'TLS 1.3 resumption does not stand in for a client certificate',
      clause: 'RFC 8446 §2.2, §4.6.1; RFC 8705 §3',
      expected:
        'no resumable session, or a resumed connection without a certificate is answered 401 CERTIFICATE_MISSING',
      run: (ctx) => resumption(ctx, 'TLSv1.3'),
    },
    {
      id: 'TLS-15',
      group: 'tls',
      title: 'TLS 1.2 session tickets or IDs do not stand in for a client certificate',
      clause: 'RFC 5077 §3; RFC 5246 §7.4.1.2',
      expected:
        'no resumable session, or a resumed connection without a certificate is answered 401 CERTIFICATE_MISSING',
      run: (ctx) => resumption(ctx, 'TLSv1.2'),
    },
    {
      id: 'TLS-16',
      group: 'tls',
      title: 'A request sent with the last handshake flight gets the same answer as one sent later',
      clause: 'RFC 8446 §4.4.4 (the client may send application data right after its Finished)',
      expected:
        "the answer (status and code, X-Request-ID echoed) does not depend on whether the request left with the client's Finished, right after it (as curl sends it) or later",
      run: requestInHandshakeFlight,
    },
  ];
}
