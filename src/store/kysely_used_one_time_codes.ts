import type { Kysely } from 'kysely';
import type { UsedOneTimeCodes } from '../sca/one_time_code_verifier';
import type { OAuthTables } from './oauth_schema';

/**
 * Used one-time codes on Kysely: one insert that does nothing on a key already there, so of two sign-ins
 * racing with one code on any instances exactly one records it. Expired keys go with the store's sweep.
 */
export class KyselyUsedOneTimeCodes implements UsedOneTimeCodes {
  constructor(private readonly db: Kysely<OAuthTables>) {}

  async record(key: string, expiresAt: Date): Promise<boolean> {
    const result = await this.db
      .insertInto('sca_used_one_time_code')
      .values({ key, expires_at: expiresAt.getTime() })
      .onConflict((oc) => oc.column('key').doNothing())
      .executeTakeFirst();
    return (result.numInsertedOrUpdatedRows ?? 0n) > 0n;
  }
}
