/**
 * Issue 17.5: the listener connection every instance keeps on PostgreSQL. Real server: notices published
 * by another connection arrive; a connection the server kills is re-opened, with a resync in between
 * (caches dropped, bypassed while it is down), and notices flow again.
 */
import { Client } from 'pg';
import { publishChange, type ChangeNotice } from '../../src/store/change_notice';
import { openStore, type Store } from '../../src/store/open_store';
import { PostgresChangeListener, type ChangeEvent } from '../../src/store/postgres_change_listener';
import { createTestDatabase, describeForDatabase, type TestDatabase } from './test_databases';

describeForDatabase('postgres')('PostgresChangeListener', () => {
  let database: TestDatabase;
  let store: Store;
  let listener: PostgresChangeListener;
  const events: ChangeEvent[] = [];

  /** Resolves with the first event, from now on, that `match` accepts. */
  function next(match: (event: ChangeEvent) => boolean): Promise<ChangeEvent> {
    const seen = events.length;
    return new Promise((resolve) => {
      const timer = setInterval(() => {
        const found = events.slice(seen).find(match);
        if (found !== undefined) {
          clearInterval(timer);
          resolve(found);
        }
      }, 10);
    });
  }

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    store = await openStore(database.url);
    listener = new PostgresChangeListener({ databaseUrl: database.url, retryDelaysMs: [50, 100] });
    listener.on((event) => events.push(event));
    await listener.start();
  });
  afterAll(async () => {
    await listener?.close();
    await store?.close();
    await database?.drop();
  });

  it('hears a notice published on another connection, and one published in a transaction only at commit', async () => {
    expect(events).toEqual([{ topic: 'resync' }]);
    const notice: ChangeNotice = { topic: 'consent', key: 'c-1' };
    const heard = next((e) => e.topic === 'consent');
    await publishChange(store.db, notice);
    expect(await heard).toEqual(notice);

    const before = events.length;
    await expect(
      store.db.transaction().execute(async (trx) => {
        await publishChange(trx, { topic: 'stop_list' });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    const after = next((e) => e.topic === 'token');
    await publishChange(store.db, { topic: 'token' });
    await after;
    expect(events.slice(before).map((e) => e.topic)).toEqual(['token']);
  });

  it('re-opens a connection the server killed, with a resync, and hears notices again', async () => {
    const admin = new Client({ connectionString: database.url });
    await admin.connect();
    try {
      const lost = next((e) => e.topic === 'resync');
      await admin.query(
        `select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and query like 'LISTEN%'`,
      );
      await lost;
      const back = next((e) => e.topic === 'resync');
      await back;
      expect(listener.listening).toBe(true);
      const heard = next((e) => e.topic === 'trust_material');
      await publishChange(store.db, { topic: 'trust_material', key: 'other' });
      expect(await heard).toEqual({ topic: 'trust_material', key: 'other' });
    } finally {
      await admin.end();
    }
  });

  it('publishes nothing on SQLite', async () => {
    const sqlite = await openStore('sqlite::memory:');
    try {
      await expect(publishChange(sqlite.db, { topic: 'stop_list' })).resolves.toBeUndefined();
    } finally {
      await sqlite.close();
    }
  });
});
