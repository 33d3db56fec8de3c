import BetterSqlite3 from 'better-sqlite3';
import { STATEMENT_CACHE_SIZE, withStatementCache } from '../../src/store/open_store';

function setUp(): { prepared: string[]; cache: ReturnType<typeof withStatementCache>; close(): void } {
  const database = new BetterSqlite3(':memory:');
  const prepared: string[] = [];
  const prepare = database.prepare.bind(database);
  database.prepare = ((sql: string) => {
    prepared.push(sql);
    return prepare(sql);
  }) as typeof database.prepare;
  return { prepared, cache: withStatementCache(database), close: () => database.close() };
}

const query = (n: number): string => `SELECT ${n} AS n`;

describe('the SQLite statement cache', () => {
  it('prepares a statement once and answers from it again', () => {
    const { prepared, cache, close } = setUp();
    const first = cache.prepare(query(1));
    const second = cache.prepare(query(1));
    expect(second).toBe(first);
    expect(second.get()).toEqual({ n: 1 });
    expect(prepared).toEqual([query(1)]);
    close();
  });

  it('keeps the most recently used statements when full', () => {
    const { prepared, cache, close } = setUp();
    for (let n = 0; n < STATEMENT_CACHE_SIZE; n++) cache.prepare(query(n));
    cache.prepare(query(0)); // now the most recent
    cache.prepare(query(STATEMENT_CACHE_SIZE)); // evicts query(1), the least recent
    prepared.length = 0;
    cache.prepare(query(0));
    cache.prepare(query(STATEMENT_CACHE_SIZE));
    expect(prepared).toEqual([]);
    cache.prepare(query(1));
    expect(prepared).toEqual([query(1)]);
    close();
  });
});
