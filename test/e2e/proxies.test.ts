/**
 * Behind a real proxy (issue 11.5): Debian's nginx and HAProxy in front of the gateway, each configured
 * with the README's block, driven by curl as TPPs and attackers would. Both proxies forward only the
 * leaf, so the gateway builds the path with GATEWAY_INTERMEDIATES; both present a pinned certificate of
 * their own to the gateway.
 */
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunningGateway } from '../../src/gateway';
import { decodePemBlocks } from '../../src/pki/asn1/pem';
import { startTestGateway } from '../helpers/test_gateway';
import { testPkiDir, testPkiFiles } from '../helpers/test_pki';
import {
  freePort,
  proxyAvailable,
  readmeProxyBlock,
  startProxy,
  substitute,
  type ProxyName,
  type RunningProxy,
} from '../helpers/proxies';
import { tppMessageCode } from '../helpers/mtls_request';

const REQUEST_ID = 'b3c1d2e4-5f60-4a7b-8c9d-0e1f2a3b4c5d';
const CONSENT_BODY = JSON.stringify({
  access: { accounts: [], balances: [], transactions: [] },
  recurringIndicator: true,
  validUntil: '2030-12-31',
  frequencyPerDay: 4,
});

interface CurlResponse {
  status: number;
  json: unknown;
}

const clientFiles = (caseId: string): string[] => {
  const dir = path.join(testPkiDir(), 'clients');
  return ['--cert', path.join(dir, `${caseId}.chain.pem`), '--key', path.join(dir, `${caseId}.key.pem`)];
};

/** One request with curl (OpenSSL), as any TPP or attacker would send it. */
function curl(url: string, caseId: string | undefined, args: string[] = []): Promise<CurlResponse> {
  return new Promise((resolve, reject) => {
    execFile(
      'curl',
      [
        '-sS',
        '--cacert',
        testPkiFiles().anchor,
        ...(caseId === undefined ? [] : clientFiles(caseId)),
        '-H',
        `X-Request-ID: ${REQUEST_ID}`,
        ...args,
        '-w',
        '\n%{http_code}',
        url,
      ],
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`curl failed: ${stderr}`));
        const cut = stdout.lastIndexOf('\n');
        const body = stdout.slice(0, cut);
        let json: unknown;
        try {
          json = JSON.parse(body);
        } catch {
          json = body;
        }
        resolve({ status: Number(stdout.slice(cut + 1)), json });
      },
    );
  });
}

/** Every certificate header a client could add, each carrying Alice's public chain. */
function aliceHeaderArgs(): string[] {
  const pem = readFileSync(path.join(testPkiDir(), 'clients', 'alice.chain.pem'), 'utf8');
  const [leaf, ...rest] = decodePemBlocks(pem, 'CERTIFICATE');
  const sf = (der: Buffer) => `:${der.toString('base64')}:`;
  return [
    ['X-SSL-Client-Cert', encodeURIComponent(pem)],
    ['Client-Cert', sf(leaf as Buffer)],
    ['Client-Cert-Chain', rest.map(sf).join(', ')],
    ['X-Forwarded-Client-Cert', `Cert="${encodeURIComponent(pem)}"`],
  ].flatMap(([name, value]) => ['-H', `${name}: ${value}`]);
}

/** The README's block with this machine's addresses and files, inside the minimum a proxy needs to run. */
function proxyConfig(name: ProxyName, dir: string, port: number, gatewayPort: number): string {
  const common = {
    'https://10.0.0.20:8443': `https://127.0.0.1:${gatewayPort}`,
    '10.0.0.20:8443': `127.0.0.1:${gatewayPort}`,
    'gateway.bank.internal': 'localhost',
  };
  if (name === 'nginx') {
    const block = substitute(readmeProxyBlock('nginx'), {
      'listen 443 ssl;': `listen 127.0.0.1:${port} ssl;`,
      '/etc/nginx/psd2/': `${dir}/`,
      'https://10.0.0.20:8443': common['https://10.0.0.20:8443'],
      'gateway.bank.internal': common['gateway.bank.internal'],
    });
    const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
      .map((t) => `${t}_temp_path ${dir}/${t};`)
      .join('\n  ');
    return `worker_processes 1;\npid ${dir}/nginx.pid;\nerror_log ${dir}/error.log;\nevents { worker_connections 64; }\nhttp {\n  access_log ${dir}/access.log;\n  ${temp}\n${block}}\n`;
  }
  const block = substitute(readmeProxyBlock('haproxy'), {
    'bind :443 ': `bind 127.0.0.1:${port} `,
    '/etc/haproxy/psd2/': `${dir}/`,
    '10.0.0.20:8443': common['10.0.0.20:8443'],
    'gateway.bank.internal': common['gateway.bank.internal'],
  });
  return `global\n    pidfile ${dir}/haproxy.pid\ndefaults\n    mode http\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n${block}`;
}

describe.each([
  ['nginx', 'nginx'],
  ['haproxy', 'client-cert'],
] as const)('behind %s (GATEWAY_FORWARDED_CERT_HEADER=%s)', (name, header) => {
  const available = proxyAvailable(name, `${name} in front of the gateway`);
  const maybe = available ? it : it.skip;
  let dir: string;
  let gateway: RunningGateway;
  let proxy: RunningProxy;
  let viaProxy: string;
  let direct: string;
  let consentStatusPath: string;

  beforeAll(async () => {
    if (!available) return;
    dir = mkdtempSync(path.join(os.tmpdir(), `psd2-${name}-`));
    const files = testPkiFiles();
    // The proxy's own client certificate: self-signed, pinned by its fingerprint as README shows.
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=psd2 proxy',
        '-keyout',
        path.join(dir, 'proxy-client.key.pem'),
        '-out',
        path.join(dir, 'proxy-client.pem'),
      ],
      { stdio: 'ignore' },
    );
    const pin = execFileSync('openssl', [
      'x509',
      '-in',
      path.join(dir, 'proxy-client.pem'),
      '-noout',
      '-fingerprint',
      '-sha256',
    ])
      .toString()
      .trim();
    copyFileSync(files.serverChain, path.join(dir, 'api-server.chain.pem'));
    copyFileSync(files.serverKey, path.join(dir, 'api-server.key.pem'));
    copyFileSync(files.anchor, path.join(dir, 'gateway-ca.pem'));
    copyFileSync(files.anchor, path.join(dir, 'trent-root.pem'));
    if (name === 'haproxy') {
      // HAProxy wants certificate and key in one file.
      const joined = (cert: string, key: string) => readFileSync(cert, 'utf8') + readFileSync(key, 'utf8');
      writeFileSync(path.join(dir, 'api-server.pem'), joined(files.serverChain, files.serverKey));
      const client = joined(path.join(dir, 'proxy-client.pem'), path.join(dir, 'proxy-client.key.pem'));
      writeFileSync(path.join(dir, 'proxy-client.pem'), client);
    }

    gateway = await startTestGateway(`sqlite:${path.join(dir, 'gateway.db')}`, {
      GATEWAY_TRUSTED_PROXIES: '127.0.0.1',
      GATEWAY_FORWARDED_CERT_HEADER: header,
      GATEWAY_TRUSTED_PROXY_CERT_SHA256: pin,
      GATEWAY_INTERMEDIATES: files.issuingCa,
    });
    const port = await freePort();
    const configFile = path.join(dir, `${name}.conf`);
    writeFileSync(configFile, proxyConfig(name, dir, port, gateway.port));
    proxy = await startProxy(name, configFile, port);
    viaProxy = `https://localhost:${port}`;
    direct = gateway.url;

    const created = await curl(`${viaProxy}/v1/consents`, 'alice', [
      '-H',
      'Content-Type: application/json',
      '-H',
      'TPP-Redirect-URI: https://api.bank-of-alice.example/callback',
      '--data',
      CONSENT_BODY,
    ]);
    if (created.status !== 201)
      throw new Error(`Alice could not create a consent: ${JSON.stringify(created)}\n${proxy.output()}`);
    consentStatusPath = `/v1/consents/${(created.json as { consentId: string }).consentId}/status`;
  });

  afterAll(async () => {
    await proxy?.stop();
    await gateway?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  maybe(
    'Alice (her leaf forwarded, the issuing CA from GATEWAY_INTERMEDIATES) reads her consent',
    async () => {
      const response = await curl(`${viaProxy}${consentStatusPath}`, 'alice');
      expect(response).toEqual({ status: 200, json: { consentStatus: 'received' } });
    },
  );

  it.each([
    ['mallory-own-ca', 'CERTIFICATE_INVALID'],
    ['mallory-copied-names', 'CERTIFICATE_INVALID'],
    ['mallory-leaf-with-trent-intermediate', 'CERTIFICATE_INVALID'],
    ['expired', 'CERTIFICATE_EXPIRED'],
    ['revoked', 'CERTIFICATE_REVOKED'],
  ])('%s gets 401 %s from the gateway', async (caseId, code) => {
    if (!available) return;
    const response = await curl(`${viaProxy}${consentStatusPath}`, caseId);
    expect(response.status).toBe(401);
    expect(tppMessageCode(response.json)).toBe(code);
  });

  it.each([
    ['no certificate', undefined, 'CERTIFICATE_MISSING'],
    ["Mallory's certificate", 'mallory-own-ca', 'CERTIFICATE_INVALID'],
  ])(
    'a client with %s adding every certificate header through the proxy borrows no identity',
    async (_n, caseId, code) => {
      if (!available) return;
      const response = await curl(`${viaProxy}${consentStatusPath}`, caseId, aliceHeaderArgs());
      expect(response.status).toBe(401);
      expect(tppMessageCode(response.json)).toBe(code);
    },
  );

  maybe("Carol adding Alice's headers through the proxy stays Carol", async () => {
    const response = await curl(`${viaProxy}${consentStatusPath}`, 'carol', aliceHeaderArgs());
    expect(response.status).not.toBe(200);
    expect(JSON.stringify(response.json)).not.toContain('received');
  });

  it.each([
    ['no certificate', undefined],
    ["Carol's certificate", 'carol'],
  ])(
    'a client reaching the gateway directly from the proxy address with %s and the headers is refused',
    async (_n, caseId) => {
      if (!available) return;
      const response = await curl(`${direct}${consentStatusPath}`, caseId, aliceHeaderArgs());
      expect(response.status).toBe(401);
      expect(tppMessageCode(response.json)).toBe('CERTIFICATE_INVALID');
    },
  );
});
