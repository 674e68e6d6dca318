import { hostRequirements, requireAll } from '../backends/capabilities.js';
import { HostBackend } from '../backends/host.js';
import { guardedRunner, SIGNAL_EXIT, type GuardedRunner } from '../backends/interrupt.js';
import { execaRunner } from '../backends/runner.js';
import { defaultStateDir, StateFile } from '../backends/state.js';
import { teardownRecorded } from '../backends/teardown.js';
import { UsageError } from '../errors.js';
import type { Scenario } from '../types/scenario.js';
import { planCase } from '../plan/plan.js';
import type { CasePlan } from '../types/plan.js';
import { appliedLines } from '../report/applied.js';
import type { Output } from './io.js';
import { finishInterrupted, loadAll, trapRunSignals } from './run.js';

export interface UpOptions {
  file: string;
  case: string | undefined;
  /** Print only the lab id (for scripts). */
  quiet: boolean;
}

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

/** What `lab up` prints: the id, every node with its namespace and addresses, and how to reach them. */
export const describeUp = (id: string, scenario: Scenario, plan: CasePlan): string => {
  const c = plan.case;
  const lines = [
    `lab ${id} is up: ${scenario.name} › ${c.name}`,
    `  from ${scenario.file}, case ${plan.caseIndex + 1} of ${scenario.cases.length}` +
      (scenario.cases.length > 1 ? ' (another one: --case NAME)' : ''),
    ...(c.recipes.length ? [`  recipe: ${c.recipes.map((r) => r.name).join(', ')}`] : []),
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
      [`ip netns exec ${first.netns} ip -br addr`, 'the same without lab'],
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
  const [scenario] = await loadAll([opts.file]);
  if (!scenario) throw new UsageError('name a scenario file');
  const caseIndex = pickCase(scenario, opts.case);
  requireAll(await hostRequirements(execaRunner()));

  const lab: { state?: StateFile; runner?: GuardedRunner } = {};
  const trap = trapRunSignals(lab, io);
  try {
    const runner = (lab.runner = guardedRunner(execaRunner(), trap.signal));
    const state = (lab.state = StateFile.create(defaultStateDir(), {
      pid: process.pid,
      scenarios: [scenario.file],
      kind: 'kept',
      status: 'building',
    }));
    const plan = planCase(scenario, caseIndex, state.prefix);
    const backend = new HostBackend(runner, state);
    try {
      // A kept lab is the topology only: the namespace agents would keep lab up from exiting.
      await backend.detach(await backend.up(plan));
    } catch (err) {
      // up() has taken down what it built; whatever is still recorded goes too.
      if (trap.caught) {
        await finishInterrupted(state, runner, io);
        return SIGNAL_EXIT[trap.caught] ?? 1;
      }
      await teardownRecorded(state, { runner });
      if (!state.ownsAnything) state.close();
      throw err;
    }
    if (trap.caught) {
      await finishInterrupted(state, runner, io);
      return SIGNAL_EXIT[trap.caught] ?? 1;
    }
    state.keep({
      scenario: scenario.name,
      file: scenario.file,
      case: plan.case.name,
      caseIndex,
      nodes: plan.namespaces,
    });
    io.out(opts.quiet ? `${state.runId}\n` : describeUp(state.runId, scenario, plan));
    return 0;
  } finally {
    trap.release();
  }
};
