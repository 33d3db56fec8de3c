import type { Migration } from 'kysely';
import { oauthMigrations } from './oauth_migrations';
import { operationsMigrations } from './operations_migrations';

/**
 * Every migration the gateway applies beyond the core set, in one place: the gateway and the tools that
 * open its store (audit, stats) pass the same set, so none of them finds a migration it does not know.
 */
export const gatewayMigrations: Record<string, Migration> = { ...oauthMigrations, ...operationsMigrations };
