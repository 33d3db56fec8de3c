import { isIP, type Server, type Socket } from 'node:net';

export interface ConnectionsPerAddressOptions {
  /** Open connections one client may hold at once; 0 switches the cap off. */
  limit: number;
  /** Addresses never capped: the configured proxies, which carry every client's connections. */
  exempt: (remoteAddress: string) => boolean;
  /** Told once per refused connection (the caller rate-limits its own logging). */
  onRefused?: (client: string) => void;
}

/**
 * A client that completes handshakes and then sends nothing holds a descriptor each until the idle
 * timeout; from one address, enough of them exhaust the process's descriptors for everybody. Connections
 * beyond the cap are dropped at accept, before any TLS work is spent on them.
 */
export function capConnectionsPerAddress(server: Server, options: ConnectionsPerAddressOptions): void {
  if (options.limit <= 0) return;
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const remote = socket.remoteAddress;
    if (remote === undefined || options.exempt(remote)) return;
    const client = clientKey(remote);
    const count = open.get(client) ?? 0;
    if (count >= options.limit) {
      options.onRefused?.(client);
      socket.destroy();
      return;
    }
    open.set(client, count + 1);
    socket.once('close', () => {
      const left = (open.get(client) ?? 1) - 1;
      if (left <= 0) open.delete(client);
      else open.set(client, left);
    });
  });
}

/**
 * Whom a connection counts against: an IPv4 address, or an IPv6 /64. A single IPv6 subscriber is usually
 * given a whole /64 and can pick a fresh address in it for every connection.
 */
export function clientKey(remoteAddress: string): string {
  const mapped = remoteAddress.startsWith('::ffff:') ? remoteAddress.slice(7) : undefined;
  if (mapped !== undefined && isIP(mapped) === 4) return mapped;
  if (isIP(remoteAddress) !== 6) return remoteAddress;
  return `${expandIpv6(remoteAddress).slice(0, 4).join(':')}::/64`;
}

function expandIpv6(address: string): string[] {
  const withoutZone = address.split('%')[0] ?? address;
  const [head = '', tail] = withoutZone.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  // An embedded IPv4 tail (::1.2.3.4) fills the last two groups.
  const last = right.length > 0 ? right : left;
  const dotted = last[last.length - 1];
  if (dotted !== undefined && dotted.includes('.')) {
    const octets = dotted.split('.').map(Number);
    last.splice(
      last.length - 1,
      1,
      (((octets[0] ?? 0) << 8) | (octets[1] ?? 0)).toString(16),
      (((octets[2] ?? 0) << 8) | (octets[3] ?? 0)).toString(16),
    );
  }
  const missing = tail === undefined ? 0 : 8 - left.length - right.length;
  return [...left, ...Array<string>(missing).fill('0'), ...right].map((group) =>
    (group === '' ? '0' : group).toLowerCase().replace(/^0+(?=.)/, ''),
  );
}

/** A refusal is worth one log line per client and minute, not one per connection an attacker opens. */
export function onceAMinutePerClient(report: (client: string) => void): (client: string) => void {
  const last = new Map<string, number>();
  return (client) => {
    const now = Date.now();
    const previous = last.get(client);
    if (previous !== undefined && now - previous < 60_000) return;
    // Bounded: an attacker with many addresses cannot grow it without end.
    if (last.size >= 10_000) last.clear();
    last.set(client, now);
    report(client);
  };
}
