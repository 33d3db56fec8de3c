/**
 * Reads a V8 CPU profile (`--cpu-prof`) and says where the busy time went: self time per function (time
 * with the function on top of the stack) and inclusive time (on the stack at all, counted once per
 * sample however often the function recurses), both as shares of the samples that were not idle, and
 * self time per file or package. Idle time is left out: a bench server waits while the others are
 * measured, so shares of all samples would say more about the schedule than about the code.
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface CpuProfileEntry {
  name: string;
  /** Share of the busy time, 0..1. */
  share: number;
  ms: number;
}

export interface CpuProfileSummary {
  busyMs: number;
  idleMs: number;
  self: CpuProfileEntry[];
  inclusive: CpuProfileEntry[];
  byFile: CpuProfileEntry[];
}

/** A path short enough to read: the package inside node_modules, or the part under dist/ or src/. */
function shortUrl(url: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(url);
  if (pkg !== null) return `${pkg[1]}/${pkg[2]}`;
  const own = /\/(?:dist|src)\/(.*)$/.exec(url);
  if (own !== null) return own[1] as string;
  return url.replace(/^file:\/\//, '');
}

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const name = functionName === '' ? '(anonymous)' : functionName;
  return url === '' ? name : `${name} ${shortUrl(url)}:${lineNumber + 1}`;
}

/** The package (node_modules), own file, node core module, or the VM's own entry ("(garbage collector)"). */
function fileName(node: ProfileNode): string {
  const { url, functionName } = node.callFrame;
  if (url === '') return functionName;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg !== null) return `package ${pkg[1]}`;
  return shortUrl(url);
}

const IDLE = '(idle)';

function ranked(totals: Map<string, number>, busy: number, top: number): CpuProfileEntry[] {
  return [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => ({ name, share: busy === 0 ? 0 : us / busy, ms: us / 1000 }));
}

export function summarizeCpuProfile(profile: CpuProfile, top = 25): CpuProfileSummary {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const byFile = new Map<string, number>();
  const add = (map: Map<string, number>, key: string, us: number) => map.set(key, (map.get(key) ?? 0) + us);
  let busy = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    // timeDeltas[i] is the time before sample i; the time a sample stands for is the gap to the next one.
    const us = profile.timeDeltas[i + 1] ?? 0;
    const leaf = byId.get(id);
    if (leaf === undefined) return;
    if (leaf.callFrame.functionName === IDLE) {
      idle += us;
      return;
    }
    busy += us;
    add(self, frameName(leaf), us);
    add(byFile, fileName(leaf), us);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const node = byId.get(at);
      if (node === undefined || node.callFrame.functionName === '(root)') continue;
      const name = frameName(node);
      if (seen.has(name)) continue;
      seen.add(name);
      add(inclusive, name, us);
    }
  });
  return {
    busyMs: busy / 1000,
    idleMs: idle / 1000,
    self: ranked(self, busy, top),
    inclusive: ranked(inclusive, busy, top),
    byFile: ranked(byFile, busy, top),
  };
}

export function formatCpuProfileSummary(summary: CpuProfileSummary): string {
  const table = (title: string, entries: CpuProfileEntry[]) => [
    `${title} (share of busy time, ms)`,
    ...entries.map(
      (e) => `${(100 * e.share).toFixed(1).padStart(6)} %  ${e.ms.toFixed(0).padStart(7)}  ${e.name}`,
    ),
  ];
  return [
    `busy ${summary.busyMs.toFixed(0)} ms, idle ${summary.idleMs.toFixed(0)} ms`,
    '',
    ...table('self time by function', summary.self),
    '',
    ...table('inclusive time by function', summary.inclusive),
    '',
    ...table('self time by file or package', summary.byFile),
    '',
  ].join('\n');
}
