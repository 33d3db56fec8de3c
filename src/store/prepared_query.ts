import { randomBytes } from 'node:crypto';
import type { CompiledQuery, Compilable, Kysely } from 'kysely';

/** Stands in for a named parameter while the query is built; typed as the value it will be replaced by. */
export type ParamSlot<P> = <K extends keyof P & string>(name: K) => P[K];

type Binding<P> = { param: keyof P & string } | { constant: unknown };

/**
 * Runs the statements PreparedQuery compiled without going through Kysely's driver, on a connection Kysely
 * also uses. On SQLite Kysely serialises every query through an async mutex and several promise hops,
 * where better-sqlite3 runs a read to completion before any other JavaScript can touch the connection.
 * On PostgreSQL Kysely sends every query unnamed, so the server parses and plans it each time; a named
 * statement is planned once per connection.
 */
export interface DirectStatements {
  /** Which SQL the connection speaks: a few reads have a form of their own per dialect. */
  readonly dialect: 'sqlite' | 'postgres';
  /**
   * The statement's rows; undefined hands it back to Kysely (on SQLite: a statement that writes, or an
   * open transaction that owns the connection and whose uncommitted rows a read must not see).
   */
  run(sql: string, parameters: readonly unknown[]): unknown[] | Promise<unknown[]> | undefined;
}

const directConnections = new WeakMap<object, DirectStatements>();

/** Declares that `db`'s connection can also be reached this way, so its prepared queries take it. */
export function registerDirectStatements(db: object, direct: DirectStatements): void {
  directConnections.set(db, direct);
}

/** The direct route registered for `db`, for statements written in SQL rather than built with Kysely. */
export function directStatementsOf(db: object): DirectStatements | undefined {
  return directConnections.get(db);
}

export class PreparedQueryError extends Error {
  override name = 'PreparedQueryError';
}

/**
 * A query built and compiled once, run many times with different parameter values. Kysely rebuilds and
 * recompiles its whole operation tree on every call; for the few queries on every AIS read that was
 * about a fifth of the gateway's CPU (bench profile of an authenticated balances read).
 *
 * Each named parameter is built with a unique marker value; compiling maps every marker to its position
 * in the parameter list. Only scalar values placed where Kysely binds a parameter work: a marker that
 * ends up inside the SQL text (an identifier, a raw fragment) or never appears is refused at preparation.
 */
export class PreparedQuery<DB, P extends Record<string, unknown>, R> {
  private readonly compiled: CompiledQuery<R>;
  private readonly bindings: readonly Binding<P>[];

  constructor(
    private readonly db: Kysely<DB>,
    build: (db: Kysely<DB>, param: ParamSlot<P>) => Compilable<R>,
  ) {
    const nonce = randomBytes(12).toString('hex');
    const markers = new Map<string, keyof P & string>();
    const param: ParamSlot<P> = <K extends keyof P & string>(name: K): P[K] => {
      const marker = `\u0000param:${nonce}:${name}`;
      markers.set(marker, name);
      return marker as P[K];
    };
    this.compiled = build(db, param).compile();
    if (this.compiled.sql.includes(nonce)) {
      throw new PreparedQueryError('a parameter marker was written into the SQL text instead of being bound');
    }
    const used = new Set<string>();
    this.bindings = this.compiled.parameters.map((value): Binding<P> => {
      const name = typeof value === 'string' ? markers.get(value) : undefined;
      if (name === undefined) return { constant: value };
      used.add(name);
      return { param: name };
    });
    for (const name of markers.values()) {
      if (!used.has(name)) throw new PreparedQueryError(`parameter ${name} is not bound by the query`);
    }
  }

  /** The SQL as compiled once, for tests and logs. */
  get sql(): string {
    return this.compiled.sql;
  }

  /**
   * The compiled query with these values. Its operation tree still holds the markers: only plugins read
   * it, and the gateway's Kysely instances have none.
   */
  compile(params: P): CompiledQuery<R> {
    const parameters = this.bindings.map((b) => ('param' in b ? params[b.param] : b.constant));
    return { ...this.compiled, parameters };
  }

  async execute(params: P): Promise<R[]> {
    const compiled = this.compile(params);
    const rows = directConnections.get(this.db)?.run(compiled.sql, compiled.parameters);
    if (rows !== undefined) return (await rows) as R[];
    const result = await this.db.executeQuery(compiled);
    return result.rows;
  }

  async executeTakeFirst(params: P): Promise<R | undefined> {
    return (await this.execute(params))[0];
  }
}
