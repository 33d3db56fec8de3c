/**
 * Fills a store with consents nobody will read during the run, so the read benchmark shows whether a
 * request's cost depends on how many consents the bank holds. Rows go straight in through Kysely, in one
 * transaction, in chunks sized for both drivers' parameter limits.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { openStore, type Store } from '../store/open_store';
import type { ConsentsTable } from '../store/schema';

const CHUNK = 1000;
const STATUSES = ['valid', 'valid', 'valid', 'received', 'expired', 'revokedByPsu', 'terminatedByTpp'];

function row(i: number, today: string, validUntil: string): ConsentsTable {
  const tpp = 100_000 + (i % 500);
  const status = STATUSES[i % STATUSES.length] as string;
  return {
    id: randomUUID(),
    tpp_organization_identifier: `PSDDE-BAFIN-${tpp}`,
    tpp_name: `Seeded TPP ${tpp}`,
    tpp_nca_name: 'Federal Financial Supervisory Authority',
    tpp_nca_id: 'DE-BAFIN',
    tpp_certificate_thumbprint: randomUUID().replace(/-/g, '').padEnd(43, 'A'),
    tpp_redirect_uri: `https://tpp-${tpp}.example/callback`,
    status,
    requested_access: JSON.stringify({ allPsd2: 'allAccounts' }),
    granted_access: status === 'received' ? null : JSON.stringify({ allPsd2: 'allAccounts' }),
    psu_id: status === 'received' ? null : `seeded-psu-${i % 50_000}`,
    recurring_indicator: 1,
    valid_until: validUntil,
    frequency_per_day: 4,
    combined_service_indicator: 0,
    created_at: new Date().toISOString(),
    last_action_date: today,
  };
}

/**
 * What an operator does after a bulk load, so that the measurement that follows is not also measuring
 * the database catching up on it: fresh planner statistics, and the load's write-ahead log checkpointed
 * (PostgreSQL's autovacuum/analyze and checkpointer otherwise wake up during the first minute of load).
 */
async function settle(store: Store): Promise<void> {
  if (store.dialect === 'postgres') {
    await sql`VACUUM ANALYZE consents`.execute(store.db);
    await sql`CHECKPOINT`.execute(store.db);
  } else {
    await sql`ANALYZE`.execute(store.db);
    await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(store.db);
  }
}

/** Adds `count` consents to the database at `databaseUrl` (migrating it first if it is new). */
export async function seedConsents(databaseUrl: string, count: number): Promise<void> {
  const store = await openStore(databaseUrl);
  try {
    const today = new Date().toISOString().slice(0, 10);
    const validUntil = new Date(Date.now() + 90 * 86_400_000).toISOString().slice(0, 10);
    await store.db.transaction().execute(async (trx) => {
      for (let start = 0; start < count; start += CHUNK) {
        const rows: ConsentsTable[] = [];
        for (let i = start; i < Math.min(count, start + CHUNK); i++) rows.push(row(i, today, validUntil));
        await trx.insertInto('consents').values(rows).execute();
      }
    });
    await settle(store);
  } finally {
    await store.close();
  }
}
