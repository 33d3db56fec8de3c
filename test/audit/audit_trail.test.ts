/**
 * The audit trail's hash chain on SQLite and PostgreSQL: two gateway instances append to one global
 * chain, and `audit verify` names the first record someone changed, deleted, inserted or reordered
 * directly in the database.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { recordHash, type AuditRecord } from '../../src/audit/audit_chain';
import { auditCommand } from '../../src/cli/audit_command';
import { insertChunks, KyselyAuditTrail, verifyAuditTrail } from '../../src/store/kysely_audit_trail';
import { openStore, type Store } from '../../src/store/open_store';
import type { Database } from '../../src/store/schema';
import {
  DATABASE_KINDS,
  createTestDatabase,
  describeForDatabase,
  useTestStore,
  type TestDatabase,
} from '../store/test_databases';

const EVENTS_PER_INSTANCE = 150;

async function rows(db: Kysely<Database>): Promise<AuditRecord[]> {
  const result = await sql<AuditRecord>`select * from audit_log order by seq`.execute(db);
  return result.rows.map((r) => ({ ...r, seq: Number(r.seq) }));
}

async function runCli(databaseUrl: string, args: string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  let code = 0;
  const command = auditCommand({
    env: { GATEWAY_DATABASE_URL: databaseUrl },
    out: (line) => lines.push(line),
    err: () => undefined,
    setExitCode: (c) => (code = c),
  });
  command.exitOverride();
  await command.parseAsync(args, { from: 'user' });
  return { code, lines };
}

describe.each(DATABASE_KINDS)('audit trail on %s', (kind) => {
  describeForDatabase(kind)('', () => {
    let database: TestDatabase;
    let first: Store;
    let second: Store;

    beforeAll(async () => {
      database = await createTestDatabase(kind);
      first = await openStore(database.url);
      second = await openStore(database.url);
      // Two instances appending at once, in small batches so their transactions interleave.
      const trails = [first, second].map(
        (store, i) =>
          new KyselyAuditTrail(store.db, { batchSize: 20, flushIntervalMs: 1, instance: `gw-${i}` }),
      );
      for (let n = 0; n < EVENTS_PER_INSTANCE; n++) {
        trails.forEach((trail, i) =>
          trail.append({
            type: 'tpp.admitted',
            requestId: randomUUID(),
            tpp: 'PSDDE-BAFIN-123456',
            detail: { instance: i, n, operation: 'getBalances', status: 200 },
          }),
        );
        if (n % 25 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      await Promise.all(trails.map((t) => t.close()));
    });

    afterAll(async () => {
      await first?.close();
      await second?.close();
      await database?.drop();
    });

    it('holds one gap-free chain written by both instances', async () => {
      const records = await rows(first.db);
      expect(records).toHaveLength(2 * EVENTS_PER_INSTANCE);
      expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i + 1));
      expect(new Set(records.map((r) => r.instance))).toEqual(new Set(['gw-0', 'gw-1']));
      expect(await verifyAuditTrail(first.db)).toMatchObject({ ok: true, records: 2 * EVENTS_PER_INSTANCE });
      const cli = await runCli(database.url, ['verify']);
      expect(cli.code).toBe(0);
      expect(cli.lines[0]).toMatch(/^audit trail intact: 300 records; head 300 [0-9a-f]{64}$/);
    });

    /** Tampers, checks what verify reports, and puts the table back as it was. */
    async function tampered(
      tamper: (db: Kysely<Database>, records: AuditRecord[]) => Promise<void>,
    ): Promise<{ code: number; lines: string[] }> {
      const db = first.db;
      const original = await rows(db);
      const head = (await sql<{ seq: number; hash: string }>`select seq, hash from audit_head`.execute(db))
        .rows[0];
      try {
        await tamper(db, original);
        return await runCli(database.url, ['verify']);
      } finally {
        await sql`delete from audit_log`.execute(db);
        for (const r of original) {
          await sql`insert into audit_log (seq, at, instance, type, request_id, tpp, thumbprint, subject, detail, prev_hash, hash)
            values (${r.seq}, ${r.at}, ${r.instance}, ${r.type}, ${r.request_id}, ${r.tpp}, ${r.thumbprint}, ${r.subject}, ${r.detail}, ${r.prev_hash}, ${r.hash})`.execute(
            db,
          );
        }
        await sql`update audit_head set seq = ${head?.seq}, hash = ${head?.hash}`.execute(db);
        expect((await verifyAuditTrail(db)).ok).toBe(true);
      }
    }

    it('names a record whose content was edited', async () => {
      const result = await tampered(async (db) => {
        await sql`update audit_log set detail = ${'{"status":500}'} where seq = 42`.execute(db);
      });
      expect(result.code).toBe(1);
      expect(result.lines[0]).toBe(
        'audit trail broken at record 42: record 42 was changed: its content does not match its hash',
      );
    });

    it('names a deleted record', async () => {
      const result = await tampered(async (db) => {
        await sql`delete from audit_log where seq = 100`.execute(db);
      });
      expect(result.code).toBe(1);
      expect(result.lines[0]).toMatch(/^audit trail broken at record 100: record 100 is missing/);
    });

    it('names records cut from the end', async () => {
      const result = await tampered(async (db) => {
        await sql`delete from audit_log where seq > 297`.execute(db);
      });
      expect(result.code).toBe(1);
      expect(result.lines[0]).toMatch(/^audit trail broken at record 298: records 298 to 300 are missing/);
    });

    it('names a forged record inserted in the middle, even with its hashes recomputed', async () => {
      const result = await tampered(async (db, records) => {
        // Make room at 50 (in two steps: a unique key is checked row by row) and forge a linked record.
        await sql`update audit_log set seq = seq + 1000000 where seq >= 50`.execute(db);
        await sql`update audit_log set seq = seq - 999999 where seq >= 1000000`.execute(db);
        const unhashed = {
          ...(records[49] as AuditRecord),
          detail: '{"forged":true}',
          prev_hash: (records[48] as AuditRecord).hash,
        };
        const forged = { ...unhashed, hash: recordHash(unhashed) };
        await sql`insert into audit_log (seq, at, instance, type, request_id, tpp, thumbprint, subject, detail, prev_hash, hash)
          values (50, ${forged.at}, ${forged.instance}, ${forged.type}, ${forged.request_id}, ${forged.tpp}, ${forged.thumbprint}, ${forged.subject}, ${forged.detail}, ${forged.prev_hash}, ${forged.hash})`.execute(
          db,
        );
      });
      expect(result.code).toBe(1);
      expect(result.lines[0]).toBe(
        'audit trail broken at record 51: record 51 is the record written as 50: records were inserted, deleted or reordered here',
      );
    });

    it('names reordered records', async () => {
      const result = await tampered(async (db) => {
        await sql`update audit_log set seq = -1 where seq = 10`.execute(db);
        await sql`update audit_log set seq = 10 where seq = 11`.execute(db);
        await sql`update audit_log set seq = 11 where seq = -1`.execute(db);
      });
      expect(result.code).toBe(1);
      expect(result.lines[0]).toBe(
        'audit trail broken at record 10: record 10 is the record written as 11: records were inserted, deleted or reordered here',
      );
    });

    it('names a record appended outside the gateway', async () => {
      const result = await tampered(async (db, records) => {
        const last = records[records.length - 1] as AuditRecord;
        const unhashed = {
          ...last,
          seq: last.seq + 1,
          request_id: null,
          tpp: null,
          thumbprint: null,
          subject: null,
          detail: '{}',
          prev_hash: last.hash,
        };
        const hash = recordHash(unhashed);
        await sql`insert into audit_log (seq, at, instance, type, request_id, tpp, thumbprint, subject, detail, prev_hash, hash)
          values (${unhashed.seq}, ${unhashed.at}, ${unhashed.instance}, ${unhashed.type}, null, null, null, null, ${unhashed.detail}, ${unhashed.prev_hash}, ${hash})`.execute(
          db,
        );
      });
      expect(result.code).toBe(1);
      expect(result.lines[0]).toMatch(
        /^audit trail broken at record 301: .*appended or replaced outside the gateway/,
      );
    });

    it('exports a period as JSON lines with the hashes', async () => {
      const records = await rows(first.db);
      const day = (records[0] as AuditRecord).at.slice(0, 10);
      const all = await runCli(database.url, ['export', '--from', day, '--to', day]);
      expect(all.lines).toHaveLength(records.length);
      expect(JSON.parse(all.lines[0] as string)).toEqual(records[0]);
      const none = await runCli(database.url, ['export', '--from', '2000-01-01', '--to', '2000-01-31']);
      expect(none.lines).toEqual([]);
    });
  });
});

describe('audit INSERT sizes', () => {
  it.each([
    [0, []],
    [1, [1]],
    [255, [128, 64, 32, 16, 8, 4, 2, 1]],
    [256, [256]],
    [600, [256, 256, 64, 16, 8]],
  ])('%i records are written as %j', (rows, chunks) => {
    expect(insertChunks(rows)).toEqual(chunks);
  });
});

describe.each(DATABASE_KINDS)('audit batches larger than one INSERT on %s', (kind) => {
  describeForDatabase(kind)('', () => {
    const test = useTestStore(kind);

    it('writes 1000 events queued at once as one gap-free chain with every value in its column', async () => {
      const trail = new KyselyAuditTrail(test.store.db, {
        batchSize: 1000,
        flushIntervalMs: 1,
        instance: 'gw-big',
      });
      const ids = Array.from({ length: 1000 }, () => randomUUID());
      ids.forEach((requestId, n) =>
        trail.append({
          type: 'tpp.admitted',
          requestId,
          tpp: `PSDDE-BAFIN-${n}`,
          thumbprint: `thumb-${n}`,
          subject: `consent-${n}`,
          detail: { n },
        }),
      );
      await trail.close();
      const records = await rows(test.store.db);
      expect(records.map((r) => r.seq)).toEqual(ids.map((_, i) => i + 1));
      records.forEach((record, n) =>
        expect(record).toMatchObject({
          instance: 'gw-big',
          type: 'tpp.admitted',
          request_id: ids[n],
          tpp: `PSDDE-BAFIN-${n}`,
          thumbprint: `thumb-${n}`,
          subject: `consent-${n}`,
          detail: JSON.stringify({ n }),
        }),
      );
      expect(await verifyAuditTrail(test.store.db)).toMatchObject({ ok: true, records: 1000 });
    });
  });
});
