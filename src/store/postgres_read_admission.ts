import type { Kysely } from 'kysely';
import type { ReadAdmission, ReadAdmissionParams, ReadAdmissionResult } from '../consent/read_admission';
import { directStatementsOf } from './prepared_query';

/**
 * One round trip: `live` finds the consent only if it is valid and the token and its grant unrevoked;
 * `counted` adds the read to the day's count only then, and only while under the limit (the conflict
 * update's WHERE fails at the limit, so nothing is returned). Exact across instances: the upsert locks
 * the day's row, as ConsentRepository.admitAccess does.
 */
export const READ_ADMISSION_SQL = `with live as (
  select c.id from consents c
  where c.id = $1 and c.status = 'valid'
    and exists (
      select 1 from oauth_token t join oauth_grant g on g.id = t.grant_id
      where t.token_hash = $2 and t.kind = 'access' and t.revoked_at is null and g.revoked_at is null
    )
), counted as (
  insert into consent_usage (consent_id, day, count)
  select id, $3, 1 from live where $4::boolean
  on conflict (consent_id, day) do update set count = consent_usage.count + 1
  where consent_usage.count < $5::integer
  returning count
)
select (select count(*) from live)::integer as live, (select count(*) from counted)::integer as counted`;

export class PostgresReadAdmission implements ReadAdmission {
  constructor(private readonly db: Kysely<unknown>) {}

  async admit(params: ReadAdmissionParams): Promise<ReadAdmissionResult> {
    const direct = directStatementsOf(this.db);
    if (direct === undefined) throw new Error('PostgresReadAdmission needs the store opened by openStore');
    const values = [params.consentId, params.accessTokenHash, params.day, params.count, params.limit];
    const rows = (await direct.run(READ_ADMISSION_SQL, values)) as
      { live: number; counted: number }[] | undefined;
    const row = rows?.[0];
    const live = Number(row?.live ?? 0) > 0;
    return { live, admitted: live && (!params.count || Number(row?.counted ?? 0) > 0) };
  }
}
