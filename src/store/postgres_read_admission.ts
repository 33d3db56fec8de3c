import type { Kysely } from 'kysely';
import type { ReadAdmission, ReadAdmissionParams, ReadAdmissionResult } from '../consent/read_admission';
import { directStatementsOf } from './prepared_query';
import { TurnBatch } from './turn_batch';

/**
 * The admissions of one event-loop turn in one statement (one round trip for every read that arrived
 * together). `req` is one row per read, `n` its place; `live` keeps the reads whose consent is valid and
 * whose token and grant (for that consent) are unrevoked; `counted` adds each such read that counts to
 * its day's count, only while under the limit (the conflict update's WHERE fails at the limit, so nothing
 * is returned). Exact across instances: the upsert locks the day's row, as ConsentRepository.admitAccess
 * does. A statement holds at most one counted read per consent and day (TurnBatch's exclusive key): an
 * upsert may not touch one row twice, and a second read of the same day waits for the first one's
 * statement to commit.
 */
export const READ_ADMISSION_SQL = `with req as (
  select * from unnest($1::text[], $2::text[], $3::text[], $4::boolean[], $5::integer[])
    with ordinality as r(consent_id, token_hash, day, counts, lim, n)
), live as (
  select r.n, r.consent_id, r.day, r.counts from req r join consents c on c.id = r.consent_id
  where c.status = 'valid'
    and exists (
      select 1 from oauth_token t join oauth_grant g on g.id = t.grant_id
      where t.token_hash = r.token_hash and t.kind = 'access' and t.revoked_at is null
        and g.revoked_at is null and g.consent_id = r.consent_id
    )
), counted as (
  insert into consent_usage (consent_id, day, count)
  select consent_id, day, 1 from live where counts
  on conflict (consent_id, day) do update set count = consent_usage.count + 1
  where consent_usage.count < (
    select q.lim from req q where q.counts and q.consent_id = excluded.consent_id and q.day = excluded.day
  )
  returning consent_id, day
)
select exists (select 1 from live l where l.n = r.n) as live,
  r.counts and exists (select 1 from counted k where k.consent_id = r.consent_id and k.day = r.day) as counted
from req r order by r.n`;

/** Reads per statement: five bound arrays whatever the count; the rows stay few. */
const MAX_READS_PER_STATEMENT = 256;

interface AdmissionRow {
  live: boolean;
  counted: boolean;
}

export class PostgresReadAdmission implements ReadAdmission {
  private readonly batch: TurnBatch<ReadAdmissionParams, ReadAdmissionResult>;

  constructor(db: Kysely<unknown>) {
    const direct = directStatementsOf(db);
    if (direct === undefined) throw new Error('PostgresReadAdmission needs the store opened by openStore');
    this.batch = new TurnBatch({
      maxItems: MAX_READS_PER_STATEMENT,
      exclusiveKey: (read) => (read.count ? `${read.consentId}\u0000${read.day}` : undefined),
      run: async (reads) => {
        const values = [
          reads.map((r) => r.consentId),
          reads.map((r) => r.accessTokenHash),
          reads.map((r) => r.day),
          reads.map((r) => r.count),
          reads.map((r) => r.limit),
        ];
        const rows = ((await direct.run(READ_ADMISSION_SQL, values)) ?? []) as AdmissionRow[];
        return rows.map((row, i) => ({
          live: row.live,
          admitted: row.live && (!(reads[i] as ReadAdmissionParams).count || row.counted),
        }));
      },
    });
  }

  admit(params: ReadAdmissionParams): Promise<ReadAdmissionResult> {
    return this.batch.submit(params);
  }
}
