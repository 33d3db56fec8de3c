import { Client } from 'pg';
import type { Logger } from '../audit/logger';
import { CHANGE_CHANNEL, decodeNotice, type ChangeNotice } from './change_notice';

export interface PostgresChangeListenerOptions {
  databaseUrl: string;
  logger?: Logger;
  /** Reconnect delays grow from the first to the last, then stay there. */
  retryDelaysMs?: readonly number[];
}

/**
 * `resync`: the listener lost or regained its connection, and notices sent meanwhile may be lost: every
 * cache must be dropped, as if every row had changed (and bypassed while `listening` is false).
 */
export type ChangeEvent = ChangeNotice | { topic: 'resync' };

const DEFAULT_RETRY_MS = [100, 250, 500, 1000, 2000, 5000];

/**
 * One dedicated connection per gateway instance, LISTENing on the change channel (a pooled connection
 * cannot: the pool may close it or hand it to a query). Lost connections are re-opened with growing
 * delays; every (re)connect is reported as a resync.
 */
export class PostgresChangeListener {
  private client: Client | undefined;
  private closed = false;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly handlers: ((event: ChangeEvent) => void)[] = [];

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
    const client = new Client({ connectionString: this.options.databaseUrl });
    client.on('notification', (message) => {
      if (message.channel !== CHANGE_CHANNEL) return;
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
    client.on('end', () => {
      if (this.client !== client) return;
      this.client = undefined;
      // Notices are not heard from here on: caches are dropped now and bypassed until the next connect.
      this.emit({ topic: 'resync' });
      this.retry();
    });
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
