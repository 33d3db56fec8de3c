/**
 * A stand-in for the real gateway that follows the published contract (DOMAIN.md, issues 3 and 4) just
 * far enough to exercise the suite's consent, OAuth, frequency and validation flows end to end. It is
 * test scaffolding, not a reference implementation: trust is Node's chain check to the anchor, and
 * every TPP certificate under Trent is taken to hold PSP_AI.
 */
import { createHash, randomUUID, X509Certificate } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { buildTlsServerOptions } from '../../src/tls/server_options';

interface Consent {
  id: string;
  owner: string;
  status: string;
  frequencyPerDay: number;
  reads: number;
  access: unknown;
}
interface Code {
  consentId: string;
  clientId: string;
  redirectUri: string;
  challenge: string;
  used: boolean;
  tokens: string[];
}
interface Token {
  consentId: string;
  thumbprint: string;
  revoked: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PSU = { username: 'psu', password: 'password' };

export interface StandInParams {
  certChainPem: string;
  keyPem: string;
  anchorPem: string;
}

export function standInGateway(params: StandInParams): https.Server {
  const consents = new Map<string, Consent>();
  const codes = new Map<string, Code>();
  const tokens = new Map<string, Token>();
  const sessions = new Map<string, { csrf: string; query: URLSearchParams; loggedIn: boolean }>();

  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'https://stand-in');
    const socket = req.socket as TLSSocket;
    const peer = socket.getPeerCertificate();
    const leaf = peer?.raw !== undefined ? new X509Certificate(peer.raw) : undefined;
    const orgId = leaf?.subject.match(/organizationIdentifier=([^\n]+)/)?.[1];
    const thumb =
      peer?.raw !== undefined ? createHash('sha256').update(peer.raw).digest('base64url') : undefined;

    const json = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(body === undefined ? '' : JSON.stringify(body));
    };
    const error = (status: number, code: string, text = code): void =>
      json(status, { tppMessages: [{ category: 'ERROR', code, text }] });
    const html = (status: number, body: string, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'text/html', ...headers });
      res.end(`<!doctype html><html><body>${body}</body></html>`);
    };
    const form = (): URLSearchParams => new URLSearchParams(raw);

    if (url.pathname === '/.well-known/oauth-authorization-server') {
      return json(200, {
        issuer: 'https://localhost',
        authorization_endpoint: 'https://localhost/oauth2/authorize',
        token_endpoint: 'https://localhost/oauth2/token',
        revocation_endpoint: 'https://localhost/oauth2/revoke',
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: ['tls_client_auth'],
        tls_client_certificate_bound_access_tokens: true,
      });
    }
    if (url.pathname.startsWith('/oauth2/authorize')) {
      const sid = /sid=([\w-]+)/.exec(req.headers.cookie ?? '')?.[1];
      const session = sid !== undefined ? sessions.get(sid) : undefined;
      const loginForm = (csrf: string): string =>
        `<form method="post" action="/oauth2/authorize/login"><input type="hidden" name="csrf" value="${csrf}"><input name="username"><input type="password" name="password"><button>Log in</button></form>`;
      if (url.pathname === '/oauth2/authorize' && req.method === 'GET') {
        const q = url.searchParams;
        const consent = consents.get((q.get('scope') ?? '').replace(/^AIS:/, ''));
        if (
          consent === undefined ||
          consent.owner !== q.get('client_id') ||
          q.get('code_challenge_method') !== 'S256' ||
          !q.get('code_challenge')
        ) {
          return html(400, '<p>invalid request</p>');
        }
        const newSid = randomUUID();
        const csrf = randomUUID();
        sessions.set(newSid, { csrf, query: q, loggedIn: false });
        return html(200, loginForm(csrf), { 'set-cookie': `sid=${newSid}; HttpOnly; Secure; SameSite=Lax` });
      }
      if (session === undefined || form().get('csrf') !== session.csrf)
        return html(400, '<p>session expired</p>');
      if (url.pathname === '/oauth2/authorize/login') {
        const f = form();
        if (f.get('username') !== PSU.username || f.get('password') !== PSU.password)
          return html(200, loginForm(session.csrf));
        session.loggedIn = true;
        return html(
          200,
          `<form method="post" action="/oauth2/authorize/decision"><input type="hidden" name="csrf" value="${session.csrf}"><button name="decision" value="approve">Approve</button><button name="decision" value="deny">Deny</button></form>`,
        );
      }
      if (url.pathname === '/oauth2/authorize/decision' && session.loggedIn) {
        const q = session.query;
        const consentId = (q.get('scope') ?? '').replace(/^AIS:/, '');
        const consent = consents.get(consentId);
        const back = new URL(q.get('redirect_uri') ?? '');
        back.searchParams.set('state', q.get('state') ?? '');
        if (consent === undefined) return html(400, '<p>unknown consent</p>');
        if (form().get('decision') === 'approve') {
          const code = randomUUID();
          codes.set(code, {
            consentId,
            clientId: q.get('client_id') ?? '',
            redirectUri: q.get('redirect_uri') ?? '',
            challenge: q.get('code_challenge') ?? '',
            used: false,
            tokens: [],
          });
          consent.status = 'valid';
          back.searchParams.set('code', code);
        } else {
          consent.status = 'rejected';
          back.searchParams.set('error', 'access_denied');
        }
        res.writeHead(303, { location: back.href });
        return void res.end();
      }
      return html(400, '<p>bad request</p>');
    }
    if (url.pathname === '/oauth2/token' || url.pathname === '/oauth2/revoke') {
      const f = form();
      if (!socket.authorized || orgId === undefined || f.get('client_id') !== orgId)
        return json(401, { error: 'invalid_client' });
      if (url.pathname === '/oauth2/revoke') {
        const t = tokens.get(f.get('token') ?? '');
        if (t !== undefined && t.thumbprint === thumb) t.revoked = true;
        return json(200, {});
      }
      const code = codes.get(f.get('code') ?? '');
      if (code === undefined) return json(400, { error: 'invalid_grant' });
      if (code.used) {
        for (const t of code.tokens) tokens.get(t)!.revoked = true;
        return json(400, { error: 'invalid_grant' });
      }
      code.used = true;
      const verifier = f.get('code_verifier') ?? '';
      if (
        code.clientId !== orgId ||
        code.redirectUri !== f.get('redirect_uri') ||
        createHash('sha256').update(verifier).digest('base64url') !== code.challenge
      ) {
        return json(400, { error: 'invalid_grant' });
      }
      const token = randomUUID();
      tokens.set(token, { consentId: code.consentId, thumbprint: thumb ?? '', revoked: false });
      code.tokens.push(token);
      return json(
        200,
        { access_token: token, token_type: 'Bearer', expires_in: 600 },
        { 'cache-control': 'no-store' },
      );
    }

    // Berlin Group API
    if (peer?.raw === undefined) return error(401, 'CERTIFICATE_MISSING');
    if (!socket.authorized) {
      return String(socket.authorizationError) === 'CERT_HAS_EXPIRED'
        ? error(401, 'CERTIFICATE_EXPIRED')
        : error(401, 'CERTIFICATE_INVALID');
    }
    const requestId = req.headers['x-request-id'];
    if (typeof requestId !== 'string' || !UUID.test(requestId))
      return error(400, 'FORMAT_ERROR', 'X-Request-ID');
    res.setHeader('x-request-id', requestId);
    const owned = (id: string, inPath: boolean): Consent | undefined => {
      const c = consents.get(id);
      if (c === undefined || c.owner !== orgId) {
        error(inPath ? 403 : 400, 'CONSENT_UNKNOWN');
        return undefined;
      }
      return c;
    };
    const consentPath = /^\/v1\/consents\/([^/]+)(\/status)?$/.exec(url.pathname);
    if (url.pathname === '/v1/consents') {
      if (req.method !== 'POST') return error(405, 'SERVICE_INVALID');
      let body: { access?: unknown; frequencyPerDay?: unknown };
      try {
        body = JSON.parse(raw) as typeof body;
      } catch {
        return error(400, 'FORMAT_ERROR');
      }
      if (
        typeof body.access !== 'object' ||
        typeof body.frequencyPerDay !== 'number' ||
        body.frequencyPerDay < 1
      )
        return error(400, 'FORMAT_ERROR');
      const id = randomUUID();
      consents.set(id, {
        id,
        owner: orgId ?? '',
        status: 'received',
        frequencyPerDay: body.frequencyPerDay,
        reads: 0,
        access: body.access,
      });
      return json(201, {
        consentStatus: 'received',
        consentId: id,
        _links: { scaOAuth: { href: '/.well-known/oauth-authorization-server' } },
      });
    }
    if (consentPath !== null) {
      const c = owned(consentPath[1] ?? '', true);
      if (c === undefined) return;
      if (consentPath[2] !== undefined) return json(200, { consentStatus: c.status });
      if (req.method === 'DELETE') {
        c.status = 'terminatedByTpp';
        res.writeHead(204);
        return void res.end();
      }
      return json(200, { access: c.access, consentStatus: c.status, frequencyPerDay: c.frequencyPerDay });
    }
    if (url.pathname === '/v1/accounts') {
      const consentId = req.headers['consent-id'];
      if (typeof consentId !== 'string') return error(400, 'FORMAT_ERROR', 'Consent-ID missing');
      const bearer = req.headers.authorization?.replace(/^Bearer /, '');
      const t = bearer !== undefined ? tokens.get(bearer) : undefined;
      // A presented token is judged first: a token bound to another certificate says nothing about consents.
      if (bearer !== undefined && t === undefined) return error(401, 'TOKEN_UNKNOWN');
      if (t !== undefined && (t.revoked || t.thumbprint !== thumb)) return error(401, 'TOKEN_INVALID');
      const c = owned(consentId, false);
      if (c === undefined) return;
      if (t === undefined) return error(401, 'TOKEN_UNKNOWN');
      if (t.consentId !== c.id) return error(401, 'TOKEN_INVALID');
      if (c.status !== 'valid') return error(401, 'CONSENT_INVALID');
      if (req.headers['psu-ip-address'] === undefined && ++c.reads > c.frequencyPerDay)
        return error(429, 'ACCESS_EXCEEDED');
      return json(200, {
        accounts: [{ resourceId: 'acc-1', iban: 'DE02100100109307118603', currency: 'EUR' }],
      });
    }
    return error(404, 'RESOURCE_UNKNOWN');
  };

  const server = https.createServer(
    buildTlsServerOptions({
      certChainPem: params.certChainPem,
      keyPem: params.keyPem,
      anchorPem: params.anchorPem,
      rejectUntrustedAtHandshake: false,
    }),
    (req, res) => {
      handler(req, res).catch(() => {
        res.statusCode = 500;
        res.end();
      });
    },
  );
  return server;
}
