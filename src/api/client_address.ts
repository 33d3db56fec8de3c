import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { TrustedProxies } from '../tls/forwarded_certificate';

/**
 * The address a request came from, for rate limits and the log. `X-Forwarded-For` is believed only as far
 * as it was written by configured proxies: walking from the right, the first hop that is not one of them
 * is the client. Anything a client wrote itself further left is ignored.
 */
export function clientAddress(req: IncomingMessage, proxies: TrustedProxies): string {
  const peer = normalise(req.socket.remoteAddress ?? 'unknown');
  if (!proxies.includes(peer)) return peer;
  const header = req.headers['x-forwarded-for'];
  const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((h) => normalise(h.trim()))
    .filter((h) => h !== '');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] ?? '';
    if (isIP(hop) === 0) return peer;
    if (!proxies.includes(hop)) return hop;
  }
  return peer;
}

function normalise(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}
