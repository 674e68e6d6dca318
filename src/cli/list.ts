import { isOwnerAlive, readLabs } from '../session/index.js';
import { formatAge, summarize, type LabSummary } from './labs.js';
import type { Output } from './io.js';

export const LIST_FORMATS = ['table', 'json'] as const;
export type ListFormat = (typeof LIST_FORMATS)[number];

const owner = (l: LabSummary): string => {
  if (l.liveness === 'kept') return 'kept';
  return `${l.ownerPid} ${l.ownerAlive ? 'alive' : 'gone'}`;
};

const status = (l: LabSummary): string =>
  l.liveness === 'dead' ? 'dead (lab clean removes it)' : l.status === 'stale' ? 'stale: QEMU gone (lab clean removes it)' : l.status;

/** host, or the VM's kernel and whether its QEMU runs. */
const backend = (l: LabSummary): string => (l.backend === 'vm' ? `vm ${l.kernel ?? '?'} (QEMU ${l.vmAlive ? 'alive' : 'gone'})` : 'host');

export const listTable = (labs: readonly LabSummary[]): string => {
  if (labs.length === 0) return 'no labs (lab up FILE keeps one; lab run makes them while it runs)\n';
  const rows = [
    ['id', 'kind', 'backend', 'status', 'scenario', 'case', 'age', 'owner', 'namespaces'],
    // A VM lab's namespaces are its guest's: one per node.
    ...labs.map((l) => [
      l.id, l.kind, backend(l), status(l), l.scenario, l.case, formatAge(l.ageMs), owner(l),
      String(l.backend === 'vm' ? Object.keys(l.nodes).length : l.namespaces.length),
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n') + '\n';
};

/**
 * `lab list`: every lab with a state file, kept or running, and dead ones that `lab clean` would
 * remove. The owner is the process working on the lab: a `lab run`, or a `lab up`/`lab down` in
 * progress; a kept lab that is up has none ("kept").
 */
export const listCommand = (format: ListFormat, io: Output, now: number = Date.now()): number => {
  const labs = readLabs().map((e) => summarize(e, now, isOwnerAlive));
  labs.sort((a, b) => b.ageMs - a.ageMs);
  io.out(format === 'json' ? `${JSON.stringify({ labs }, null, 2)}\n` : listTable(labs));
  return 0;
};
