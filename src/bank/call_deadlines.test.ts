import { CallDeadlines } from './call_deadlines';

/**
 * Deadlines of 1 ms on a clock the test moves by hand; the one real timer only decides when the sweep
 * looks at that clock. `start(name)` records the name when that call expires.
 */
function deadlinesOnManualClock() {
  let t = 0;
  const deadlines = new CallDeadlines(1, () => t);
  const expired: string[] = [];
  return {
    deadlines,
    expired,
    advance: (ms: number) => (t += ms),
    start: (name: string) =>
      deadlines.start({ at: 0, expired: false, expire: () => void expired.push(name) }),
  };
}

/** Resolves after the deadlines' timer has had a chance to run (it waits at least 1 ms). */
const aTurnLater = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5));

describe('CallDeadlines', () => {
  it('expires a pending call once, and never a finished one', async () => {
    const { deadlines, expired, advance, start } = deadlinesOnManualClock();
    const pending = start('pending');
    const finished = start('finished');
    deadlines.finish(finished);
    advance(1);
    await aTurnLater();
    expect(expired).toEqual(['pending']);
    expect(pending.expired).toBe(true);
    expect(finished.expired).toBe(false);
    deadlines.close();
  });

  it('leaves calls whose time is not up pending, and expires them when it is', async () => {
    const { deadlines, expired, advance, start } = deadlinesOnManualClock();
    start('first');
    advance(1);
    start('second');
    await aTurnLater();
    expect(expired).toEqual(['first']);
    advance(1);
    await aTurnLater();
    expect(expired).toEqual(['first', 'second']);
    deadlines.close();
  });

  it('expires nothing after close', async () => {
    const { deadlines, expired, advance, start } = deadlinesOnManualClock();
    start('call');
    deadlines.close();
    advance(1);
    await aTurnLater();
    expect(expired).toEqual([]);
  });
});
