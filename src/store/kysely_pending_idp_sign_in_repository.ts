import type { Kysely } from 'kysely';
import type { IdpSignInPurpose, PendingIdpSignIn, PendingIdpSignInStore } from '../psu/idp_sign_in';
import type { OAuthTables } from './oauth_schema';

/** Sign-ins at the bank's identity provider in flight, keyed by the state's hash. */
export class KyselyPendingIdpSignInRepository implements PendingIdpSignInStore {
  constructor(private readonly db: Kysely<OAuthTables>) {}

  async save(p: PendingIdpSignIn): Promise<void> {
    await this.db
      .insertInto('psu_oidc_login')
      .values({
        state_hash: p.stateHash,
        nonce: p.nonce,
        code_verifier: p.codeVerifier,
        purpose: p.purpose,
        session_hash: p.sessionHash,
        started_at: p.startedAt.toISOString(),
        expires_at: p.expiresAt.toISOString(),
      })
      .execute();
  }

  async take(stateHash: string): Promise<PendingIdpSignIn | undefined> {
    // DELETE … RETURNING (SQLite ≥ 3.35, PostgreSQL): of two returns racing, one gets the row.
    const row = await this.db
      .deleteFrom('psu_oidc_login')
      .where('state_hash', '=', stateHash)
      .returningAll()
      .executeTakeFirst();
    // Left before the gateway recorded when: its freshness cannot be judged, so it counts as expired.
    if (row === undefined || row.started_at === null) return undefined;
    return {
      stateHash: row.state_hash,
      nonce: row.nonce,
      codeVerifier: row.code_verifier,
      purpose: row.purpose as IdpSignInPurpose,
      sessionHash: row.session_hash,
      startedAt: new Date(row.started_at),
      expiresAt: new Date(row.expires_at),
    };
  }
}
