import type { Migration } from 'kysely';
import { coreMigrations } from './core_migrations';
import { oauthMigrations } from './oauth_migrations';
import { operationsMigrations } from './operations_migrations';

function merged(...sets: Record<string, Migration>[]): Record<string, Migration> {
  const all: Record<string, Migration> = {};
  for (const set of sets) {
    for (const [name, migration] of Object.entries(set)) {
      if (name in all) throw new Error(`migration name ${name} is used twice`);
      all[name] = migration;
    }
  }
  return all;
}

/**
 * Every table the gateway owns, in one set. Whoever opens the store (the gateway, the consent CLI, the
 * bench seeder, a test) applies exactly this set: Kysely refuses a database whose applied migrations it
 * does not know ("corrupted migrations"), so a tool opening with fewer would lock itself out of a
 * database the gateway had used.
 */
export const STORE_MIGRATIONS: Readonly<Record<string, Migration>> = merged(
  coreMigrations,
  oauthMigrations,
  operationsMigrations,
);
