/**
 * The audit trail on the gateway's store. `append` only queues: a request never waits for the audit
 * write. The queue is written in batches, one transaction each, which first locks the chain head row;
 * so every instance (SQLite processes on one file, gateways on one PostgreSQL) appends to one global
 * chain, one batch at a time, and a batch costs one lock however many events it holds.
 *
 * The queue is bounded (GATEWAY_AUDIT_QUEUE_MAX): when the database falls that far behind, further
 * events are dropped, counted (psd2_audit_events_dropped_total) and logged, and /readyz fails until the
 * queue drains, rather than the gateway running out of memory. On SIGTERM the queue is written before the
 * process exits; a crash loses what was queued (at most one flush interval of events, plus a backlog if
 * the database was slow).
 */
import { AsyncResource } from 'node:async_hooks';
import { hostname } from 'node:os';
import type { CompiledQuery, Kysely } from 'kysely';
import type { Database } from './schema';
import type { Logger } from '../audit/logger';
import type { AuditEvent, AuditTrail } from '../audit/audit_trail';
import { recordHash, verifyChain, type AuditRecord, type ChainVerdict } from '../audit/audit_chain';

interface AuditTables {
  audit_log: AuditRecord;
  audit_head: { id: number; seq: number; hash: string };
}

export interface KyselyAuditTrailOptions {
  /** Bound on queued events. */
  queueMax?: number;
  /** How long an event may wait for its batch. */
  flushIntervalMs?: number;
  /** Written at once when this many are queued. */
  batchSize?: number;
  logger?: Logger;
  /** Told about every dropped event (the metrics counter). */
  onDrop?: () => void;
  instance?: string;
}

type Pending = Omit<AuditRecord, 'seq' | 'prev_hash' | 'hash'>;

/** PostgreSQL returns bigint columns as text. */
const asNumber = (value: unknown): number => Number(value);

/** Every column of a record, in the order an INSERT binds them. */
const AUDIT_COLUMNS = [
  'seq',
  'at',
  'instance',
  'type',
  'request_id',
  'tpp',
  'thumbprint',
  'subject',
  'detail',
  'prev_hash',
  'hash',
] as const satisfies readonly (keyof AuditRecord)[];

/** Most rows per INSERT statement: SQLite allows 32 766 bound values, a row has 11. */
const MAX_ROWS_PER_INSERT = 256;

/**
 * A batch is written after at most this long, or once this many events are queued (one INSERT). Queued
 * events are what outlives a request on its path: held up to 100 ms in batches of 1 000, they all
 * survived the young generation, and the old generation grew with them (bench (c): 0.55 kB per read
 * promoted, peak heap 96 MB; with 20 ms and 256, 0.24 kB and 66 MB at the same CPU per read and a lower
 * p99). The lock on the chain head is still taken once per batch, and a crash loses less.
 */
const DEFAULT_FLUSH_INTERVAL_MS = 20;
const DEFAULT_BATCH_SIZE = MAX_ROWS_PER_INSERT;

/**
 * The INSERT sizes a batch is written in: full statements, then the rest by powers of two, so that at
 * most nine statement texts ever exist (each is compiled once, and prepared once per connection).
 */
export function insertChunks(rows: number): number[] {
  const chunks: number[] = [];
  let left = rows;
  while (left >= MAX_ROWS_PER_INSERT) {
    chunks.push(MAX_ROWS_PER_INSERT);
    left -= MAX_ROWS_PER_INSERT;
  }
  for (let size = MAX_ROWS_PER_INSERT / 2; size >= 1; size /= 2) {
    if (left >= size) {
      chunks.push(size);
      left -= size;
    }
  }
  return chunks;
}

/**
 * The multi-row INSERT of `rows` records, compiled by Kysely once per size. Building it with the query
 * builder for every batch (an operation node per value, then the compiler) cost more than hashing the
 * records. Each value is compiled as a marker naming its row and column, and the parameters must come
 * out in exactly the order the batch's values are laid out in, else this refuses to use the statement.
 */
function compileInsert(db: Kysely<AuditTables>, rows: number): CompiledQuery {
  const marker = (row: number, column: string) => `\u0000audit:${row}:${column}`;
  const values = Array.from(
    { length: rows },
    (_, row) =>
      Object.fromEntries(
        AUDIT_COLUMNS.map((column) => [column, marker(row, column)]),
      ) as unknown as AuditRecord,
  );
  const compiled = db.insertInto('audit_log').values(values).compile();
  const width = AUDIT_COLUMNS.length;
  const inOrder =
    compiled.parameters.length === rows * width &&
    compiled.parameters.every((p, i) => p === marker(Math.floor(i / width), AUDIT_COLUMNS[i % width] ?? ''));
  if (!inOrder) throw new Error('audit INSERT: the compiled parameters are not in row and column order');
  return compiled;
}

export class KyselyAuditTrail implements AuditTrail {
  private readonly db: Kysely<AuditTables>;
  private queue: Pending[] = [];
  private readonly queueMax: number;
  private readonly flushIntervalMs: number;
  private readonly batchSize: number;
  private readonly instance: string;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private dropped = 0;
  private lastCheckpoint: { seq: number; at: number } = { seq: 0, at: 0 };
  /** Writes run in the context the trail was created in, not in that of the request that queued an event. */
  private readonly scope = new AsyncResource('psd2-audit-trail');
  private readonly inserts = new Map<number, CompiledQuery>();

  constructor(
    db: Kysely<Database>,
    private readonly options: KyselyAuditTrailOptions = {},
  ) {
    this.db = db as unknown as Kysely<AuditTables>;
    this.queueMax = options.queueMax ?? 50_000;
    this.flushIntervalMs = options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS;
    this.batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    this.instance = options.instance ?? `${hostname()}:${process.pid}`;
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Ready while nothing is being dropped. */
  get healthy(): boolean {
    return this.queue.length < this.queueMax;
  }

  append(event: AuditEvent): void {
    if (this.queue.length >= this.queueMax) {
      this.dropped++;
      this.options.onDrop?.();
      if (this.dropped === 1 || this.dropped % 1000 === 0)
        this.options.logger?.error(
          { event: 'audit_events_dropped', dropped: this.dropped, type: event.type },
          'audit queue full: events dropped',
        );
      return;
    }
    this.queue.push({
      at: (event.at ?? new Date()).toISOString(),
      instance: this.instance,
      type: event.type,
      request_id: event.requestId ?? null,
      tpp: event.tpp ?? null,
      thumbprint: event.thumbprint ?? null,
      subject: event.subject ?? null,
      detail: JSON.stringify(event.detail ?? {}),
    });
    if (this.queue.length >= this.batchSize) this.scope.runInAsyncScope(() => this.kick());
    else if (this.timer === undefined) this.scope.runInAsyncScope(() => this.schedule());
  }

  private schedule(): void {
    this.timer = setTimeout(() => this.kick(), this.flushIntervalMs);
    this.timer.unref();
  }

  private kick(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.flushing !== undefined) return;
    this.flushing = this.writeQueued()
      .catch((error: unknown) =>
        this.options.logger?.error(
          { event: 'audit_write_failed', error: (error as Error).message, queued: this.queue.length },
          'audit batch not written; retrying',
        ),
      )
      .finally(() => {
        this.flushing = undefined;
        if (this.queue.length > 0 && this.timer === undefined) this.schedule();
      });
  }

  private async writeQueued(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, this.batchSize);
      const head = await this.db.transaction().execute(async (trx) => {
        // The write comes first so the lock is taken before the head is read (SQLite: no read snapshot to
        // upgrade; PostgreSQL: a row lock the other instances wait for).
        await trx.updateTable('audit_head').set({ id: 1 }).where('id', '=', 1).execute();
        const current = await trx
          .selectFrom('audit_head')
          .select(['seq', 'hash'])
          .where('id', '=', 1)
          .executeTakeFirstOrThrow();
        let seq = asNumber(current.seq);
        let hash = current.hash;
        const values: unknown[] = [];
        for (const pending of batch) {
          seq++;
          const record: AuditRecord = {
            seq,
            at: pending.at,
            instance: pending.instance,
            type: pending.type,
            request_id: pending.request_id,
            tpp: pending.tpp,
            thumbprint: pending.thumbprint,
            subject: pending.subject,
            detail: pending.detail,
            prev_hash: hash,
            hash: '',
          };
          hash = record.hash = recordHash(record);
          for (const column of AUDIT_COLUMNS) values.push(record[column]);
        }
        let row = 0;
        for (const rows of insertChunks(batch.length)) {
          const start = row * AUDIT_COLUMNS.length;
          row += rows;
          await trx.executeQuery({
            ...this.insertOf(rows),
            parameters: values.slice(start, row * AUDIT_COLUMNS.length),
          });
        }
        await trx.updateTable('audit_head').set({ seq, hash }).where('id', '=', 1).execute();
        return { seq, hash };
      });
      // Only now: a failed transaction keeps the batch queued for the next attempt.
      this.queue.splice(0, batch.length);
      this.checkpoint(head);
    }
  }

  private insertOf(rows: number): CompiledQuery {
    let insert = this.inserts.get(rows);
    if (insert === undefined) this.inserts.set(rows, (insert = compileInsert(this.db, rows)));
    return insert;
  }

  /** The head in the log (at most every 10 s): an anchor outside the database for `audit verify`. */
  private checkpoint(head: { seq: number; hash: string }): void {
    const now = Date.now();
    if (now - this.lastCheckpoint.at < 10_000) return;
    this.lastCheckpoint = { seq: head.seq, at: now };
    this.options.logger?.info(
      { event: 'audit_checkpoint', seq: head.seq, hash: head.hash },
      'audit chain head',
    );
  }

  /** Writes everything queued; the drain on SIGTERM waits for it. */
  async flush(): Promise<void> {
    for (;;) {
      if (this.flushing !== undefined) await this.flushing;
      if (this.queue.length === 0) return;
      this.scope.runInAsyncScope(() => this.kick());
    }
  }

  async close(): Promise<void> {
    await this.flush();
    clearTimeout(this.timer);
  }
}

/** The records in sequence order, read in pages so a long chain never sits in memory. */
async function* recordsOf(
  db: Kysely<AuditTables>,
  where?: { from?: string; to?: string },
): AsyncIterable<AuditRecord> {
  let after = 0;
  for (;;) {
    let query = db.selectFrom('audit_log').selectAll().where('seq', '>', after);
    if (where?.from !== undefined) query = query.where('at', '>=', where.from);
    if (where?.to !== undefined) query = query.where('at', '<', where.to);
    const page = await query.orderBy('seq').limit(1000).execute();
    for (const row of page) yield { ...row, seq: asNumber(row.seq) };
    if (page.length < 1000) return;
    after = asNumber(page[page.length - 1]?.seq);
  }
}

export async function verifyAuditTrail(db: Kysely<Database>): Promise<ChainVerdict> {
  const tables = db as unknown as Kysely<AuditTables>;
  const head = await tables
    .selectFrom('audit_head')
    .select(['seq', 'hash'])
    .where('id', '=', 1)
    .executeTakeFirstOrThrow();
  return verifyChain(recordsOf(tables), { seq: asNumber(head.seq), hash: head.hash });
}

/** Records with `from <= at < to` (ISO timestamps), in sequence order. */
export function exportAuditTrail(
  db: Kysely<Database>,
  range: { from?: string; to?: string },
): AsyncIterable<AuditRecord> {
  return recordsOf(db as unknown as Kysely<AuditTables>, range);
}
