import type { Logger } from '../audit/logger';
import { oauthMigrations } from './oauth_migrations';
import { openStore, type Store } from './open_store';

/**
 * The store with every migration the gateway applies. The CLI opens the gateway's database with this too:
 * Kysely's migrator refuses a database holding migrations it was not given ("corrupted migrations").
 */
export function openGatewayStore(databaseUrl: string, logger?: Logger): Promise<Store> {
  return openStore(databaseUrl, { extraMigrations: oauthMigrations, ...(logger ? { logger } : {}) });
}
