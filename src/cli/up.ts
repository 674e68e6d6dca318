import { UsageError } from '../errors.js';
import type { Scenario } from '../types/scenario.js';
import { planCase } from '../plan/plan.js';
import type { CasePlan } from '../types/plan.js';
import { appliedLines } from '../report/applied.js';
import { requireHost, upKernel, upVmLab, withLab, type VmUp } from '../session/index.js';
import { exitOnSecondSignal } from './exit-codes.js';
import { packageRoot, type Output } from './io.js';
import { loadAll } from './load.js';

export interface UpOptions {
  file: string;
  case: string | undefined;
  /** Print only the lab id (for scripts). */
  quiet: boolean;
  /** host (default): namespaces of this kernel; vm: inside a VM that stays up (kept VM lab). */
  backend?: 'host' | 'vm' | undefined;
  /** With the VM backend: the guest's kernel (default Debian's). A kernel other than host implies the VM. */
  kernel?: string | undefined;
}

/**
 * Which backend `lab up` builds on: --backend, else vm when --kernel names a kernel other than
 * host (as for lab run), else host. --backend host with another kernel is a usage error.
 */
export const upBackend = (opts: Pick<UpOptions, 'backend' | 'kernel'>): 'host' | 'vm' => {
  if (opts.backend === 'host') {
    if (opts.kernel !== undefined && opts.kernel !== 'host') {
      throw new UsageError(`--backend host builds on the running kernel only; --kernel ${opts.kernel} needs --backend vm (or leave --backend out)`);
    }
    return 'host';
  }
  if (opts.backend === 'vm') return 'vm';
  return opts.kernel !== undefined && opts.kernel !== 'host' ? 'vm' : 'host';
};

/**
 * The id a kept VM lab's inner `lab up` takes (src/backends/vm/kept.ts sets LAB_KEPT_ID for lab's
 * host side of the VM): the guest's namespaces then carry the id the user sees. Ignored outside.
 */
export const keptIdOf = (env: NodeJS.ProcessEnv = process.env): string | undefined => {
  const id = env['LAB_KEPT_ID'];
  return env['LAB_IN_VM'] === '1' && id !== undefined && /^[0-9a-f]{6}$/.test(id) ? id : undefined;
};

/** The case to build: the one named, else the first. */
export const pickCase = (scenario: Scenario, name: string | undefined): number => {
  if (name === undefined) return 0;
  const i = scenario.cases.findIndex((c) => c.name === name);
  if (i < 0) {
    throw new UsageError(
      `no case named ${JSON.stringify(name)} in ${scenario.file}; cases are:\n` +
        scenario.cases.map((c) => `  ${c.name}`).join('\n'),
    );
  }
  return i;
};

/** A kept VM lab, as `lab up` describes it. */
export type UpVm = Pick<VmUp, 'release' | 'accel' | 'runDir'> & { qemuPid?: number };

/**
 * What `lab up` prints: the id, every node with its namespace and addresses, and how to reach
 * them. `vm`: the lab is inside a VM (its kernel, where its files are); its namespaces are the
 * guest's, reached through lab only.
 */
export const describeUp = (id: string, scenario: Scenario, plan: CasePlan, vm?: UpVm): string => {
  const c = plan.case;
  const lines = [
    `lab ${id} is up: ${scenario.name} › ${c.name}`,
    `  from ${scenario.file}, case ${plan.caseIndex + 1} of ${scenario.cases.length}` +
      (scenario.cases.length > 1 ? ' (another one: --case NAME)' : ''),
    ...(c.recipes.length ? [`  recipe: ${c.recipes.map((r) => r.name).join(', ')}`] : []),
    ...(vm
      ? [
          `  in a VM: kernel ${vm.release} (${vm.accel.toUpperCase()})${vm.qemuPid !== undefined ? `, QEMU pid ${vm.qemuPid}` : ''}; it keeps running until lab down`,
          `  its files (console log, the guest runner's socket): ${vm.runDir}`,
        ]
      : []),
    '',
  ];
  const width = Math.max(4, ...plan.namespaces.map((n) => n.node.length));
  const nsWidth = Math.max(9, ...plan.namespaces.map((n) => n.netns.length));
  lines.push(`  ${'node'.padEnd(width)}  ${'namespace'.padEnd(nsWidth)}  devices`);
  for (const { node, netns } of plan.namespaces) {
    const devices = plan.topology.devices
      .filter((d) => d.node === node)
      .map((d) => {
        const addrs = scenario.addresses.filter((a) => a.ref.node === node && a.ref.dev === d.dev).map((a) => a.cidr);
        return addrs.length ? `${d.dev} ${addrs.join(' ')}` : d.dev;
      });
    lines.push(`  ${node.padEnd(width)}  ${netns.padEnd(nsWidth)}  ${devices.join(', ')}`);
  }
  // Routes, rules, sysctls, recipe and setup commands, each with why it is there.
  const applied = appliedLines(plan.ops);
  if (applied.length) lines.push('', 'applied:', ...applied.map((l) => `  ${l}`));
  const first = plan.namespaces[0];
  if (first) {
    const hints: [string, string][] = [
      [`lab exec ${id} ${first.node} -- ip -br addr`, "one command (lab exits with its exit code)"],
      [`lab shell ${id} ${first.node}`, 'an interactive shell'],
      // A VM's namespaces are the guest's: only lab reaches them (through the guest runner).
      ...(vm ? [] : [[`ip netns exec ${first.netns} ip -br addr`, 'the same without lab'] as [string, string]]),
    ];
    const w = Math.max(...hints.map(([c]) => c.length));
    lines.push('', 'reach a node:', ...hints.map(([cmd, what]) => `  ${cmd.padEnd(w)}   # ${what}`));
  }
  lines.push('tear it down:', `  lab down ${id}`, '');
  return lines.map((l) => l.replace(/\s+$/, '')).join('\n');
};

/**
 * `lab up FILE [--case NAME]`: builds one case's topology (recipe and sysctls included) and
 * keeps it. The lab is recorded as kept: `lab clean` leaves it alone, `lab down` removes it.
 */
export const upCommand = async (opts: UpOptions, io: Output): Promise<number> => {
  const backend = upBackend(opts);
  const [scenario] = await loadAll([opts.file]);
  if (!scenario) throw new UsageError('name a scenario file');
  const caseIndex = pickCase(scenario, opts.case);
  if (backend === 'vm') return upVm(scenario, caseIndex, opts, io);
  await requireHost();

  // Recorded as kept from the start, 'building' until it is up (lab list shows it so).
  const runId = keptIdOf();
  const session = {
    scenarios: [scenario.file], kind: 'kept' as const, status: 'building' as const, say: (text: string) => io.err(text), exit: exitOnSecondSignal,
    ...(runId !== undefined ? { runId } : {}),
  };
  return withLab(session, async ({ backend, state, keep }) => {
    const plan = planCase(scenario, caseIndex, state.prefix);
    // A kept lab is the topology only: the namespace agents would keep lab up from exiting.
    // When up() fails it has taken down what it built; withLab removes whatever is still recorded.
    await backend.detach(await backend.up(plan));
    // Interrupted while it built: withLab tears it down instead.
    if (!keep({ scenario: scenario.name, file: scenario.file, case: plan.case.name, caseIndex, nodes: plan.namespaces })) return 1;
    io.out(opts.quiet ? `${state.runId}\n` : describeUp(state.runId, scenario, plan));
    return 0;
  });
};

/**
 * `lab up --backend vm`: boots a VM that stays up, builds the case inside its guest (the same
 * plan, recipe, sysctls and setup as a VM run's case) and keeps it; lab exec/shell/down reach it.
 */
const upVm = async (scenario: Scenario, caseIndex: number, opts: UpOptions, io: Output): Promise<number> => {
  upKernel(opts.kernel);
  const c = scenario.cases[caseIndex];
  if (!c) throw new UsageError(`no case ${caseIndex + 1} in ${scenario.file}`);
  const up = await upVmLab({
    file: opts.file,
    caseName: c.name,
    kernel: opts.kernel,
    preload: (scenario.wireless ?? []).length > 0 ? [['mac80211_hwsim', 'radios=0']] : [],
    packageRoot: packageRoot(),
    say: (line) => io.err(`${line}\n`),
  });
  const plan = planCase(scenario, caseIndex, up.prefix);
  // The plan made here names the guest's namespaces as the lab built inside did.
  const inside = new Map(up.lab.nodes.map((n) => [n.node, n.netns]));
  if (plan.namespaces.some((n) => inside.get(n.node) !== n.netns)) {
    io.err(`lab ${up.id}: the namespaces inside the VM are not the ones planned here: ${JSON.stringify(up.lab.nodes)}\n`);
  }
  io.out(opts.quiet ? `${up.id}\n` : describeUp(up.id, scenario, plan, { release: up.release, accel: up.accel, runDir: up.runDir, qemuPid: up.qemuPid }));
  return 0;
};
