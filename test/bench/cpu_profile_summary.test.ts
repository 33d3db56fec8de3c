import {
  formatCpuProfileSummary,
  summarizeCpuProfile,
  type CpuProfile,
} from '../../src/bench/cpu_profile_summary';

const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber });

/** root → handle (dist) → query (pg) → query (recursing); root → (idle); root → (garbage collector). */
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 5, 6] },
    { id: 2, callFrame: frame('handle', 'file:///app/dist/api/ais_api.js', 9), children: [3] },
    { id: 3, callFrame: frame('query', 'file:///app/node_modules/pg/lib/client.js', 99), children: [4] },
    { id: 4, callFrame: frame('query', 'file:///app/node_modules/pg/lib/client.js', 99) },
    { id: 5, callFrame: frame('(idle)') },
    { id: 6, callFrame: frame('(garbage collector)') },
  ],
  // Each sample stands for the gap to the next: 1000 us each here, the last one 0.
  samples: [2, 4, 4, 3, 5, 5, 5, 6, 2],
  timeDeltas: [0, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000],
};

describe('summarizeCpuProfile', () => {
  const summary = summarizeCpuProfile(profile);

  it('leaves idle time out of the shares', () => {
    expect(summary.busyMs).toBe(5);
    expect(summary.idleMs).toBe(3);
  });

  it('counts self time where the function is on top of the stack', () => {
    expect(summary.self).toEqual([
      { name: 'query pg/lib/client.js:100', share: 0.6, ms: 3 },
      { name: 'handle api/ais_api.js:10', share: 0.2, ms: 1 },
      { name: '(garbage collector)', share: 0.2, ms: 1 },
    ]);
  });

  it('counts inclusive time once per sample, recursion or not', () => {
    expect(summary.inclusive.slice(0, 2)).toEqual([
      { name: 'handle api/ais_api.js:10', share: 0.8, ms: 4 },
      { name: 'query pg/lib/client.js:100', share: 0.6, ms: 3 },
    ]);
  });

  it('adds self time up by package and own file', () => {
    expect(summary.byFile.map((e) => [e.name, e.ms])).toEqual([
      ['package pg', 3],
      ['api/ais_api.js', 1],
      ['(garbage collector)', 1],
    ]);
    expect(formatCpuProfileSummary(summary)).toContain('  60.0 %        3  query pg/lib/client.js:100');
  });
});
