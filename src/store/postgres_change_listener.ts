import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { Logger } from '../audit/logger';
import { CHANGE_CHANNEL, decodeNotice, type ChangeNotice } from './change_notice';

export interface PostgresChangeListenerOptions {
  databaseUrl: string;
  logger?: Logger;
  /** Reconnect delays grow from the first to the last, then stay there. */
  retryDelaysMs?: readonly number[];
  /** How often the listener NOTIFYs itself to prove notices still arrive (default 5 s). */
  heartbeatMs?: number;
  /** A heartbeat not heard back within this is a lost connection (default 2 s). */
  heartbeatTimeoutMs?: number;
}

/**
 * `resync`: the listener lost or regained its connection, and notices sent meanwhile may be lost: every
 * cache must be dropped, as if every row had changed (and bypassed while `listening` is false).
 */
export type ChangeEvent = ChangeNotice | { topic: 'resync' };

const DEFAULT_RETRY_MS = [100, 250, 500, 1000, 2000, 5000];
export const LISTENER_APPLICATION_NAME = 'psd2-gateway change listener';
const DEFAULT_HEARTBEAT_MS = 5000;
const DEFAULT_HEARTBEAT_TIMEOUT_MS = 2000;
/** Not a ChangeTopic: other instances hear it too and ignore it (decodeNotice does not know it). */
const HEARTBEAT_PREFIX = 'heartbeat:';

/**
 * One dedicated connection per gateway instance, LISTENing on the change channel (a pooled connection
 * cannot: the pool may close it or hand it to a query). Lost connections are re-opened with growing
 * delays; every (re)connect is reported as a resync.
 *
 * An open client is not proof that notices arrive: a peer that vanished without a FIN (host down, NAT or
 * firewall state dropped, a transaction-mode pooler in between) leaves a socket that reads nothing and
 * errs only much later. So TCP keepalive is on, and every `heartbeatMs` the listener NOTIFYs itself on
 * the channel; a heartbeat not heard back within `heartbeatTimeoutMs` counts as a lost connection (caches
 * bypassed and dropped, connection re-opened).
 */
export class PostgresChangeListener {
  private client: Client | undefined;
  private closed = false;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly handlers: ((event: ChangeEvent) => void)[] = [];
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private heartbeatDeadline: NodeJS.Timeout | undefined;
  private heartbeatsSent = 0;
  private heartbeatAwaited = false;
  /** Tells this listener's heartbeats from other instances' on the shared channel. */
  private readonly heartbeatId = randomBytes(8).toString('hex');

  constructor(private readonly options: PostgresChangeListenerOptions) {}

  on(handler: (event: ChangeEvent) => void): void {
    this.handlers.push(handler);
  }

  /** Resolves once listening; a first connection failure is the caller's (the gateway does not start). */
  async start(): Promise<void> {
    await this.connect();
  }

  get listening(): boolean {
    return this.client !== undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.stopHeartbeat();
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private emit(event: ChangeEvent): void {
    for (const handler of this.handlers) {
      try {
        handler(event);
      } catch (error) {
        this.options.logger?.error(
          { event: 'change_notice_handler_failed', topic: event.topic, error: (error as Error).message },
          'a change notice could not be applied',
        );
      }
    }
  }

  private async connect(): Promise<void> {
    const client = new Client({
      connectionString: this.options.databaseUrl,
      // Named, so an operator (or a test) can find it in pg_stat_activity.
      application_name: LISTENER_APPLICATION_NAME,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    client.on('notification', (message) => {
      if (message.channel !== CHANGE_CHANNEL) return;
      if (message.payload?.startsWith(HEARTBEAT_PREFIX) === true) {
        if (message.payload === this.heartbeatPayload(this.heartbeatsSent)) {
          clearTimeout(this.heartbeatDeadline);
          this.heartbeatAwaited = false;
        }
        return;
      }
      const notice = decodeNotice(message.payload);
      if (notice !== undefined) this.emit(notice);
    });
    // 'error' then 'end' on a lost connection; an unheard 'error' would end the process.
    client.on('error', (error) =>
      this.options.logger?.warn(
        { event: 'change_listener_error', error: error.message },
        'change notice connection failed',
      ),
    );
    client.on('end', () => this.lost(client));
    await client.connect();
    try {
      await client.query(`LISTEN ${CHANGE_CHANNEL}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    if (this.attempt > 0) {
      this.options.logger?.info(
        { event: 'change_listener_reconnected', attempts: this.attempt },
        'change notices flowing again; caches dropped',
      );
    }
    this.attempt = 0;
    this.emit({ topic: 'resync' });
    this.startHeartbeat(client);
  }

  /** The connection ended or stopped answering: notices are not heard from here on. */
  private lost(client: Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.stopHeartbeat();
    // Caches are dropped now and bypassed until the next connect.
    this.emit({ topic: 'resync' });
    this.retry();
  }

  private heartbeatPayload(n: number): string {
    return `${HEARTBEAT_PREFIX}${this.heartbeatId}:${n}`;
  }

  private startHeartbeat(client: Client): void {
    const timeoutMs = this.options.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS;
    this.heartbeatTimer = setInterval(() => {
      // One heartbeat at a time: an unanswered one has its deadline running.
      if (this.heartbeatAwaited) return;
      this.heartbeatAwaited = true;
      const payload = this.heartbeatPayload(++this.heartbeatsSent);
      this.heartbeatDeadline = setTimeout(() => {
        this.options.logger?.warn(
          { event: 'change_listener_heartbeat_missed', timeoutMs },
          'change notice connection did not hear its own heartbeat; treated as lost',
        );
        this.lost(client);
        // A socket that hears nothing may not hear a polite goodbye either: end() is not awaited.
        client.end().catch(() => undefined);
      }, timeoutMs);
      this.heartbeatDeadline.unref();
      client.query('select pg_notify($1, $2)', [CHANGE_CHANNEL, payload]).catch(() => undefined);
    }, this.options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
    this.heartbeatTimer.unref();
  }

  private stopHeartbeat(): void {
    clearInterval(this.heartbeatTimer);
    clearTimeout(this.heartbeatDeadline);
    this.heartbeatTimer = undefined;
    this.heartbeatDeadline = undefined;
    this.heartbeatAwaited = false;
  }

  private retry(): void {
    if (this.closed) return;
    const delays = this.options.retryDelaysMs ?? DEFAULT_RETRY_MS;
    const delay = delays[Math.min(this.attempt, delays.length - 1)] ?? 1000;
    this.attempt++;
    this.options.logger?.warn(
      { event: 'change_listener_disconnected', retryInMs: delay },
      'change notice connection lost; caches are dropped when it is back',
    );
    this.retryTimer = setTimeout(() => {
      this.connect().catch((error: unknown) => {
        this.options.logger?.warn(
          { event: 'change_listener_reconnect_failed', error: (error as Error).message },
          'change notice connection could not be re-opened',
        );
        this.retry();
      });
    }, delay);
    this.retryTimer.unref();
  }
}
