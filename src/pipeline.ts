// The effectful middle of the pipeline: plan → apply → probe → verdict → teardown, per case.
// Data flows one way: each probe's evidence becomes its observation (with what the tracers saw in
// its window), the media's frames are added once the captures stop, and only then is anything judged.
import { inNetns, type HostBackend, type LiveCase } from './backends/host.js';
import type { Runner } from './backends/runner.js';
import { timeScale } from './backends/time-scale.js';
import { tracing } from './backends/trace.js';
import { release } from 'node:os';
import { CapabilityError, CommandError } from './errors.js';
import { expectationFor, kernelPins } from './model/matrix.js';
import type { Scenario } from './types/scenario.js';
import type { CasePlan, ProbePlan } from './types/plan.js';
import { OBSERVER_READ_ARGV } from './plan/observer.js';
import { planCase } from './plan/plan.js';
import { appliedLines } from './report/applied.js';
import { assembleObservation, withMedium, type ProbeEvidence } from './probes/assemble.js';
import { startCapture, type Capture } from './probes/capture.js';
import type { DropTracer } from './probes/drops.js';
import { selectLookups } from './probes/fib-lookups.js';
import { bySender } from './probes/fib-sender.js';
import type { FibTracer } from './probes/fib-trace.js';
import type { ProbeHost } from './probes/host.js';
import { observeMedia, type MediumObserver } from './probes/medium.js';
import { observerReader, type ObserverReader } from './probes/observer-reader.js';
import { caseProber, hostPort } from './probes/probe.js';
import { lookupSelector } from './probes/route-query.js';
import { caseStatus, judgeExpectations, probeResult } from './verdict/verdict.js';
import type { CaseResult, ExpectationResult, ProbeResult } from './types/result.js';
import type { MediumObservation, ProbeObservation } from './types/observation.js';

export interface CaseOptions {
  /** `--explain`: drop reasons per probe window, or why they cannot be had. */
  drops?: DropTracer | { unavailable: string };
  /** The sender's route lookups per probe (fib tracepoints), or why they cannot be had. */
  fib?: FibTracer | { unavailable: string };
  /** `--out DIR`: the case's own folder (DIR/<scenario>/<case>/, see src/backends/out-tree.ts), a pcap per device. */
  pcapDir?: string;
  /** The kernel the case runs on (uname -r), for kernel-pinned expectations; this one by default. */
  kernel?: string;
  /** `--explain`: the result lists what the case applied besides its topology (routes, rules, setup, ...). */
  applied?: boolean;
}

/**
 * The observer readings of a live case: with more than one probe, one interactive nft per node
 * that counts, started ahead of the first probe (src/probes/observer-reader.ts); an nft process per
 * reading otherwise, and as the fallback.
 */
const observerReaderOf = (runner: Runner, live: LiveCase): ObserverReader =>
  observerReader({
    // The sessions the install left open serve every reading. Without them, each probe reads
    // every node once: an interactive nft started by lab pays from the second probe on.
    interactive: live.observerSessions.size > 0 || live.plan.probes.length > 1,
    listArgv: OBSERVER_READ_ARGV,
    start: (node, cmd) => {
      const session = live.observerSessions.get(node);
      live.observerSessions.delete(node);
      return session ?? live.agents.get(node)?.open(cmd) ?? runner.start({ ...cmd, argv: inNetns(live.netnsOf(node), cmd.argv) });
    },
    async once(node) {
      const r = await live.run(node, { argv: OBSERVER_READ_ARGV });
      if (r.exitCode !== 0) throw new CommandError(inNetns(live.netnsOf(node), OBSERVER_READ_ARGV), r.exitCode, r.stderr, r.timedOut);
      return r.stdout;
    },
    answerMs: 5_000 * timeScale(),
  });

/** A live case as probes see it (src/probes/host.ts): one per case, so what it caches lives as long as the case. */
const probeHostOf = (runner: Runner, live: LiveCase, observers: ObserverReader): ProbeHost => ({
  plan: live.plan,
  run: (node, cmd) => live.run(node, cmd),
  start: (node, cmd) => runner.start({ ...cmd, argv: inNetns(live.netnsOf(node), cmd.argv) }),
  agent: (node) => live.agents.get(node),
  readObserver: (node) => observers.read(node),
  timeScale: timeScale(),
});

/**
 * One probe, observed: sent and read inside the windows of the run's tracers (drop reasons, route
 * lookups) and of the media's captures, then assembled with what those saw.
 */
const observeProbe = async (
  plan: CasePlan,
  probe: (pp: ProbePlan, index: number) => Promise<ProbeEvidence>,
  pp: ProbePlan,
  index: number,
  medium: MediumObserver,
  { drops, fib }: CaseOptions,
): Promise<ProbeObservation> => {
  const fibMark = fib && 'mark' in fib ? await fib.mark() : undefined;
  const run = () => medium.window(index, () => probe(pp, index));
  const { result: evidence, drops: dropReasons } = drops && 'window' in drops ? await drops.window(run) : { result: await run(), drops: undefined };
  // Only the sending process's lookups: tracefs is everyone's (#14 fibpid).
  const selector = bySender(lookupSelector(pp.probe, pp.port, pp.sport), evidence.sender);
  const lookups = fib && 'since' in fib && fibMark !== undefined ? selectLookups(await fib.since(fibMark), selector) : undefined;
  const limits = [...(drops && 'unavailable' in drops ? [drops.unavailable] : []), ...(fib && 'unavailable' in fib ? [fib.unavailable] : [])];
  return assembleObservation(plan.topology, plan.case.nft.map((n) => n.node), pp, index, evidence, {
    ...(dropReasons ? { dropReasons } : {}),
    ...(lookups ? { lookups } : {}),
    limits,
  });
};

/** The verdict on one complete observation: the probe's result and its expectations. Pure. */
const judgeProbe = (
  plan: CasePlan,
  pp: ProbePlan,
  observation: ProbeObservation,
  kernel: string,
  radios: ReadonlySet<string>,
): { result: ProbeResult; expectations: ExpectationResult[] } => {
  const to = pp.probe.kind === 'icmp' ? pp.probe.to.address : hostPort(pp.probe.to.address, pp.port);
  const result = probeResult(pp.probe, to, observation, pp.receiverNode, pp.port, radios);
  const expect = expectationFor(plan.case, pp.probe, kernel);
  return { result, expectations: judgeExpectations(pp.probe.name, expect, observation, result.cause ?? undefined, result, pp.probe) };
};

/** With LAB_TRACE=1: when each stage of a case ended, from the case's start. */
const stage = (plan: CasePlan, started: number, text: string): void => {
  if (tracing()) process.stderr.write(`[trace] case ${plan.case.name}: ${text} at ${(performance.now() - started).toFixed(1)} ms\n`);
};

/** Runs one case in a fresh copy of the topology and always tears it down. */
export const runCase = async (
  runner: Runner,
  backend: HostBackend,
  scenario: Scenario,
  caseIndex: number,
  prefix: string,
  options: CaseOptions = {},
): Promise<CaseResult> => {
  const started = performance.now();
  const plan = planCase(scenario, caseIndex, prefix);
  const kernel = options.kernel ?? release();
  const pins = kernelPins(plan.case, kernel);
  const cell = {
    ...(plan.case.matrix ? { matrix: { ...plan.case.matrix, ...(pins.length ? { kernelPins: pins } : {}) } } : {}),
    ...(options.applied ? { applied: appliedLines(plan.ops) } : {}),
  };
  // The probes observed so far (all of them, unless the case failed on the way), and what the media saw of each.
  const observed: ProbeObservation[] = [];
  let media: (MediumObservation | undefined)[] = [];
  let failure: unknown;
  try {
    const live = await backend.up(plan);
    const observers = observerReaderOf(runner, live);
    for (const op of plan.observers) observers.warm(op.node);
    const host = probeHostOf(runner, live, observers);
    let capture: Capture | undefined;
    let medium: MediumObserver | undefined;
    stage(plan, started, 'built');
    try {
      [capture, medium] = await Promise.all([
        options.pcapDir ? startCapture(host, options.pcapDir) : undefined,
        observeMedia(host, options.pcapDir),
      ]);
      stage(plan, started, 'captures listening');
      const probe = caseProber(host);
      for (const [i, pp] of plan.probes.entries()) observed.push(await observeProbe(plan, probe, pp, i, medium, options));
      stage(plan, started, 'probed');
    } finally {
      for (const session of live.observerSessions.values()) session.end?.();
      await Promise.all([capture?.stop(), observers.stop()]);
      if (medium) media = await medium.stop(observed);
      stage(plan, started, 'captures read');
      await backend.down(plan, live, { defer: true });
      stage(plan, started, 'torn down');
    }
  } catch (err) {
    failure = err;
  }
  // Judged once each observation is complete: a verdict is a function of its observation alone.
  const radios = new Set(plan.topology.devices.filter((d) => d.kind === 'radio').map((d) => `${d.node}:${d.dev}`));
  const probes: ProbeResult[] = [];
  const expectations: ExpectationResult[] = [];
  try {
    for (const [i, observation] of observed.entries()) {
      const judged = judgeProbe(plan, plan.probes[i] as ProbePlan, withMedium(observation, media[i]), kernel, radios);
      probes.push(judged.result);
      expectations.push(...judged.expectations);
    }
  } catch (err) {
    failure ??= err;
  }
  const durationMs = performance.now() - started;
  if (failure !== undefined) {
    return {
      name: plan.case.name,
      // A kernel feature a recipe needs and this kernel lacks: the case cannot say anything here.
      status: failure instanceof CapabilityError ? 'skip' : 'error',
      ...cell,
      probes,
      expectations,
      error: failure instanceof Error ? failure.message : String(failure),
      durationMs,
    };
  }
  return { name: plan.case.name, status: caseStatus(expectations), ...cell, probes, expectations, durationMs };
};
