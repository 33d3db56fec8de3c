import https from 'node:https';
import type { ClientCredentials } from './test_pki';

export interface MtlsResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json: unknown;
  /** Whether the request went over a connection an earlier request had opened (keep-alive). */
  reusedSocket: boolean;
}

export interface MtlsRequestParams {
  url: string;
  ca: Buffer;
  credentials?: ClientCredentials;
  method?: string;
  headers?: Record<string, string | string[]>;
  body?: string;
  agent?: https.Agent;
}

/** One HTTPS request over real TLS, presenting the given client certificate (or none). */
export function mtlsRequest(params: MtlsRequestParams): Promise<MtlsResponse> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      params.url,
      {
        method: params.method ?? 'GET',
        ca: params.ca,
        ...(params.credentials ? { cert: params.credentials.cert, key: params.credentials.key } : {}),
        headers: params.headers ?? {},
        agent: params.agent ?? false,
        // The SHA-1 fixture is refused by OpenSSL's default security level before our validator could see it.
        ciphers: 'DEFAULT:@SECLEVEL=0',
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(body);
          } catch {
            json = undefined;
          }
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            json,
            reusedSocket: req.reusedSocket,
          });
        });
      },
    );
    req.on('error', reject);
    if (params.body !== undefined) req.write(params.body);
    req.end();
  });
}

export function tppMessageCode(json: unknown): string | undefined {
  if (typeof json !== 'object' || json === null) return undefined;
  const messages = (json as { tppMessages?: { code?: string }[] }).tppMessages;
  return messages?.[0]?.code;
}
