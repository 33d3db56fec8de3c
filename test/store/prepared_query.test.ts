import { sql } from 'kysely';
import { postgresStatementName, type Store } from '../../src/store/open_store';
import { PreparedQuery, PreparedQueryError, type ParamSlot } from '../../src/store/prepared_query';
import { DATABASE_KINDS, describeForDatabase, useTestStore } from './test_databases';

type PsuParams = { displayName: string; prefix: string };

describe.each(DATABASE_KINDS)('a prepared query on %s', (kind) => {
  describeForDatabase(kind)(kind, () => {
    const testStore = useTestStore(kind);
    let store: Store;

    beforeAll(async () => {
      store = testStore.store;
      await store.db
        .insertInto('psus')
        .values(
          ['anna', 'ben', 'clara', 'anton'].map((id) => ({
            psu_id: id,
            display_name: id === 'ben' ? 'B' : 'A',
            password_hash: 'x',
          })),
        )
        .execute();
    });

    const psusNamed = (s: Store) =>
      new PreparedQuery(s.db, (q, p: ParamSlot<PsuParams>) =>
        q
          .selectFrom('psus')
          .select('psu_id')
          .where('display_name', '=', p('displayName'))
          // A constant between two parameters: its position must survive.
          .where('password_hash', '=', 'x')
          .where('psu_id', 'like', p('prefix'))
          .orderBy('psu_id'),
      );

    it('gives what the same query built afresh gives, for each set of values', async () => {
      const prepared = psusNamed(store);
      for (const params of [
        { displayName: 'A', prefix: 'an%' },
        { displayName: 'A', prefix: '%' },
        { displayName: 'B', prefix: 'b%' },
        { displayName: 'B', prefix: 'a%' },
      ]) {
        const fresh = await store.db
          .selectFrom('psus')
          .select('psu_id')
          .where('display_name', '=', params.displayName)
          .where('password_hash', '=', 'x')
          .where('psu_id', 'like', params.prefix)
          .orderBy('psu_id')
          .execute();
        await expect(prepared.execute(params)).resolves.toEqual(fresh);
      }
      await expect(prepared.executeTakeFirst({ displayName: 'A', prefix: 'c%' })).resolves.toEqual({
        psu_id: 'clara',
      });
      await expect(prepared.executeTakeFirst({ displayName: 'Z', prefix: '%' })).resolves.toBeUndefined();
    });

    it('binds values, so a quote in a value is data, not SQL', async () => {
      const prepared = psusNamed(store);
      await expect(prepared.execute({ displayName: "A' OR '1'='1", prefix: '%' })).resolves.toEqual([]);
    });

    it('binds one parameter used twice at both places', async () => {
      const prepared = new PreparedQuery(store.db, (q, p: ParamSlot<{ id: string }>) =>
        q
          .selectFrom('psus')
          .select('psu_id')
          .where((eb) => eb.or([eb('psu_id', '=', p('id')), eb('display_name', '=', p('id'))])),
      );
      expect(prepared.compile({ id: 'ben' }).parameters).toEqual(['ben', 'ben']);
      await expect(prepared.execute({ id: 'ben' })).resolves.toEqual([{ psu_id: 'ben' }]);
    });

    it('never reads what an open transaction has not committed', async () => {
      const prepared = psusNamed(store);
      let inserted!: () => void;
      const insertedNow = new Promise<void>((resolve) => (inserted = resolve));
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const rolledBack = store.db.transaction().execute(async (trx) => {
        await trx
          .insertInto('psus')
          .values({ psu_id: 'dora', display_name: 'D', password_hash: 'x' })
          .execute();
        inserted();
        await released;
        throw new Error('roll back');
      });
      await insertedNow;
      const read = prepared.execute({ displayName: 'D', prefix: '%' });
      release();
      await expect(rolledBack).rejects.toThrow('roll back');
      await expect(read).resolves.toEqual([]);
    });

    it('refuses a parameter that would be written into the SQL text or is never bound', () => {
      expect(
        () =>
          new PreparedQuery(store.db, (q, p: ParamSlot<{ column: string }>) =>
            q.selectFrom('psus').select(sql.ref<string>(p('column')).as('c')),
          ),
      ).toThrow(PreparedQueryError);
      expect(
        () =>
          new PreparedQuery(store.db, (q, p: ParamSlot<{ id: string }>) => {
            p('id');
            return q.selectFrom('psus').select('psu_id');
          }),
      ).toThrow(/parameter id is not bound/);
    });
  });
});

describe('postgresStatementName', () => {
  it('names a statement after its text: the same text always, another text never the same name', () => {
    const a = postgresStatementName('select * from "consents" where "id" = $1');
    expect(postgresStatementName('select * from "consents" where "id" = $1')).toBe(a);
    expect(postgresStatementName('select * from "accounts" where "resource_id" = $1')).not.toBe(a);
    // PostgreSQL cuts identifiers at 63 bytes; a longer name would silently collide.
    expect(a).toMatch(/^psd2_[A-Za-z0-9_-]{22}$/);
  });
});

describeForDatabase('postgres')('a prepared query on postgres', () => {
  const testStore = useTestStore('postgres');

  it('runs as a named statement the server has prepared, with the compiled text', async () => {
    const { store } = testStore;
    const prepared = new PreparedQuery(store.db, (q, p: ParamSlot<{ id: string }>) =>
      q.selectFrom('psus').select('psu_id').where('psu_id', '=', p('id')),
    );
    await expect(prepared.execute({ id: 'nobody' })).resolves.toEqual([]);
    // Awaited one after another, the pool hands out the connection it just got back.
    const { rows } = await sql<{ name: string; statement: string }>`
      select name, statement from pg_prepared_statements`.execute(store.db);
    expect(rows).toContainEqual({ name: postgresStatementName(prepared.sql), statement: prepared.sql });
  });

  it('still answers when another instance migrated the table under a prepared `select *`', async () => {
    const { store } = testStore;
    await store.db
      .insertInto('psus')
      .values({ psu_id: 'ida', display_name: 'I', password_hash: 'x' })
      .execute();
    const prepared = new PreparedQuery(store.db, (q, p: ParamSlot<{ id: string }>) =>
      q.selectFrom('psus').selectAll().where('psu_id', '=', p('id')),
    );
    await expect(prepared.execute({ id: 'ida' })).resolves.toHaveLength(1);
    // The same connection comes back from the pool (see above); its named statement now returns a
    // row type PostgreSQL refuses to change ("cached plan must not change result type").
    await sql`alter table psus add column migrated_later text`.execute(store.db);
    await expect(prepared.execute({ id: 'ida' })).resolves.toEqual([
      expect.objectContaining({ psu_id: 'ida', migrated_later: null }),
    ]);
    await expect(prepared.execute({ id: 'ida' })).resolves.toHaveLength(1);
  });
});
