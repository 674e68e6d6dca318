import { CommandError } from '../errors.js';
import type { CasePlan } from '../plan/plan.js';
import type { Op } from '../plan/types.js';
import { observerRules } from '../probes/legs.js';
import { OBSERVER_TABLE, observerRuleset } from '../probes/observe.js';
import type { Command, CommandResult, Runner } from './runner.js';
import type { StateFile } from './state.js';

/** argv that runs `argv` inside `netns`: `ip -n` for ip itself, `ip netns exec` for the rest. */
export const inNetns = (netns: string, argv: readonly string[]): string[] =>
  argv[0] === 'ip' ? ['ip', '-n', netns, ...argv.slice(1)] : ['ip', 'netns', 'exec', netns, ...argv];

export const check = async (runner: Runner, cmd: Command): Promise<CommandResult> => {
  const r = await runner.run(cmd);
  if (r.exitCode !== 0) throw new CommandError(cmd.argv, r.exitCode, r.stderr, r.timedOut);
  return r;
};

/** A case's topology, built and owned; `netnsOf` maps its nodes to their namespaces. */
export interface LiveCase {
  plan: CasePlan;
  netnsOf(node: string): string;
}

const netnsMap = (plan: CasePlan): ((node: string) => string) => {
  const map = new Map(plan.namespaces.map((n) => [n.node, n.netns]));
  return (node) => {
    const ns = map.get(node);
    if (!ns) throw new Error(`node ${node} is not part of case ${plan.case.name}`);
    return ns;
  };
};

/**
 * The host backend: namespaces on the running kernel. Every namespace it creates is recorded in
 * the state file before it exists and released only after it is gone.
 */
export class HostBackend {
  constructor(
    private readonly runner: Runner,
    private readonly state: StateFile,
  ) {}

  /** Builds the case. On failure, whatever was built is torn down before the error propagates. */
  async up(plan: CasePlan): Promise<LiveCase> {
    const live: LiveCase = { plan, netnsOf: netnsMap(plan) };
    try {
      for (const { netns } of plan.namespaces) {
        // Recorded before it exists, so a crash right after creation still leaves it findable.
        this.state.own(netns);
        const r = await this.runner.run({ argv: ['ip', 'netns', 'add', netns] });
        if (r.exitCode !== 0) {
          // "File exists": someone else's namespace: forget it, never delete it. Any other failure
          // (killed by a signal, timed out) may have left it made: it stays owned until teardown.
          if (/File exists/.test(r.stderr)) this.state.release(netns);
          throw new CommandError(r.argv, r.exitCode, r.stderr, r.timedOut);
        }
        this.state.created(netns);
      }
      for (const op of plan.ops) await this.apply(live, op);
      await this.installObservers(live);
      return live;
    } catch (err) {
      await this.down(plan);
      throw err;
    }
  }

  private async apply(live: LiveCase, op: Op): Promise<void> {
    await check(this.runner, {
      argv: inNetns(live.netnsOf(op.node), op.argv),
      ...(op.input !== undefined ? { input: op.input } : {}),
    });
  }

  private async installObservers(live: LiveCase): Promise<void> {
    const rules = observerRules(live.plan.probes);
    for (const node of live.plan.topology.nodes) {
      const devices = live.plan.topology.devices.filter((d) => d.node === node).map((d) => d.dev);
      await check(this.runner, {
        argv: inNetns(live.netnsOf(node), ['nft', '-f', '-']),
        input: observerRuleset(devices, rules),
      });
    }
  }

  /** Reads the observer table of one node as nft JSON. */
  async readObserver(live: LiveCase, node: string): Promise<string> {
    const r = await check(this.runner, {
      argv: inNetns(live.netnsOf(node), ['nft', '-j', 'list', 'table', 'netdev', OBSERVER_TABLE]),
    });
    return r.stdout;
  }

  /**
   * Deletes the case's namespaces (their devices go with them), after killing any process still
   * inside. Harmless to run twice: a namespace that is already gone is skipped.
   */
  async down(plan: CasePlan): Promise<void> {
    for (const { netns } of [...plan.namespaces].reverse()) {
      if (!this.state.namespaces.includes(netns)) continue;
      await removeNamespace(this.runner, netns);
      this.state.release(netns);
    }
  }
}

/** Kills the processes inside `netns` and deletes it. A namespace that does not exist is fine. */
export const removeNamespace = async (runner: Runner, netns: string): Promise<void> => {
  const pids = await runner.run({ argv: ['ip', 'netns', 'pids', netns] });
  for (const pid of pids.stdout.split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  const r = await runner.run({ argv: ['ip', 'netns', 'del', netns] });
  if (r.exitCode !== 0 && !/No such file|Cannot remove namespace file/.test(r.stderr)) {
    throw new CommandError(r.argv, r.exitCode, r.stderr, r.timedOut);
  }
};
