/**
 * RevocationFetcher over undici: plain HTTP as OCSP (RFC 6960 A.1) and CRL distribution points are
 * published; the answers are signed, so transport security adds nothing to their trust. One agent with
 * keep-alive serves every responder, and each exchange has one deadline from connect to last byte.
 */
import type { Agent, request } from 'undici';
import type { RevocationFetcher, RevocationFetchParams } from '../pki/revocation/revocation_fetcher';

/** A client-safe phrase for a failed exchange (it may end up in a refusal text). */
function describeFailure(error: unknown, timedOut: boolean, timeoutMs: number): string {
  if (timedOut) return `did not answer within ${timeoutMs} ms`;
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (code === 'ECONNREFUSED') return 'refused the connection';
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host name does not resolve';
    if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'closed the connection';
    if (code === 'UND_ERR_CONNECT_TIMEOUT') return `did not accept a connection within ${timeoutMs} ms`;
    e = (e as { cause?: unknown }).cause;
  }
  return 'could not be reached';
}

/**
 * undici is loaded, and the agent made, at the first fetch: most gateways revoke from CRL files or the
 * responders' answers already cached, and undici costs some 20 MB of resident memory once loaded.
 */
export class UndiciRevocationFetcher implements RevocationFetcher {
  private client: Promise<{ agent: Agent; request: typeof request }> | undefined;
  private closed = false;

  private loaded(): Promise<{ agent: Agent; request: typeof request }> {
    this.client ??= import('undici').then((undici) => ({
      agent: new undici.Agent({ keepAliveTimeout: 30_000, connections: 8 }),
      request: undici.request,
    }));
    return this.client;
  }

  async fetch(params: RevocationFetchParams): Promise<Uint8Array> {
    const url = new URL(params.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new Error(`scheme ${url.protocol} is not fetched`);
    if (this.closed) throw new Error('the revocation fetcher is closed');
    const { agent, request } = await this.loaded();
    const deadline = AbortSignal.timeout(params.timeoutMs);
    let response: Awaited<ReturnType<typeof request>>;
    try {
      response = await request(url, {
        method: params.body ? 'POST' : 'GET',
        dispatcher: agent,
        signal: deadline,
        headers: {
          accept: params.accept,
          ...(params.body ? { 'content-type': params.body.contentType } : {}),
        },
        ...(params.body ? { body: Buffer.from(params.body.bytes) } : {}),
      });
    } catch (error) {
      throw new Error(describeFailure(error, deadline.aborted, params.timeoutMs));
    }
    try {
      if (response.statusCode !== 200) throw new Error(`answered HTTP ${response.statusCode}`);
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of response.body) {
        const buffer = chunk as Buffer;
        size += buffer.length;
        if (size > params.maxBytes) throw new Error(`sent more than ${params.maxBytes} bytes`);
        chunks.push(buffer);
      }
      return new Uint8Array(Buffer.concat(chunks));
    } catch (error) {
      if (deadline.aborted) throw new Error(`did not answer within ${params.timeoutMs} ms`);
      throw error instanceof Error && /^(answered|sent) /.test(error.message)
        ? error
        : new Error(describeFailure(error, false, params.timeoutMs));
    } finally {
      // Whatever was not read is discarded, so the connection can be reused or closed. Destroying an unread
      // body emits an abort error; without a listener that error would be uncaught and end the process.
      response.body.on('error', () => undefined);
      response.body.destroy();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.client !== undefined) await (await this.client).agent.close();
  }
}
