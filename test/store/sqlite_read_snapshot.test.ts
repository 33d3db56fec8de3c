/**
 * The read snapshot shared by the direct SQLite reads of one event-loop turn, on a real SQLite file:
 * what the turn's reads share, and that nothing written before a read, by Kysely on the same connection
 * or by another connection (the consent CLI, another worker), is missed by it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { openStore, type Store } from '../../src/store/open_store';
import { PreparedQuery, type ParamSlot } from '../../src/store/prepared_query';
import { SqliteReadSnapshot } from '../../src/store/sqlite_read_snapshot';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('SqliteReadSnapshot', () => {
  let dir: string;
  let file: string;
  let reader: BetterSqlite3.Database;
  let writer: BetterSqlite3.Database;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'psd2-snapshot-'));
    file = path.join(dir, 'db.sqlite');
    reader = new BetterSqlite3(file);
    reader.pragma('journal_mode = WAL');
    reader.exec('CREATE TABLE t (n INTEGER)');
    writer = new BetterSqlite3(file);
  });
  afterEach(() => {
    reader.close();
    writer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const count = (db: BetterSqlite3.Database) =>
    (db.prepare('SELECT count(*) AS c FROM t').get() as { c: number }).c;

  it('keeps one read transaction for the reads of a turn and ends it when the turn is over', async () => {
    const snapshot = new SqliteReadSnapshot(reader);
    expect(snapshot.read(() => count(reader))).toBe(0);
    expect(reader.inTransaction).toBe(true);
    // Another connection commits meanwhile: the turn's later reads keep the snapshot they started with.
    writer.prepare('INSERT INTO t VALUES (1)').run();
    expect(snapshot.read(() => count(reader))).toBe(0);
    await nextTurn();
    expect(reader.inTransaction).toBe(false);
    expect(snapshot.isOpen).toBe(false);
    expect(snapshot.read(() => count(reader))).toBe(1);
  });

  it('ends the snapshot before any other use of the connection', () => {
    const snapshot = new SqliteReadSnapshot(reader);
    snapshot.read(() => count(reader));
    snapshot.endBeforeOtherUse();
    expect(reader.inTransaction).toBe(false);
    reader.prepare('INSERT INTO t VALUES (2)').run();
    expect(snapshot.read(() => count(reader))).toBe(1);
  });

  it('survives SQLite ending the transaction itself before the turn is over', async () => {
    const failures: Error[] = [];
    const snapshot = new SqliteReadSnapshot(reader, (error) => failures.push(error));
    snapshot.read(() => count(reader));
    // What an I/O error does to a transaction: SQLite rolls it back on its own.
    reader.prepare('ROLLBACK').run();
    await nextTurn();
    expect(snapshot.isOpen).toBe(false);
    expect(failures).toEqual([]);
    expect(snapshot.read(() => count(reader))).toBe(0);
  });

  it('stays out of a transaction it did not open', () => {
    const snapshot = new SqliteReadSnapshot(reader);
    reader.prepare('BEGIN').run();
    let ran = false;
    expect(
      snapshot.read(() => {
        ran = true;
        return 0;
      }),
    ).toBeUndefined();
    expect(ran).toBe(false);
    reader.prepare('ROLLBACK').run();
  });
});

describe('direct reads of a SQLite store', () => {
  let dir: string;
  let url: string;
  let store: Store;
  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'psd2-snapshot-store-'));
    url = `sqlite:${path.join(dir, 'gateway.db')}`;
    store = await openStore(url);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const psuNamed = (s: Store) =>
    new PreparedQuery(s.db, (q, p: ParamSlot<{ id: string }>) =>
      q.selectFrom('psus').select('display_name').where('psu_id', '=', p('id')),
    );
  const insertPsu = (s: Store, id: string) =>
    s.db.insertInto('psus').values({ psu_id: id, display_name: id, password_hash: 'x' }).execute();

  it("see a row Kysely wrote on the same connection in the same turn, after the turn's first read", async () => {
    const read = psuNamed(store);
    await expect(read.execute({ id: 'erik' })).resolves.toEqual([]);
    await insertPsu(store, 'erik');
    await expect(read.execute({ id: 'erik' })).resolves.toEqual([{ display_name: 'erik' }]);
  });

  it('see in the next turn what another connection (the consent CLI, another worker) committed', async () => {
    const read = psuNamed(store);
    await expect(read.execute({ id: 'frida' })).resolves.toEqual([]);
    const other = await openStore(url);
    try {
      await insertPsu(other, 'frida');
    } finally {
      await other.close();
    }
    await nextTurn();
    await expect(read.execute({ id: 'frida' })).resolves.toEqual([{ display_name: 'frida' }]);
  });

  it('leave a prepared write with RETURNING to Kysely, committed at once, not at the end of the turn', async () => {
    const read = psuNamed(store);
    const insert = new PreparedQuery(store.db, (q, p: ParamSlot<{ id: string }>) =>
      q
        .insertInto('psus')
        .values({ psu_id: p('id'), display_name: 'returned', password_hash: 'x' })
        .returning('psu_id'),
    );
    await read.execute({ id: 'nobody' });
    await expect(insert.execute({ id: 'hugo' })).resolves.toEqual([{ psu_id: 'hugo' }]);
    const other = new BetterSqlite3(url.slice('sqlite:'.length));
    try {
      expect(other.prepare('SELECT display_name FROM psus WHERE psu_id = ?').get('hugo')).toEqual({
        display_name: 'returned',
      });
    } finally {
      other.close();
    }
  });

  it('leave the connection free for a Kysely transaction started in the same turn', async () => {
    const read = psuNamed(store);
    await read.execute({ id: 'nobody' });
    await store.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('psus')
        .values({ psu_id: 'greta', display_name: 'greta', password_hash: 'x' })
        .execute();
    });
    await expect(read.execute({ id: 'greta' })).resolves.toEqual([{ display_name: 'greta' }]);
  });
});
