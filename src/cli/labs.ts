// Finding labs by id, and describing them: shared by up, exec, shell, list, down and clean.
import { findLab, livenessOf, namespaceIdentity, readLabs, sameNamespace, vmLabAlive, vmLabKernel, type Liveness, type RunState, type StateEntry } from '../session/index.js';
import { UsageError } from '../errors.js';

/** A lab as `lab list` shows it. */
export interface LabSummary {
  id: string;
  kind: 'run' | 'kept';
  status: string;
  liveness: Liveness;
  scenario: string;
  case: string;
  ageMs: number;
  ownerPid: number;
  ownerAlive: boolean;
  namespaces: string[];
  nodes: Record<string, string>;
  stateFile: string;
  /** host: namespaces of this kernel; vm: inside a kept VM's guest. */
  backend: 'host' | 'vm';
  /** A kept VM lab: its guest's kernel release, and whether its QEMU runs (stale when not). */
  kernel?: string;
  vmAlive?: boolean;
}

export const summarize = (
  entry: StateEntry,
  now: number,
  alive: (s: RunState) => boolean,
  vmAlive: (s: RunState) => boolean | undefined = vmLabAlive,
): LabSummary => {
  const s = entry.state;
  const liveness = livenessOf(s, alive);
  const vm = s.backend === 'vm' ? vmAlive(s) : undefined;
  const kernel = vmLabKernel(s);
  return {
    id: s.runId,
    kind: s.kind ?? 'run',
    status: liveness === 'dead' ? 'dead' : liveness === 'kept' && vm === false ? 'stale' : s.status ?? 'running',
    liveness,
    scenario: s.lab?.scenario ?? s.scenarios.join(', '),
    case: s.lab?.case ?? (s.kind === 'kept' ? '' : '(all selected)'),
    ageMs: Math.max(0, now - Date.parse(s.startedAt)),
    ownerPid: s.pid,
    ownerAlive: liveness === 'live',
    namespaces: [...s.namespaces],
    nodes: Object.fromEntries((s.lab?.nodes ?? []).map((n) => [n.node, n.netns])),
    stateFile: entry.path,
    backend: s.backend ?? 'host',
    ...(kernel !== undefined ? { kernel } : {}),
    ...(vm !== undefined ? { vmAlive: vm } : {}),
  };
};

export const formatAge = (ms: number): string => {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86400)}d${String(Math.floor((s % 86400) / 3600)).padStart(2, '0')}h`;
};

const known = (entries: readonly StateEntry[]): string =>
  entries.length ? `labs: ${entries.map((e) => e.state.runId).join(', ')} (see lab list)` : 'there are no labs (lab up FILE makes one)';

/** The lab named `id` (or a unique prefix of its id); a usage error naming the labs otherwise. */
export const resolveLab = (id: string, dir?: string): StateEntry => {
  const entries = readLabs(dir);
  const found = findLab(entries, id);
  if (found === undefined) throw new UsageError(`no lab ${JSON.stringify(id)}; ${known(entries)}`);
  if (Array.isArray(found)) {
    throw new UsageError(`${JSON.stringify(id)} names more than one lab: ${found.map((e) => e.state.runId).join(', ')}`);
  }
  return found;
};

/** The namespace of `node` in a kept lab, checked to exist. */
export const nodeNamespace = (entry: StateEntry, node: string): string => {
  const s = entry.state;
  if (s.kind !== 'kept' || !s.lab) {
    throw new UsageError(`lab ${s.runId} is a \`lab run\` (pid ${s.pid}), not a lab kept by \`lab up\`; its namespaces come and go per case`);
  }
  if (s.status !== 'up') throw new UsageError(`lab ${s.runId} is not up (it is ${s.status ?? 'unknown'})`);
  const entryNode = s.lab.nodes.find((n) => n.node === node);
  if (!entryNode) {
    throw new UsageError(`lab ${s.runId} has no node ${JSON.stringify(node)}; its nodes: ${s.lab.nodes.map((n) => n.node).join(', ')}`);
  }
  // A kept VM lab's namespaces are the guest's: the VM running is what there is to check here.
  if (s.backend === 'vm') {
    if (vmLabAlive(s) !== true) {
      throw new UsageError(`the VM of lab ${s.runId} is not running any more (its QEMU is gone); \`lab down ${s.runId}\` or \`lab clean\` removes the rest`);
    }
    return entryNode.netns;
  }
  const created = s.namespaceInodes?.[entryNode.netns];
  const now = namespaceIdentity(entryNode.netns);
  if (now === undefined || (created !== undefined && !sameNamespace(created, now))) {
    throw new UsageError(`the namespace ${entryNode.netns} of node ${node} is gone; \`lab down ${s.runId}\` removes the rest`);
  }
  return entryNode.netns;
};
