// The effectful middle of the pipeline: plan → apply → probe → verdict → teardown, per case.
import type { HostBackend } from './backends/host.js';
import type { Runner } from './backends/runner.js';
import { release } from 'node:os';
import { CapabilityError } from './errors.js';
import { expectationFor, kernelPins } from './model/matrix.js';
import type { Scenario } from './types/scenario.js';
import { planCase } from './plan/plan.js';
import { appliedLines } from './report/applied.js';
import { hostPort, runProbe } from './probes/probe.js';
import { startCapture, type Capture } from './probes/capture.js';
import { observeMedia, type MediumObserver } from './probes/medium.js';
import type { DropTracer } from './probes/drops.js';
import { selectLookups, type FibTracer } from './probes/fib-trace.js';
import { lookupSelector } from './probes/route-query.js';
import type { DeviceCount } from './types/observation.js';
import { caseStatus, judgeExpectations, probeResult } from './verdict/verdict.js';
import type { CaseResult, ExpectationResult, ProbeResult } from './types/result.js';
// moved to src/types/result.ts (re-exported here during the move only)
export type { ScenarioResult } from './types/result.js';

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
  const probes: ProbeResult[] = [];
  const expectations: ExpectationResult[] = [];
  try {
    const live = await backend.up(plan);
    let capture: Capture | undefined;
    let medium: MediumObserver | undefined;
    try {
      [capture, medium] = await Promise.all([
        options.pcapDir ? startCapture(runner, live, options.pcapDir) : undefined,
        observeMedia(runner, live, options.pcapDir),
      ]);
      let observer: Map<string, Map<string, DeviceCount>> | undefined;
      const radios = new Set(plan.topology.devices.filter((d) => d.kind === 'radio').map((d) => `${d.node}:${d.dev}`));
      const { drops } = options;
      for (const [i, pp] of plan.probes.entries()) {
        const { fib } = options;
        const fibMark = fib && 'mark' in fib ? fib.mark() : undefined;
        const probe = () => (medium as MediumObserver).window(i, () => runProbe(runner, backend, live, pp, i, observer));
        const run = drops && 'window' in drops
          ? await drops.window(probe).then(({ result, drops: reasons }) => {
              result.observation.dropReasons = reasons;
              return result;
            })
          : await probe();
        if (drops && 'unavailable' in drops) run.observation.limits.push(drops.unavailable);
        if (fib && 'since' in fib && fibMark !== undefined) run.observation.lookups = selectLookups(fib.since(fibMark), lookupSelector(pp.probe, pp.port, pp.sport));
        if (fib && 'unavailable' in fib) run.observation.limits.push(fib.unavailable);
        observer = run.observer;
        const to = pp.probe.kind === 'icmp' ? pp.probe.to.address : hostPort(pp.probe.to.address, pp.port);
        const result = probeResult(pp.probe, to, run.observation, pp.receiverNode, pp.port, radios);
        probes.push(result);
        const expect = expectationFor(plan.case, pp.probe, kernel);
        expectations.push(...judgeExpectations(pp.probe.name, expect, run.observation, result.cause ?? undefined, result, pp.probe));
      }
    } finally {
      await capture?.stop();
      await medium?.stop(probes);
      await backend.down(plan, live, { defer: true });
    }
  } catch (err) {
    return {
      name: plan.case.name,
      // A kernel feature a recipe needs and this kernel lacks: the case cannot say anything here.
      status: err instanceof CapabilityError ? 'skip' : 'error',
      ...cell,
      probes,
      expectations,
      error: err instanceof Error ? err.message : String(err),
      durationMs: performance.now() - started,
    };
  }
  return { name: plan.case.name, status: caseStatus(expectations), ...cell, probes, expectations, durationMs: performance.now() - started };
};
