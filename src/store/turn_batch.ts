import { AsyncResource } from 'node:async_hooks';

export interface TurnBatchOptions<I, O> {
  /** One statement for these items; answers in the same order, one per item. */
  run(items: readonly I[]): Promise<readonly O[]>;
  /** Items per statement at most (bound values and row counts stay small). */
  maxItems: number;
  /**
   * Items with the same key never share a statement: each goes to a statement of its own, sent at the
   * same time (the database orders them, as it orders the statements of other instances).
   */
  exclusiveKey?: (item: I) => string | undefined;
}

interface Waiting<I, O> {
  item: I;
  resolve(value: O): void;
  reject(error: unknown): void;
}

export class TurnBatchError extends Error {
  override name = 'TurnBatchError';
}

/**
 * Gathers the calls of one event-loop turn and runs them as few statements at its end (setImmediate,
 * when the poll phase has handled every socket that was ready). On PostgreSQL each statement is a round
 * trip: a system call each way and the driver's work on both, the larger part of a read's CPU. Under load
 * several requests arrive in the same turn, and one round trip then serves all of them; alone, a request
 * waits only for the rest of its own turn. Nothing is kept from one turn to the next: every statement
 * reads the database as it is when it runs.
 */
export class TurnBatch<I, O> {
  private waiting: Waiting<I, O>[] = [];
  // Statements run in the context the batch was made in, not in that of whichever request came first.
  private readonly scope = new AsyncResource('psd2-turn-batch');

  constructor(private readonly options: TurnBatchOptions<I, O>) {
    if (!(options.maxItems >= 1)) throw new TurnBatchError('maxItems must be at least 1');
  }

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      if (this.waiting.length === 0) this.scope.runInAsyncScope(() => setImmediate(this.flush));
      this.waiting.push({ item, resolve, reject });
    });
  }

  private readonly flush = (): void => {
    const waiting = this.waiting;
    this.waiting = [];
    for (const statement of this.statements(waiting)) void this.runStatement(statement);
  };

  /** Splits the turn's items into statements of at most maxItems, no exclusive key twice in one. */
  private statements(waiting: readonly Waiting<I, O>[]): Waiting<I, O>[][] {
    const { exclusiveKey, maxItems } = this.options;
    const statements: { members: Waiting<I, O>[]; keys: Set<string> }[] = [];
    for (const entry of waiting) {
      const key = exclusiveKey?.(entry.item);
      let target = statements.find(
        (s) => s.members.length < maxItems && (key === undefined || !s.keys.has(key)),
      );
      if (target === undefined) {
        target = { members: [], keys: new Set() };
        statements.push(target);
      }
      target.members.push(entry);
      if (key !== undefined) target.keys.add(key);
    }
    return statements.map((s) => s.members);
  }

  private async runStatement(members: readonly Waiting<I, O>[]): Promise<void> {
    try {
      const answers = await this.options.run(members.map((m) => m.item));
      if (answers.length !== members.length)
        throw new TurnBatchError(`${answers.length} answers for ${members.length} items`);
      members.forEach((m, i) => m.resolve(answers[i] as O));
    } catch (error) {
      for (const m of members) m.reject(error);
    }
  }
}
