// Refusing, before anything is built, a run this machine cannot hold (issue 15, point 2: a
// 5,000-node chain used 22.7 of 24 GiB, got another process OOM-killed and left 4,984
// namespaces). The costs per node are measured (docs/limits.md): linear chains of 50, 200 and
// 400 nodes on kernel 6.18 took 2.2-2.4 MB of MemAvailable per node at their peak (a namespace
// with its devices and nft tables ~0.65 MB of unreclaimable slab, its agent ~0.9 MB PSS, the
// rest lab's own heap), and 1.4 tasks per node; the 5,000-node run took 4.5 MB per node. The
// estimate uses the larger figure: a lab that size thrashes, and an estimate that is too low is
// the one that takes the machine down.
import type { Scenario } from '../types/scenario.js';
import type { HostLimits } from '../backends/host-limits.js';

export const MB = 1024 * 1024;

/** Memory a node costs at its peak (see above). */
export const NODE_BYTES = 4.5 * MB;
/** Tasks a node costs: its agent (a perl process and the fork that serves), with margin. */
export const NODE_TASKS = 2;
/** lab's own process and its helpers, whatever the size. */
export const BASE_BYTES = 200 * MB;
/** The share of what is available a run may plan to take: the machine is shared. */
export const MEMORY_SHARE = 0.8;
export const TASK_SHARE = 0.9;

export interface SizeEstimate {
  /** Nodes alive at once: the largest cases, as many as run in parallel. */
  nodes: number;
  bytes: number;
  tasks: number;
}

/** Devices of a scenario: each node's lo, both ends of each link, each bridge. */
const devicesOf = (s: Scenario): number => s.nodes.length + 2 * s.links.length + s.nodes.filter((n) => (n as { bridge?: unknown }).bridge).length;

/**
 * The peak of a run: every case builds its scenario's whole topology, and `jobs` cases run at
 * once; with --out each device also has a tcpdump.
 */
export const estimateRun = (
  scenarios: readonly Scenario[],
  selected: readonly [number, number][],
  jobs: number,
  pcaps: boolean,
): SizeEstimate => {
  const sizes = selected
    .map(([si]) => scenarios[si])
    .filter((s): s is Scenario => s !== undefined)
    .map((s) => ({ nodes: s.nodes.length, devices: devicesOf(s) }))
    .sort((a, b) => b.nodes - a.nodes)
    .slice(0, Math.max(1, jobs));
  const nodes = sizes.reduce((n, s) => n + s.nodes, 0);
  const tcpdumps = pcaps ? sizes.reduce((n, s) => n + s.devices, 0) : 0;
  return { nodes, bytes: BASE_BYTES + nodes * NODE_BYTES + tcpdumps * 4 * MB, tasks: nodes * NODE_TASKS + tcpdumps };
};

const mb = (bytes: number): string => `${Math.round(bytes / MB).toLocaleString('en-US')} MB`;

/** Why the run does not fit, with the numbers; undefined when it does. */
export const sizeProblem = (e: SizeEstimate, host: HostLimits, jobs: number): string | undefined => {
  const problems: string[] = [];
  const memory = host.memAvailable * MEMORY_SHARE;
  if (e.bytes > memory) {
    problems.push(`memory: about ${mb(e.bytes)} (${NODE_BYTES / MB} MB per node + ${mb(BASE_BYTES)}), but ${host.memSource} is ${mb(host.memAvailable)} and a run may take ${MEMORY_SHARE * 100}% of it (${mb(memory)})`);
  }
  const tasks = (host.taskLimit - host.tasksNow) * TASK_SHARE;
  if (e.tasks > tasks) {
    problems.push(`processes: about ${e.tasks.toLocaleString('en-US')} (${NODE_TASKS} per node), but ${host.tasksNow.toLocaleString('en-US')} of ${host.taskSource} ${host.taskLimit.toLocaleString('en-US')} are taken and a run may take ${TASK_SHARE * 100}% of the rest (${Math.floor(tasks).toLocaleString('en-US')})`);
  }
  if (problems.length === 0) return undefined;
  const perNode = Math.min(memory / NODE_BYTES, tasks / NODE_TASKS);
  return [
    `this run would not fit on this machine: ${e.nodes.toLocaleString('en-US')} nodes at once (the largest case${jobs > 1 ? `s, ${jobs} in parallel` : ''}) need`,
    ...problems.map((p) => `  ${p}`),
    `About ${Math.max(0, Math.floor(perNode - BASE_BYTES / NODE_BYTES)).toLocaleString('en-US')} nodes fit now${jobs > 1 ? ' (fewer --jobs run fewer at once)' : ''}; --ignore-size-limit runs it anyway (see docs/limits.md).`,
  ].join('\n');
};
