/**
 * The front door judges public paths and role requirements on `requestTarget(req.url).path`, and the
 * AIS API routes and reads its query on `requestTarget(req.url)` without express; express routes on
 * `req.path` and parses `req.query`. They must agree for every request target node's parser lets
 * through, or a path could be judged as one resource and served as another.
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { parse as parseQueryString } from 'node:querystring';
import { requestTarget } from '../../src/api/request_target';

const TARGETS = [
  '/v1/accounts',
  '/v1/accounts/',
  '/v1/accounts?withBalance=true',
  '/v1/accounts?a=b?c',
  '/v1/accounts?',
  '/v1/accounts/a1/transactions?dateFrom=2026-01-01&bookingStatus=booked&bookingStatus=pending',
  '/v1/accounts?with%42alance=tr%75e&=x&y',
  '/v1/accounts?a[b]=1&c=%zz',
  '/V1/Accounts',
  '/v1//accounts',
  '//evil.example/v1/accounts',
  '/v1/accounts#fragment',
  '/v1/accounts?x#y',
  '/v1/acc%20ounts',
  '/%2e%2e/v1/accounts',
  '/oauth2/../v1/accounts',
  '/v1/accounts;jsessionid=1',
  'http://evil.example/v1/accounts?x=1',
  'https://localhost:8443/oauth2/authorize',
  'http://evil.example',
  '*',
];

interface Answer {
  expressPath: string;
  frontDoorPath: string;
  expressQuery: unknown;
  frontDoorQuery: unknown;
}

describe('requestTarget', () => {
  let server: http.Server;
  let port: number;
  beforeAll(async () => {
    const app = express();
    app.use((req, res) => {
      const query = requestTarget(req.url).query;
      res.json({
        url: req.url,
        expressPath: req.path ?? '',
        frontDoorPath: requestTarget(req.url).path,
        expressQuery: req.query,
        frontDoorQuery: query === undefined ? {} : parseQueryString(query),
      });
    });
    server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const ask = (target: string) =>
    new Promise<Answer | string>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        const method = target === '*' ? 'OPTIONS' : 'GET';
        socket.write(`${method} ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
      });
      let data = '';
      socket.on('data', (chunk: Buffer) => (data += chunk.toString('utf8')));
      socket.on('end', () => {
        const body = data.split('\r\n\r\n')[1] ?? '';
        resolve(data.startsWith('HTTP/1.1 200') ? (JSON.parse(body) as Answer) : data);
      });
      socket.on('error', reject);
    });

  it.each(TARGETS)('agrees with express on the path and query of %s', async (target) => {
    const answer = await ask(target);
    if (typeof answer === 'string') throw new Error(`node refused ${target}: ${answer.split('\r\n')[0]}`);
    expect(answer.frontDoorPath).toBe(answer.expressPath);
    expect(answer.frontDoorQuery).toEqual(answer.expressQuery);
  });

  it('cuts a plain target at the query without the legacy parser', () => {
    expect(requestTarget('/v1/accounts?withBalance=true')).toEqual({
      path: '/v1/accounts',
      query: 'withBalance=true',
    });
    expect(requestTarget('/v1/accounts')).toEqual({ path: '/v1/accounts', query: undefined });
  });
});
