import type { Kysely, Selectable } from 'kysely';
import type { Consent, ConsentAccess, ConsentGrant, ConsentStatus } from '../consent/consent';
import type {
  ConsentListFilter,
  ConsentRepository,
  ConsentTransitionParams,
} from '../consent/consent_repository';
import { changeAndPublish } from './change_notice';
import { PreparedQuery, type ParamSlot } from './prepared_query';
import type { ConsentsTable, Database } from './schema';
import { ownerColumns, ownerFromColumns } from './tpp_owner_columns';

function toConsent(row: Selectable<ConsentsTable>): Consent {
  return {
    id: row.id,
    owner: ownerFromColumns(row),
    tppRedirectUri: row.tpp_redirect_uri,
    status: row.status as ConsentStatus,
    access: JSON.parse(row.requested_access) as ConsentAccess,
    grant: row.granted_access === null ? undefined : (JSON.parse(row.granted_access) as ConsentGrant),
    psuId: row.psu_id ?? undefined,
    recurringIndicator: Number(row.recurring_indicator) === 1,
    validUntil: row.valid_until,
    frequencyPerDay: Number(row.frequency_per_day),
    combinedServiceIndicator: Number(row.combined_service_indicator) === 1,
    createdAt: new Date(row.created_at),
    lastActionDate: row.last_action_date,
  };
}

export class KyselyConsentRepository implements ConsentRepository {
  /** Every AIS read starts here: compiled once. */
  private readonly byId: PreparedQuery<Database, { id: string }, Selectable<ConsentsTable>>;

  constructor(private readonly db: Kysely<Database>) {
    this.byId = new PreparedQuery(db, (q, p: ParamSlot<{ id: string }>) =>
      q.selectFrom('consents').selectAll().where('id', '=', p('id')),
    );
  }

  async insert(consent: Consent): Promise<void> {
    await this.db
      .insertInto('consents')
      .values({
        id: consent.id,
        ...ownerColumns(consent.owner),
        tpp_redirect_uri: consent.tppRedirectUri,
        status: consent.status,
        requested_access: JSON.stringify(consent.access),
        granted_access: consent.grant === undefined ? null : JSON.stringify(consent.grant),
        psu_id: consent.psuId ?? null,
        recurring_indicator: consent.recurringIndicator ? 1 : 0,
        valid_until: consent.validUntil,
        frequency_per_day: consent.frequencyPerDay,
        combined_service_indicator: consent.combinedServiceIndicator ? 1 : 0,
        created_at: consent.createdAt.toISOString(),
        last_action_date: consent.lastActionDate,
      })
      .execute();
  }

  async findById(id: string): Promise<Consent | undefined> {
    const row = await this.byId.executeTakeFirst({ id });
    return row === undefined ? undefined : toConsent(row);
  }

  async list(filter: ConsentListFilter = {}): Promise<Consent[]> {
    let query = this.db.selectFrom('consents').selectAll();
    if (filter.tppOrganizationIdentifier !== undefined) {
      query = query.where('tpp_organization_identifier', '=', filter.tppOrganizationIdentifier);
    }
    if (filter.status !== undefined) query = query.where('status', '=', filter.status);
    if (filter.psuId !== undefined) query = query.where('psu_id', '=', filter.psuId);
    const rows = await query.orderBy('created_at').orderBy('id').execute();
    return rows.map(toConsent);
  }

  async transition(id: string, params: ConsentTransitionParams): Promise<Consent | undefined> {
    if (params.from.length === 0) return undefined;
    // Other instances drop their copy when this commits; a read they admit meanwhile is re-checked in the
    // store anyway.
    const row = await changeAndPublish(
      this.db,
      (db) =>
        db
          .updateTable('consents')
          .set({
            status: params.to,
            last_action_date: params.lastActionDate,
            ...(params.psuId !== undefined ? { psu_id: params.psuId } : {}),
            ...(params.grant !== undefined ? { granted_access: JSON.stringify(params.grant) } : {}),
          })
          .where('id', '=', id)
          .where('status', 'in', [...params.from])
          .returningAll()
          .executeTakeFirst(),
      (changed) => (changed === undefined ? undefined : { topic: 'consent', key: id }),
    );
    if (row === undefined) return undefined;
    return toConsent(row);
  }

  async admitAccess(id: string, day: string, limit: number): Promise<boolean> {
    // One statement: insert the day's first access or increment while under the limit. When the
    // conflict-update's WHERE fails, nothing is returned and the access is refused.
    const row = await this.db
      .insertInto('consent_usage')
      .values({ consent_id: id, day, count: 1 })
      .onConflict((oc) =>
        oc
          .columns(['consent_id', 'day'])
          .doUpdateSet({ count: (eb) => eb('consent_usage.count', '+', 1) })
          .where('consent_usage.count', '<', limit),
      )
      .returning('count')
      .executeTakeFirst();
    return row !== undefined && Number(row.count) <= limit;
  }

  async lastAccessDay(id: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('consent_usage')
      .select((eb) => eb.fn.max('day').as('last'))
      .where('consent_id', '=', id)
      .executeTakeFirst();
    return row?.last ?? undefined;
  }

  async accessCount(id: string, day: string): Promise<number> {
    const row = await this.db
      .selectFrom('consent_usage')
      .select('count')
      .where('consent_id', '=', id)
      .where('day', '=', day)
      .executeTakeFirst();
    return row === undefined ? 0 : Number(row.count);
  }
}
