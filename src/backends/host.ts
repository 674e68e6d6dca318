import { CapabilityError, CommandError } from '../errors.js';
import type { CasePlan } from '../plan/plan.js';
import { batchSteps, failedBatchLine, ipBatchInput, stepWaves, type Step } from '../plan/batch.js';
import { withCaptured } from '../plan/recipes.js';
import type { Op } from '../plan/types.js';
import { observerRules } from '../probes/legs.js';
import { OBSERVER_TABLE, observerRuleset } from '../probes/observe.js';
import { NamespaceAgent } from './agent.js';
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
  /** The namespace agent of each node, when the backend runs them. */
  agents: Map<string, NamespaceAgent>;
  /** Runs a command inside `node`: `ip -n` for ip, the node's agent (or `ip netns exec`) for the rest. */
  run(node: string, cmd: Command): Promise<CommandResult>;
}

/** How long a namespace agent may live: a case is over long before. */
const AGENT_LIFETIME_MS = 30 * 60_000;

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
    const netnsOf = netnsMap(plan);
    const agents = new Map<string, NamespaceAgent>();
    const live: LiveCase = {
      plan,
      netnsOf,
      agents,
      run: (node, cmd) => {
        const agent = agents.get(node);
        if (cmd.argv[0] !== 'ip' && agent) return agent.run(cmd);
        return this.runner.run({ ...cmd, argv: inNetns(netnsOf(node), cmd.argv) });
      },
    };
    let starting: Promise<unknown> = Promise.resolve();
    try {
      // Recorded before they exist, so a crash right after creation still leaves them findable.
      for (const { netns } of plan.namespaces) this.state.own(netns);
      const added = await Promise.all(
        plan.namespaces.map(async ({ netns }) => {
          const r = await this.runner.run({ argv: ['ip', 'netns', 'add', netns] });
          if (r.exitCode === 0) this.state.created(netns);
          // "File exists": someone else's namespace: forget it, never delete it. Any other failure
          // (killed by a signal, timed out) may have left it made: it stays owned until teardown.
          else if (/File exists/.test(r.stderr)) this.state.release(netns);
          return r;
        }),
      );
      const failed = added.find((r) => r.exitCode !== 0);
      if (failed) throw new CommandError(failed.argv, failed.exitCode, failed.stderr, failed.timedOut);
      // The agents start (a Node process each) while the plan is applied.
      // Only nodes that receive a probe need one: elsewhere ip netns exec is cheaper than a Node start.
      const receivers = new Set(
        plan.probes.filter((p) => p.probe.kind !== 'icmp' && p.probe.listen).map((p) => p.receiverNode),
      );
      starting = Promise.all(
        plan.namespaces.filter(({ node }) => receivers.has(node)).map(async ({ node, netns }) => {
          agents.set(node, await NamespaceAgent.start(this.runner, netns, AGENT_LIFETIME_MS));
        }),
      );
      // Awaited below; until then a rejection (an agent killed by an interrupt) must not count
      // as unhandled, which would end the process in the middle of its teardown.
      starting.catch(() => undefined);
      const captured = new Map<string, string>();
      for (const wave of stepWaves(batchSteps(plan.ops))) {
        await Promise.all(wave.map((step) => this.applyStep(live, step, captured)));
      }
      await starting;
      await this.installObservers(live);
      return live;
    } catch (err) {
      await starting.catch(() => undefined);
      await this.down(plan, live);
      throw err;
    }
  }

  private async applyStep(live: LiveCase, step: Step, captured: Map<string, string>): Promise<void> {
    const netns = live.netnsOf(step.node);
    if (step.kind === 'single') return this.apply(live, step.ops[0], captured);
    if (step.kind === 'sysctl') {
      const settings = step.ops.map((op) => op.argv[3] as string);
      await check(this.runner, { argv: inNetns(netns, ['sysctl', '-q', '-w', ...settings]) });
      return;
    }
    if (step.ops.length === 1) return this.apply(live, step.ops[0] as Op, captured);
    const argv = ['ip', '-n', netns, '-batch', '-'];
    const r = await this.runner.run({ argv, input: ipBatchInput(step.ops) });
    if (r.exitCode !== 0) {
      // Name the op that failed, as if it had run on its own.
      const failed = step.ops[failedBatchLine(r.stderr) ?? -1];
      const shown = failed ? inNetns(netns, failed.argv) : argv;
      throw new CommandError(shown, r.exitCode, r.stderr.replace(/\n?Command failed -:\d+\s*$/, ''), r.timedOut);
    }
  }

  /** Runs one op; `captured` holds the values earlier ops read (a recipe's MAC addresses). */
  private async apply(live: LiveCase, op: Op, captured: Map<string, string>): Promise<void> {
    const cmd = {
      argv: inNetns(live.netnsOf(op.node), withCaptured(op.argv, captured)),
      ...(op.input !== undefined ? { input: op.input } : {}),
    };
    const r = await this.runner.run(cmd);
    if (r.exitCode !== 0 && op.requires && !r.timedOut) {
      throw new CapabilityError(
        `this kernel lacks ${op.requires}`,
        `\`${cmd.argv.join(' ')}\` said: ${(r.stderr.trim().split('\n')[0] ?? '').replace(/\.$/, '')}`,
        'The case needs a kernel with it built in or loadable as a module',
      );
    }
    if (r.exitCode !== 0) throw new CommandError(cmd.argv, r.exitCode, r.stderr, r.timedOut);
    if (op.capture) captured.set(op.capture, r.stdout.trim());
  }

  private async installObservers(live: LiveCase): Promise<void> {
    const rules = observerRules(live.plan.probes);
    // Nothing to count (a lab kept up, a bench topology): no table, and no process per node.
    if (rules.length === 0) return;
    await Promise.all(
      live.plan.topology.nodes.map(async (node) => {
        const devices = live.plan.topology.devices.filter((d) => d.node === node).map((d) => d.dev);
        const r = await live.run(node, { argv: ['nft', '-f', '-'], input: observerRuleset(devices, rules) });
        if (r.exitCode !== 0) throw new CommandError(inNetns(live.netnsOf(node), r.argv), r.exitCode, r.stderr, r.timedOut);
      }),
    );
  }

  /** Reads the observer table of one node as nft JSON. */
  async readObserver(live: LiveCase, node: string): Promise<string> {
    const r = await live.run(node, { argv: ['nft', '-j', 'list', 'table', 'netdev', OBSERVER_TABLE] });
    if (r.exitCode !== 0) throw new CommandError(inNetns(live.netnsOf(node), r.argv), r.exitCode, r.stderr, r.timedOut);
    return r.stdout;
  }

  /** Ends what probing needs (the agents) and leaves the topology standing: `lab up` keeps it. */
  async detach(live: LiveCase): Promise<void> {
    await Promise.all([...live.agents.values()].map((a) => a.stop().catch(() => undefined)));
    live.agents.clear();
  }

  /**
   * Deletes the case's namespaces (their devices go with them), after ending the agents and
   * killing any process still inside. Harmless to run twice: what is gone is skipped.
   */
  async down(plan: CasePlan, live?: LiveCase): Promise<void> {
    if (live) await this.detach(live);
    await Promise.all(
      [...plan.namespaces].reverse().map(async ({ netns }) => {
        if (!this.state.namespaces.includes(netns)) return;
        await removeNamespace(this.runner, netns);
        this.state.release(netns);
      }),
    );
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
