import { PostgresAdapter, sql, type QueryExecutorProvider } from 'kysely';

/**
 * What one gateway instance tells the others sharing its PostgreSQL database: the row behind a cached
 * copy changed. A notice only invalidates; the rows stay the truth, so a lost notice makes a cache
 * older, never wrong about a read (see PostgresReadAdmission), and the stop list is still polled.
 */
export type ChangeTopic = 'stop_list' | 'consent' | 'token' | 'trust_material';

export interface ChangeNotice {
  topic: ChangeTopic;
  /** The consent id or token grant, when the change concerns one row. */
  key?: string;
}

/** The one channel every instance LISTENs on. */
export const CHANGE_CHANNEL = 'psd2_gateway_changes';

const TOPICS: ReadonlySet<string> = new Set<ChangeTopic>(['stop_list', 'consent', 'token', 'trust_material']);

export function encodeNotice(notice: ChangeNotice): string {
  return notice.key === undefined ? notice.topic : `${notice.topic}:${notice.key}`;
}

/** A payload from the channel, or undefined for one this version does not know (ignored). */
export function decodeNotice(payload: string | undefined): ChangeNotice | undefined {
  if (payload === undefined) return undefined;
  const colon = payload.indexOf(':');
  const topic = colon < 0 ? payload : payload.slice(0, colon);
  if (!TOPICS.has(topic)) return undefined;
  return colon < 0
    ? { topic: topic as ChangeTopic }
    : { topic: topic as ChangeTopic, key: payload.slice(colon + 1) };
}

export function isPostgres(db: QueryExecutorProvider): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/**
 * NOTIFY the other instances. Inside a transaction (pass the transaction) it is delivered at commit and
 * not at all on rollback. On SQLite there is one instance and nothing to tell: a no-op.
 */
export async function publishChange(db: QueryExecutorProvider, notice: ChangeNotice): Promise<void> {
  if (!isPostgres(db)) return;
  await sql`select pg_notify(${CHANGE_CHANNEL}, ${encodeNotice(notice)})`.execute(db);
}
