import type { Kysely } from 'kysely';
import type { RegisteredRedirectHosts } from '../consent/redirect_uri_policy';
import type { Database } from './schema';

export interface TppRedirectHostEntry {
  organizationIdentifier: string;
  host: string;
  addedAt: string;
}

/**
 * The bank's TPP directory. Read once per consent creation, never on the read path, so no process keeps
 * a copy: a host added or removed on one instance counts on every instance at the next consent.
 */
export class KyselyTppRedirectHosts implements RegisteredRedirectHosts {
  constructor(private readonly db: Kysely<Database>) {}

  /** `created` is false when the host was already registered for the TPP. */
  async add(organizationIdentifier: string, host: string, at: Date): Promise<{ created: boolean }> {
    const result = await this.db
      .insertInto('tpp_redirect_hosts')
      .values({ organization_identifier: organizationIdentifier, host, added_at: at.toISOString() })
      .onConflict((oc) => oc.columns(['organization_identifier', 'host']).doNothing())
      .executeTakeFirst();
    return { created: Number(result.numInsertedOrUpdatedRows ?? 0n) > 0 };
  }

  /** Whether the host was registered. */
  async remove(organizationIdentifier: string, host: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('tpp_redirect_hosts')
      .where('organization_identifier', '=', organizationIdentifier)
      .where('host', '=', host)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async list(organizationIdentifier?: string): Promise<TppRedirectHostEntry[]> {
    let query = this.db.selectFrom('tpp_redirect_hosts').selectAll();
    if (organizationIdentifier !== undefined)
      query = query.where('organization_identifier', '=', organizationIdentifier);
    const rows = await query.orderBy('organization_identifier').orderBy('host').execute();
    return rows.map((r) => ({
      organizationIdentifier: r.organization_identifier,
      host: r.host,
      addedAt: r.added_at,
    }));
  }

  async hostsOf(organizationIdentifier: string): Promise<readonly string[]> {
    const rows = await this.db
      .selectFrom('tpp_redirect_hosts')
      .select('host')
      .where('organization_identifier', '=', organizationIdentifier)
      .execute();
    return rows.map((r) => r.host);
  }
}
