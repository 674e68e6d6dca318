import pLimit from 'p-limit';
import { CapabilityError, CommandError, shownCommand } from '../errors.js';
import type { CasePlan, Op } from '../types/plan.js';
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { batchSteps, failedBatchLine, hostOrder, ipBatchInput, stepWaves, withoutFailedLine, type Step } from '../plan/batch.js';
import { withCaptured } from '../plan/recipes.js';
import { NamespaceAgent } from './agent.js';
import { timeScale } from './time-scale.js';
import type { Command, CommandResult, LiveProcess, Runner } from './runner.js';
import { isListAnswer, OBSERVER_LIST_LINE, OBSERVER_SESSION_ARGV, scriptLine } from '../plan/observer.js';
import { inNetns } from './in-netns.js';
import { namespaceInode, netnsRunDir, type StateFile } from './state.js';
import { tracing } from './trace.js';
import { baselineArgv, baselineFailure, baselineFound, baselineReadArgv, missingKeys, shownBaselineArgv, takeBaselineRead, writeBaseline } from './baseline.js';
import { SYSCTL_BASELINE } from '../plan/baseline.js';

export { inNetns };

export const check = async (runner: Runner, cmd: Command): Promise<CommandResult> => {
  const r = await runner.run(cmd);
  if (r.exitCode !== 0) throw new CommandError(cmd.argv, r.exitCode, r.stderr, r.timedOut);
  return r;
};

const netnsExists = (netns: string): boolean => existsSync(join(netnsRunDir(), netns));

/** A case's topology, built and owned; `netnsOf` maps its nodes to their namespaces. */
export interface LiveCase {
  plan: CasePlan;
  netnsOf(node: string): string;
  /** The namespace agent of each node, when the backend runs them. */
  agents: Map<string, NamespaceAgent>;
  /** Runs a command inside `node`: through the node's agent, or else `ip -n` for ip and `ip netns exec` for the rest. */
  run(node: string, cmd: Command): Promise<CommandResult>;
  /**
   * Each node's observer session (OBSERVER_SESSION_ARGV, forked by its agent), left open by the
   * observer's install for the readings; absent where the install went the way of `nft -f -`.
   */
  observerSessions: Map<string, LiveProcess>;
}

const TRACE = tracing();

/** How long an observer session may take to install and answer before `nft -f -` does it instead. */
const OBSERVER_ANSWER_MS = 5_000;

/**
 * Writes `script` to an interactive nft as one line, then a `list`: the session when the answer
 * comes, undefined (the session closed) on a line on its stderr, its end, or no answer in `ms`.
 */
export const installBySession = async (session: LiveProcess, script: string, ms: number): Promise<LiveProcess | undefined> => {
  let timer: NodeJS.Timeout | undefined;
  const answer = session.waitForLine(isListAnswer);
  const complaint = session.waitForLine(() => true, 'stderr').then(() => undefined);
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  session.write?.(`${scriptLine(script)}${OBSERVER_LIST_LINE}`);
  const got = await Promise.race([answer, complaint, late]);
  clearTimeout(timer);
  if (got !== undefined) return session;
  session.kill();
  return undefined;
};

/**
 * Deferred namespaces are deleted at the latest when this many have gathered. Measured here: a
 * deleted namespace holds ~0.6 MB until the kernel frees it (256: ~150 MB), and the kernel's
 * cleanup holds the rtnl lock through an rcu_barrier() for every bridge (br_multicast_dev_del,
 * ~10 ms each), during which every `ip` command of the running cases waits: a flush of 64 seed
 * namespaces stalled the next case by ~580 ms. A 100-cell matrix of the seed (200 namespaces)
 * is deleted once, at the end.
 */
export const DEFER_MAX = 256;

/** How long `settle` waits for the kernel to bring links up before the probes go anyway. */
const SETTLE_MS = 3_000;

/**
 * Nodes whose batches run at once: as many as there are cores (at least two, as the xargs lanes
 * that ran them before). All 100 batches of linear,50 at once built it in 7.1-8.2 s against
 * the lanes' 4.3-6.4 s (three pairs, on a machine at load ~22): each `ip -n` takes the rtnl lock
 * and mounts the namespace's /sys.
 */
const STEPS_AT_ONCE = Math.max(2, availableParallelism());

/** How long one node's batch (or sysctls, or one op of its own) may take, times the time scale (a TCG guest). */
const STEP_TIMEOUT_MS = 30_000;

/** Namespace agents a case starts at once (see `up`). */
const AGENT_STARTS_AT_ONCE = 16;

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

/** A case of at least this many nodes says how its build goes, on stderr (see BuildHooks). */
export const LARGE_BUILD = 100;

export interface BuildHooks {
  /**
   * The run's interrupt. On abort every agent is killed at once: a large case spends most of its
   * time in requests to its agents (measured, linear,150: SIGTERM while 300 agents read their
   * nft counters was obeyed after 19 s, the time those reads took), and a killed agent's requests
   * end at once, so the case fails fast and tears down.
   */
  signal?: AbortSignal;
  /** Progress lines of large builds (LARGE_BUILD nodes or more). */
  progress?: (line: string) => void;
}

/**
 * The host backend: namespaces on the running kernel. Every namespace it creates is recorded in
 * the state file before it exists and released only after it is gone.
 */
export class HostBackend {
  /** Keys of the sysctl baseline this kernel lacks (skipped), as the baseline's writes found them. */
  readonly baselineMissing = new Set<string>();

  /** The baseline keys a fresh namespace of this host did not hold (read in the first case): all that cases write. */
  private baselineToWrite: Set<string> | undefined;

  /**
   * The one read of the baseline while it is in flight: cases that start together (a VM's first
   * pair, each on a vCPU of its own) wait for it instead of reading again. Measured in a TCG
   * guest, each read was an `ip netns exec … grep` of 200 files, ~330-540 ms, both at once.
   */
  private baselineReading: Promise<Set<string>> | undefined;

  /** Namespaces of finished cases, emptied, waiting to be deleted together (see `flush`). */
  private readonly deferred: string[] = [];

  /** Deferred namespaces being emptied (see `down`): `flush` waits for them before it deletes. */
  private readonly emptying: Promise<void>[] = [];

  /** Every agent of every case in flight, for the interrupt to kill. */
  private readonly agentsAlive = new Set<NamespaceAgent>();

  constructor(
    private readonly runner: Runner,
    private readonly state: StateFile,
    /** Whether a namespace of that name exists (its handle under /run/netns). */
    private readonly exists: (netns: string) => boolean = netnsExists,
    private readonly hooks: BuildHooks = {},
  ) {
    hooks.signal?.addEventListener('abort', () => {
      for (const agent of this.agentsAlive) agent.kill();
    }, { once: true });
  }

  /**
   * `work`, or a rejection as soon as the run is interrupted: the case stops building at once and
   * tears down; what `work` still has in flight finishes on its own (the runner refuses anything new).
   */
  private untilAborted<T>(work: Promise<T>): Promise<T> {
    const signal = this.hooks.signal;
    if (!signal) return work;
    work.catch(() => undefined);
    if (signal.aborted) return Promise.reject(new Error('interrupted'));
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => reject(new Error('interrupted'));
      signal.addEventListener('abort', onAbort, { once: true });
      work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  /** A progress line of a large case's build; with LAB_TRACE=1, every case's stage and when it ended. */
  private say(plan: CasePlan, started: number, text: string): void {
    if (TRACE) process.stderr.write(`[trace] build ${plan.case.name}: ${text} at ${(performance.now() - started).toFixed(1)} ms\n`);
    if (plan.namespaces.length < LARGE_BUILD || !this.hooks.progress) return;
    this.hooks.progress(`${plan.case.name}: ${text} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  }

  /** Builds the case. On failure, whatever was built is torn down before the error propagates. */
  async up(plan: CasePlan): Promise<LiveCase> {
    const netnsOf = netnsMap(plan);
    const agents = new Map<string, NamespaceAgent>();
    const live: LiveCase = {
      plan,
      netnsOf,
      agents,
      observerSessions: new Map(),
      run: (node, cmd) => {
        const agent = agents.get(node);
        if (agent) return agent.run(cmd);
        return this.runner.run({ ...cmd, argv: inNetns(netnsOf(node), cmd.argv) });
      },
    };
    let starting: Promise<unknown> = Promise.resolve();
    const agentsStarting = new Map<string, Promise<NamespaceAgent>>();
    // Each observed node's nft session, opened as soon as its agent is up, until the install takes it.
    const sessions = new Map<string, LiveProcess>();
    const observed = new Set(plan.observers.filter((op) => op.input !== undefined).map((op) => op.node));
    try {
      const { root, rest } = hostOrder(plan.ops, netnsOf);
      const started = performance.now();
      const total = plan.namespaces.length;
      let agentsUp = 0;
      const counted = (a: NamespaceAgent): NamespaceAgent => {
        if (this.hooks.signal?.aborted) a.kill();
        this.agentsAlive.add(a);
        if (++agentsUp % LARGE_BUILD === 0 || agentsUp === total) this.say(plan, started, `${agentsUp}/${total} namespace agents started`);
        return a;
      };
      // The agents start as soon as the namespaces exist, while the baseline is read and written
      // and the plan is applied: on every node of a case that probes, where they carry the probe,
      // its receiver and its evidence (a perl start each). They make no device and write no
      // sysctl of their own, so the baseline still comes first where it counts. In a TCG guest
      // the case that waits for another's baseline read (sharedBaseline) has its vCPU to spare.
      const startAgents = (): void => {
        if (plan.probes.length === 0) return;
        // A few at a time: the starts go through one forker process in turn anyway, and a start
        // handed to it cannot be taken back; an interrupt waited for all 300 of linear,150 (13 s).
        const startLimit = pLimit(AGENT_STARTS_AT_ONCE);
        for (const { node, netns } of plan.namespaces) {
          agentsStarting.set(node, startLimit(() => {
            if (this.hooks.signal?.aborted) throw new Error('interrupted');
            return NamespaceAgent.start(this.runner, netns, AGENT_LIFETIME_MS);
          }).then((a) => {
            agents.set(node, counted(a));
            // nft's own start (~0.5 s of a TCG guest's CPU) overlaps the build; installObservers
            // feeds it the script once the devices exist.
            if (observed.has(node) && !this.hooks.signal?.aborted) sessions.set(node, a.open({ argv: OBSERVER_SESSION_ARGV }));
            return a;
          }));
        }
        // Awaited below; until then a rejection (an agent killed by an interrupt) must not count
        // as unhandled, which would end the process in the middle of its teardown. Promise.all,
        // made in the same tick, handles each agent's own.
        starting = Promise.all(agentsStarting.values());
        starting.catch(() => undefined);
      };
      await this.createNamespaces(plan, root, netnsOf, startAgents);
      this.say(plan, started, `${total} namespaces created`);
      await this.untilAborted(this.applyOps(live, rest, agentsStarting));
      this.say(plan, started, 'topology and recipe applied');
      await this.untilAborted(starting);
      await this.untilAborted(Promise.all([this.installObservers(live, plan.observers, sessions), this.settle(live)]));
      this.say(plan, started, 'observers installed, links up: probing');
      return live;
    } catch (err) {
      // Interrupted: agents still starting are not waited for; deleting the namespaces kills them.
      if (!this.hooks.signal?.aborted) await starting.catch(() => undefined);
      // Sessions no install took, and those it did: nothing will read them.
      endSessions(sessions);
      endSessions(live.observerSessions);
      await this.down(plan, live);
      throw err;
    }
  }

  /**
   * Every namespace of the case, the sysctl baseline in each (src/plan/baseline.ts), then the
   * devices that can be made from outside straight into them (bridges, veth pairs). The first
   * case reads the baseline in one of its namespaces (cases started meanwhile wait for that read,
   * see sharedBaseline); every case then writes what differed there
   * into all of its namespaces before their devices exist (see baseline.ts). With nothing to
   * write (a clean root), namespaces and devices are one root `ip -batch`. A namespace of that
   * name that exists already is someone else's: never touched, never deleted.
   */
  private async createNamespaces(
    plan: CasePlan,
    root: readonly { line: string; op: Op }[],
    netnsOf: (node: string) => string,
    /** Called once every namespace exists, before the baseline is read or written there. */
    exist: () => void = () => undefined,
  ): Promise<void> {
    const all = plan.namespaces.map((n) => n.netns);
    const taken = all.find(this.exists);
    if (taken) {
      throw new CommandError(['ip', 'netns', 'add', taken], 1, `Cannot create namespace file "${join(netnsRunDir(), taken)}": File exists`, false);
    }
    // Recorded before they exist, so a crash right after creation still leaves them findable.
    this.state.own(...all);
    const adds = all.map((ns) => `netns add ${ns}`);
    const lines = root.map((x) => x.line);
    // A read in flight (prefetchBaseline's, or another case's) is waited for first: it decides
    // whether the devices can come in the same batch as the namespaces.
    if (this.baselineToWrite === undefined && this.baselineReading) this.baselineToWrite = await this.baselineReading.catch(() => undefined);
    const together = this.baselineToWrite?.size === 0;
    const batch = together ? [...adds, ...lines] : adds;
    const r = await this.runner.run({ argv: ['ip', '-batch', '-'], input: `${batch.join('\n')}\n`, timeoutMs: (10_000 + 20 * batch.length) * timeScale() });
    this.state.created(...all.filter(this.exists));
    if (r.exitCode !== 0) {
      const line = failedBatchLine(r.stderr) ?? 0;
      if (line < adds.length) throw new CommandError(['ip', 'netns', 'add', all[line] ?? all[0] ?? ''], r.exitCode, withoutFailedLine(r.stderr), r.timedOut);
      const op = root[line - adds.length]?.op;
      throw new CommandError(op ? inNetns(netnsOf(op.node), op.argv) : ['ip', '-batch', '-'], r.exitCode, withoutFailedLine(r.stderr), r.timedOut);
    }
    exist();
    if (together) return;
    this.baselineToWrite ??= await this.sharedBaseline(all[0] as string);
    const settings = SYSCTL_BASELINE.filter((s) => this.baselineToWrite?.has(s.key));
    if (settings.length === 0 && lines.length === 0) return;
    const input = lines.length ? `${lines.join('\n')}\n` : undefined;
    const timeoutMs = 10_000 + 20 * (all.length + lines.length);
    const b = settings.length === 0
      ? await this.runner.run({ argv: ['ip', '-batch', '-'], ...(input !== undefined ? { input } : {}), timeoutMs })
      : await writeBaseline(this.runner, baselineArgv(all, lines.length ? ['ip', '-batch', '-'] : undefined, settings), input, timeoutMs);
    for (const key of missingKeys(b.stdout)) this.baselineMissing.add(key);
    if (b.exitCode === 0) return;
    const refused = baselineFailure(b.stderr);
    if (refused) {
      const setting = SYSCTL_BASELINE.find((s) => s.key === refused.key);
      throw new CommandError(['ip', 'netns', 'exec', refused.netns, 'sysctl', '-w', `${refused.key}=${setting?.value ?? '?'}`], b.exitCode, refused.error, b.timedOut);
    }
    const line = failedBatchLine(b.stderr);
    const op = line === undefined ? undefined : root[line]?.op;
    throw new CommandError(op ? inNetns(netnsOf(op.node), op.argv) : shownBaselineArgv(b.argv), b.exitCode, withoutFailedLine(b.stderr), b.timedOut);
  }

  /**
   * Starts reading the baseline now, in a fresh namespace of the read's own (baselineReadArgv
   * without a namespace), while the run starts: the first case then finds it read instead of
   * reading it between its namespaces and its devices (in a TCG guest 0.3-0.5 s of the first
   * pair's build), and on a clean root makes its namespaces and devices in one batch. A read that
   * fails is forgotten: the first case reads as ever, and its error is the case's.
   */
  prefetchBaseline(): void {
    if (this.baselineToWrite === undefined && !this.baselineReading) void this.sharedBaseline(undefined).catch(() => undefined);
  }

  /**
   * readBaseline, once for cases that need it at the same time: the first reads in its own fresh
   * `netns`, the others wait for that answer (every namespace starts from the same values, see
   * baseline.ts). A read that fails is not kept: the case that asks next reads again.
   */
  private sharedBaseline(netns: string | undefined): Promise<Set<string>> {
    if (!this.baselineReading) {
      const reading = this.readBaseline(netns);
      this.baselineReading = reading;
      reading.catch(() => {
        if (this.baselineReading === reading) this.baselineReading = undefined;
      });
    }
    return this.baselineReading;
  }

  /**
   * The baseline keys a fresh namespace of this host does not hold (read in `netns`, one of the
   * first case's: every namespace starts from the same values); the keys this kernel lacks go
   * to `baselineMissing`.
   */
  private async readBaseline(netns: string | undefined): Promise<Set<string>> {
    const argv = baselineReadArgv(netns);
    const r = await ((netns === undefined ? takeBaselineRead() : undefined) ?? this.runner.run({ argv, timeoutMs: 10_000 * timeScale() }));
    const found = baselineFound(r.stdout);
    const files = argv.indexOf('') + 1;
    if (!found) throw new CommandError([...argv.slice(0, files), `<${argv.length - files} files under /proc/sys>`], r.exitCode, r.stderr || 'it read no sysctl', r.timedOut);
    for (const key of found.missing) this.baselineMissing.add(key);
    return new Set(found.differs);
  }

  /**
   * Runs ops in plan order: a wave's batches side by side, consecutive batches of other steps
   * as one sequence, and ops that need their own process (input, captured values, a kernel
   * feature to name) alone.
   */
  private async applyOps(live: LiveCase, ops: readonly Op[], agents?: ReadonlyMap<string, Promise<NamespaceAgent>>): Promise<void> {
    const captured = new Map<string, string>();
    let sequence: Step[] = [];
    const flush = async (): Promise<void> => {
      const steps = sequence;
      sequence = [];
      if (steps.length) await this.runSteps(live, steps, 'sequence', agents);
    };
    for (const wave of stepWaves(batchSteps(ops))) {
      const [first] = wave;
      if (!first) continue;
      if (wave.length > 1) {
        await flush();
        await this.runSteps(live, wave, 'parallel', agents);
      } else if (first.kind === 'single') {
        await flush();
        await this.apply(live, first.ops[0], captured);
      } else {
        sequence.push(first);
      }
    }
    await flush();
  }

  /**
   * Runs steps, side by side (`parallel`) or one after another in order (`sequence`): a node's
   * sysctls through its agent (written to /proc/sys: no sysctl process), everything else as one
   * command in the node (see `inNetns`), forked by lab's perl process. Every command inside a
   * node sees that namespace's own /sys, as under `ip netns exec`: the agents' children, `ip -n`
   * and the perl process's own `ip netns exec` all mount it (measured here with 279 mounts on the
   * machine: 100 × `ip -n NS link set lo up` took no longer than 100 × the same under `nsenter
   * --net`, which keeps lab's /sys).
   */
  private async runSteps(
    live: LiveCase,
    steps: readonly Step[],
    mode: 'parallel' | 'sequence',
    agents?: ReadonlyMap<string, Promise<NamespaceAgent>>,
  ): Promise<void> {
    const settings = (step: Step): string[] => step.ops.map((op) => op.argv[3] as string);
    const one = async (step: Step): Promise<CommandResult> => {
      const netns = live.netnsOf(step.node);
      const agent = step.kind === 'sysctl' ? agents?.get(step.node) : undefined;
      if (agent) {
        const r = await (await agent).sysctl(settings(step));
        return { ...r, argv: inNetns(netns, r.argv) };
      }
      const cmd = step.kind === 'sysctl'
        ? { argv: ['sysctl', '-q', '-w', ...settings(step)] }
        : { argv: ['ip', '-batch', '-'], input: ipBatchInput(step.ops) };
      return this.runner.run({ ...cmd, argv: inNetns(netns, cmd.argv), timeoutMs: STEP_TIMEOUT_MS * timeScale() });
    };
    let failure: { step: Step; result: CommandResult } | undefined;
    if (mode === 'parallel') {
      const limit = pLimit(STEPS_AT_ONCE);
      const results = await Promise.all(steps.map((step) => limit(() => one(step))));
      const i = results.findIndex((r) => r.exitCode !== 0);
      if (i >= 0) failure = { step: steps[i] as Step, result: results[i] as CommandResult };
    } else {
      for (const step of steps) {
        const r = await one(step);
        if (r.exitCode !== 0) {
          failure = { step, result: r };
          break;
        }
      }
    }
    if (!failure) return;
    const { step, result: r } = failure;
    // Name the op that failed, as if it had run on its own.
    const failed = step.kind === 'ip-batch' ? step.ops[failedBatchLine(r.stderr) ?? -1] : undefined;
    const shown = failed ? inNetns(live.netnsOf(step.node), failed.argv) : r.argv;
    throw new CommandError(shown, r.exitCode, withoutFailedLine(r.stderr), r.timedOut);
  }

  /** Runs one op; `captured` holds the values earlier ops read (a recipe's MAC addresses). */
  private async apply(live: LiveCase, op: Op, captured: Map<string, string>): Promise<void> {
    const cmd = {
      argv: inNetns(live.netnsOf(op.node), withCaptured(op.argv, captured)),
      ...(op.input !== undefined ? { input: op.input } : {}),
      // Not the runner's 10 s: a daemon that starts (hostapd -B returns once its AP is up) took
      // longer than that in a TCG guest on a loaded machine, and the case was an error.
      timeoutMs: STEP_TIMEOUT_MS * timeScale(),
    };
    const r = await this.runner.run(cmd);
    if (r.exitCode !== 0 && op.requires && !r.timedOut) {
      throw new CapabilityError(
        `this kernel lacks ${op.requires}`,
        `\`${shownCommand(cmd.argv)}\` said: ${(r.stderr.trim().split('\n')[0] ?? '').replace(/\.$/, '')}`,
        'The case needs a kernel with it built in or loadable as a module',
      );
    }
    if (r.exitCode !== 0) throw new CommandError(cmd.argv, r.exitCode, r.stderr, r.timedOut);
    if (op.capture) captured.set(op.capture, r.stdout.trim());
  }

  /**
   * Waits until every device with a carrier is operationally up. The kernel applies a carrier
   * change (the qdisc that transmits, a bridge port's forwarding state) in its link watch work,
   * which runs up to a second later when many devices change at once: measured on linear,6, the
   * first ARP request of a probe sent before that was lost, and the probe wrongly failed.
   * Nodes without an agent (a lab kept up, a bench topology) are not waited for.
   */
  private async settle(live: LiveCase): Promise<void> {
    const deadline = performance.now() + SETTLE_MS * timeScale();
    const pending = async (): Promise<string[]> =>
      (
        await Promise.all(
          [...live.agents].map(async ([node, agent]) => {
            const devs = live.plan.topology.devices.filter((d) => d.node === node && (d.kind === 'veth' || d.kind === 'bridge')).map((d) => d.dev);
            const files = devs.flatMap((d) => [`/sys/class/net/${d}/carrier`, `/sys/class/net/${d}/operstate`]);
            const texts = await agent.read(files);
            return devs.filter((_, i) => texts[2 * i]?.trim() === '1' && texts[2 * i + 1]?.trim() !== 'up').map((d) => `${node}:${d}`);
          }),
        )
      ).flat();
    const started = performance.now();
    let waiting: string[];
    while ((waiting = await pending()).length > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    if (TRACE) process.stderr.write(`[trace] settle ${live.plan.case.name}: ${(performance.now() - started).toFixed(1)} ms${waiting.length ? `, still down: ${waiting.join(' ')}` : ''}\n`);
  }

  /**
   * Installs the observers (src/plan/observer.ts), each node's side by side. Where the node has
   * an agent, through an interactive nft the agent forks (OBSERVER_SESSION_ARGV): the script as one
   * line, then a `list` whose answer says it took; the session stays open for the readings, so a
   * node's observer costs one nft process per case instead of one per install and per reading.
   * Anything else (no agent, a complaint, no answer) installs it the way the op says, `nft -f -`,
   * whose exit code and message are then the case's error. `opened` holds the sessions `up`
   * opened while the plan was applied: each is taken (and so removed) by its node's install.
   */
  private async installObservers(live: LiveCase, ops: readonly Op[], opened: Map<string, LiveProcess>): Promise<void> {
    // Every install ends before a failure is thrown: a session kept after `up` ended them would be left open.
    const installed = await Promise.allSettled(
      ops.map(async (op) => {
        const agent = live.agents.get(op.node);
        if (agent && op.input !== undefined) {
          const early = opened.get(op.node);
          opened.delete(op.node);
          const session = await installBySession(early ?? agent.open({ argv: OBSERVER_SESSION_ARGV }), op.input, OBSERVER_ANSWER_MS * timeScale());
          if (session) {
            live.observerSessions.set(op.node, session);
            return;
          }
        }
        const r = await live.run(op.node, { argv: op.argv, ...(op.input !== undefined ? { input: op.input } : {}) });
        // Named as the op, in its namespace: without an agent r.argv is already the wrapped command.
        if (r.exitCode !== 0) throw new CommandError(inNetns(live.netnsOf(op.node), op.argv), r.exitCode, r.stderr, r.timedOut);
      }),
    );
    const failed = installed.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Ends what probing needs (the observer sessions, the agents) and leaves the topology standing: `lab up` keeps it. */
  async detach(live: LiveCase): Promise<void> {
    endSessions(live.observerSessions);
    await Promise.all([...live.agents.values()].map((a) => a.stop().catch(() => undefined)));
    for (const a of live.agents.values()) this.agentsAlive.delete(a);
    live.agents.clear();
  }

  /**
   * Deletes the case's namespaces (their devices go with them), after ending the agents and
   * killing any process still inside. Harmless to run twice: what is gone is skipped.
   */
  async down(plan: CasePlan, live?: LiveCase, { defer = false }: { defer?: boolean } = {}): Promise<void> {
    const mine = [...plan.namespaces].reverse().map((n) => n.netns).filter((ns) => this.state.namespaces.includes(ns));
    if (defer && mine.length > 0) {
      // Emptied while the next case builds (nothing of this case runs on: its agents and whatever
      // they started end), deleted later with others; `flush` waits for both. Awaited here, the
      // agents' ends cost each case 3-5 ms of nothing but waiting (#14).
      const emptying = this.empty(mine, live);
      emptying.catch(() => undefined);
      this.emptying.push(emptying);
      this.deferred.push(...mine);
      if (this.deferred.length >= DEFER_MAX) await this.flush();
      return;
    }
    if (live) await this.detach(live);
    await this.remove(mine);
  }

  /**
   * Ends a finished case's agents and every process left in its namespaces: an agent empties its
   * own namespace (one request, no `ip netns pids` process) and, asked in the same breath, ends.
   */
  private async empty(mine: readonly string[], live: LiveCase | undefined): Promise<void> {
    const reaped = new Set<string>();
    if (live) {
      await Promise.all(
        [...live.agents].map(async ([node, agent]) => {
          const [killed] = await Promise.all([agent.reap().catch(() => undefined), agent.stop().catch(() => undefined)]);
          if (killed !== undefined) reaped.add(live.netnsOf(node));
          this.agentsAlive.delete(agent);
        }),
      );
      live.agents.clear();
    }
    const rest = mine.filter((ns) => !reaped.has(ns));
    if (rest.length) await killInside(this.runner, rest);
  }

  /**
   * Deletes the namespaces that `down` deferred, in one batch. The kernel frees a deleted
   * namespace later, in a worker that holds the locks the next case needs (measured: a seed
   * case took 110 ms on its own and 180–270 ms right after another case's deletion; the cost is
   * ~10 ms per bridge, see DEFER_MAX), so the fewer flushes in the middle of a run, the better.
   * A run calls this when its cases are done; an interrupt deletes them with everything else the
   * run recorded.
   */
  async flush(): Promise<void> {
    const emptied = await Promise.allSettled(this.emptying.splice(0));
    const failed = emptied.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    // Emptied already (nothing of a finished case starts again): only deleted, unless an emptying
    // failed. In a VM the kill would be one more `ip netns pids` batch at the end of every run.
    await this.remove(this.deferred.splice(0), { emptied: !failed });
    if (failed) throw failed.reason;
  }

  private async remove(mine: string[], { emptied = false }: { emptied?: boolean } = {}): Promise<void> {
    if (mine.length === 0) return;
    const gone = await removeNamespaces(this.runner, mine, this.exists, { emptied }).catch((err: unknown) => {
      // Whatever did go is released; the rest stays owned for `lab clean`.
      this.state.release(...mine.filter((ns) => !this.exists(ns)));
      throw err;
    });
    this.state.release(...gone);
  }
}

/** Closes each session (its nft reads end-of-file and exits) and forgets it. */
const endSessions = (sessions: Map<string, LiveProcess>): void => {
  for (const session of sessions.values()) session.kill();
  sessions.clear();
};

/** One root `ip -force -batch` of `netns VERB NS` for each namespace. */
const netnsBatch = (runner: Runner, verb: 'pids' | 'del', namespaces: readonly string[]): Promise<CommandResult> =>
  runner.run({
    argv: ['ip', '-force', '-batch', '-'],
    input: `${namespaces.map((ns) => `netns ${verb} ${ns}`).join('\n')}\n`,
    timeoutMs: (10_000 + 20 * namespaces.length) * timeScale(),
  });

/**
 * The processes whose network namespace is one of `inodes`: one pass over /proc. `ip netns pids`
 * scans all of /proc for each namespace it is asked about; measured on linear,150 while its 300
 * agents started, a batch of 300 took 16.5 s, and an interrupt waited for it.
 */
export const pidsInNamespaces = (inodes: ReadonlySet<number>, proc = '/proc'): number[] => {
  const pids: number[] = [];
  for (const name of readdirSync(proc)) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const ino = Number(/^net:\[(\d+)\]$/.exec(readlinkSync(join(proc, name, 'ns', 'net')))?.[1]);
      if (inodes.has(ino)) pids.push(Number(name));
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return pids;
};

/** Kills every process inside these namespaces: one /proc pass when their handles are here, else one root batch of `netns pids`. */
const killInside = async (runner: Runner, namespaces: readonly string[]): Promise<void> => {
  const inodes = namespaces.map((ns) => namespaceInode(ns)?.split(':')[1]);
  if (inodes.every((i) => i !== undefined)) {
    for (const pid of pidsInNamespaces(new Set(inodes.map(Number)))) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    return;
  }
  killAll((await netnsBatch(runner, 'pids', namespaces)).stdout);
};

/**
 * Deletes namespaces with two root batches (their processes first, killed, then the namespaces;
 * only the second when they were `emptied` already); one that does not go is retried alone, for
 * its own error. Returns the namespaces now gone.
 */
export const removeNamespaces = async (
  runner: Runner,
  namespaces: readonly string[],
  exists: (netns: string) => boolean = netnsExists,
  { emptied = false }: { emptied?: boolean } = {},
): Promise<string[]> => {
  if (namespaces.length > 1) {
    if (!emptied) await killInside(runner, namespaces);
    await netnsBatch(runner, 'del', namespaces);
  }
  for (const ns of namespaces.filter(exists)) await removeNamespace(runner, ns);
  return [...namespaces];
};

const killAll = (pids: string): void => {
  for (const pid of pids.split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
};

/** Kills the processes inside `netns` and deletes it. A namespace that does not exist is fine. */
export const removeNamespace = async (runner: Runner, netns: string): Promise<void> => {
  const pids = await runner.run({ argv: ['ip', 'netns', 'pids', netns] });
  killAll(pids.stdout);
  const r = await runner.run({ argv: ['ip', 'netns', 'del', netns] });
  if (r.exitCode !== 0 && !/No such file|Cannot remove namespace file/.test(r.stderr)) {
    throw new CommandError(r.argv, r.exitCode, r.stderr, r.timedOut);
  }
};
