// Plans are applied in batches: consecutive `ip` ops of one node become one `ip -n NS -batch -`,
// consecutive sysctls of one node one `sysctl -w` with every setting. Pure.
import type { Op } from '../types/plan.js';

export type Step =
  | { kind: 'ip-batch'; node: string; ops: Op[] }
  | { kind: 'sysctl'; node: string; ops: Op[] }
  | { kind: 'single'; node: string; ops: [Op] };

/** ip -batch splits lines on blanks and reads quotes: tokens with either stay out of batches. */
const plainToken = (t: string): boolean => t.length > 0 && !/[\s"'\\#$]/.test(t);

const batchable = (op: Op): 'ip-batch' | 'sysctl' | undefined => {
  if (op.input !== undefined || op.capture !== undefined || op.requires !== undefined) return undefined;
  if (!op.argv.every(plainToken)) return undefined;
  if (op.argv[0] === 'ip' && op.argv[1] !== 'netns' && !op.argv[1]?.startsWith('-')) return 'ip-batch';
  if (op.argv.length === 4 && op.argv[0] === 'sysctl' && op.argv[1] === '-q' && op.argv[2] === '-w') return 'sysctl';
  return undefined;
};

export const batchSteps = (ops: readonly Op[]): Step[] => {
  const steps: Step[] = [];
  for (const op of ops) {
    const kind = batchable(op);
    const last = steps[steps.length - 1];
    if (kind && last && last.kind === kind && last.node === op.node && last.ops[0]?.wave === op.wave) last.ops.push(op);
    else if (kind) steps.push({ kind, node: op.node, ops: [op] });
    else steps.push({ kind: 'single', node: op.node, ops: [op] });
  }
  return steps;
};

/** The lines of `ip -batch -` for ops that are all `ip …`. */
export const ipBatchInput = (ops: readonly Op[]): string => `${ops.map((op) => op.argv.slice(1).join(' ')).join('\n')}\n`;

/** ip's complaint about a batch without its closing "Command failed -:LINE", as if the op had run alone. */
export const withoutFailedLine = (stderr: string): string => stderr.replace(/\n?Command failed -:\d+\s*$/, '');

/** Which op of a batch failed, from ip's "Command failed -:LINE". */
export const failedBatchLine = (stderr: string): number | undefined => {
  const m = /Command failed -:(\d+)/.exec(stderr);
  return m ? Number(m[1]) - 1 : undefined;
};

/**
 * Steps grouped for running: consecutive steps of one wave run side by side (each node's batch
 * in its own process); any other step runs alone, in plan order.
 */
export const stepWaves = (steps: readonly Step[]): Step[][] => {
  const waves: Step[][] = [];
  for (const step of steps) {
    // A single op (one that names a kernel feature, reads a value, takes input) runs alone, so that
    // its failure is its own (a missing feature skips the case instead of failing a batch).
    const wave = step.kind === 'single' ? undefined : step.ops[0]?.wave;
    const last = waves[waves.length - 1];
    const lastWave = last?.[0]?.kind === 'single' ? undefined : last?.[0]?.ops[0]?.wave;
    if (wave !== undefined && last && lastWave === wave) last.push(step);
    else waves.push([step]);
  }
  return waves;
};

/**
 * A topology op that can run from the root namespace as one line of `ip -batch`, creating its
 * device straight inside the node's namespace (`link add name NAME netns NS type …`): a bridge, or a
 * veth pair with both ends placed. Nothing ever appears in the root namespace. Undefined for any
 * other op.
 */
export const rootLine = (op: Op, netnsOf: (node: string) => string): string | undefined => {
  if ((op.wave !== 1 && op.wave !== 2) || op.input !== undefined || op.capture !== undefined || op.requires !== undefined) return undefined;
  if (!op.argv.every(plainToken)) return undefined;
  const [ip, link, add, nameKw, name, type, kind, ...rest] = op.argv;
  if (ip !== 'ip' || link !== 'link' || add !== 'add' || nameKw !== 'name' || type !== 'type' || !name) return undefined;
  const ns = netnsOf(op.node);
  // `name NAME`: a device called like an ip keyword (up, mtu, help) is never read as one.
  if (kind === 'bridge' && rest.length === 0) return `link add name ${name} netns ${ns} type bridge`;
  if (kind !== 'veth' || rest[0] !== 'peer' || rest[1] !== 'name' || !rest[2]) return undefined;
  if (rest.length === 3) return `link add name ${name} netns ${ns} type veth peer name ${rest[2]} netns ${ns}`;
  if (rest.length === 5 && rest[3] === 'netns') return `link add name ${name} netns ${ns} type veth peer name ${rest[2]} netns ${rest[4]}`;
  return undefined;
};

/**
 * The plan's ops in the order the host backend runs them: `root` are lines of the one root
 * `ip -batch` that also creates the namespaces; `rest` runs after it, with each node's remaining
 * topology ops (lo up, enslaving, addresses, links up) in one batch, where the topology was.
 * The `ip` ops right after the topology (a recipe's rules and routes) join their node's batch:
 * an `ip` command changes only the namespace it runs in, unless it names another (`netns`), so
 * each node's ops keep their order and no node waits for another's. The first op that is not
 * such a one (a sysctl, nft, a captured value, a `netns`) ends that, and everything from it on
 * runs after the batches, in plan order.
 */
export const hostOrder = (ops: readonly Op[], netnsOf: (node: string) => string): { root: { line: string; op: Op }[]; rest: Op[] } => {
  const root: { line: string; op: Op }[] = [];
  const topology = new Map<string, Op[]>();
  const before: Op[] = [];
  const after: Op[] = [];
  for (const op of ops) {
    const line = rootLine(op, netnsOf);
    if (line) root.push({ line, op });
    // A node's other topology ops join its last wave, except its sysctls (IPv6 DAD off, see
    // noDadOps), which must all be written before any of the nodes' links comes up.
    else if (op.wave !== undefined) topology.set(op.node, [...(topology.get(op.node) ?? []), { ...op, wave: batchable(op) === 'sysctl' ? 2 : 3 }]);
    else (topology.size === 0 && root.length === 0 ? before : after).push(op);
  }
  let joined = 0;
  for (const op of after) {
    const batch = topology.get(op.node);
    if (!batch || batchable(op) !== 'ip-batch' || op.argv.includes('netns')) break;
    batch.push({ ...op, wave: 3 });
    joined += 1;
  }
  const waves = [...topology.values()].flat();
  return { root, rest: [...before, ...waves.filter((op) => op.wave === 2), ...waves.filter((op) => op.wave === 3), ...after.slice(joined)] };
};
