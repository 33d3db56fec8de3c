import { setImmediate as nextTurn } from 'node:timers/promises';
import { TurnBatch, TurnBatchError } from '../../src/store/turn_batch';

/** A batch whose statements are recorded; each answer is the item doubled. */
function recordingBatch(
  options: { maxItems?: number; exclusiveKey?: (item: number) => string | undefined } = {},
) {
  const statements: number[][] = [];
  const batch = new TurnBatch<number, number>({
    maxItems: options.maxItems ?? 100,
    ...(options.exclusiveKey !== undefined ? { exclusiveKey: options.exclusiveKey } : {}),
    run: (items) => {
      statements.push([...items]);
      return Promise.resolve(items.map((i) => i * 2));
    },
  });
  return { batch, statements };
}

describe('TurnBatch', () => {
  it('runs the calls of one turn as one statement, each caller getting its own answer', async () => {
    const { batch, statements } = recordingBatch();
    const answers = await Promise.all([1, 2, 3].map((i) => batch.submit(i)));
    expect(answers).toEqual([2, 4, 6]);
    expect(statements).toEqual([[1, 2, 3]]);
  });

  it('runs calls of different turns as different statements', async () => {
    const { batch, statements } = recordingBatch();
    const first = batch.submit(1);
    await nextTurn();
    const second = batch.submit(2);
    expect(await Promise.all([first, second])).toEqual([2, 4]);
    expect(statements).toEqual([[1], [2]]);
  });

  it('never puts two items with the same exclusive key into one statement', async () => {
    const { batch, statements } = recordingBatch({
      exclusiveKey: (i) => (i >= 10 ? String(i % 10) : undefined),
    });
    // 11 and 21 share key "1"; 1 and 2 have none.
    expect(await Promise.all([11, 21, 1, 12, 2, 31].map((i) => batch.submit(i)))).toEqual([
      22, 42, 2, 24, 4, 62,
    ]);
    expect(statements).toEqual([[11, 1, 12, 2], [21], [31]]);
  });

  it('splits a turn larger than maxItems', async () => {
    const { batch, statements } = recordingBatch({ maxItems: 2 });
    await Promise.all([1, 2, 3, 4, 5].map((i) => batch.submit(i)));
    expect(statements).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('fails every caller of a failed statement, and only those', async () => {
    const batch = new TurnBatch<number, number>({
      maxItems: 2,
      run: (items) => (items.includes(3) ? Promise.reject(new Error('down')) : Promise.resolve([...items])),
    });
    const results = await Promise.allSettled([1, 2, 3, 4].map((i) => batch.submit(i)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected']);
  });

  it('refuses a statement that answers for fewer items than it was given', async () => {
    const batch = new TurnBatch<number, number>({ maxItems: 10, run: () => Promise.resolve([1]) });
    const results = await Promise.allSettled([batch.submit(1), batch.submit(2)]);
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(TurnBatchError);
    }
  });

  it('needs at least one item per statement', () => {
    expect(() => new TurnBatch({ maxItems: 0, run: () => Promise.resolve([]) })).toThrow(TurnBatchError);
  });
});
