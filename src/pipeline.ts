// The effectful middle of the pipeline: plan → apply → probe → verdict → teardown, per case.
import type { HostBackend } from './backends/host.js';
import type { Runner } from './backends/runner.js';
import type { Scenario } from './model/types.js';
import { planCase } from './plan/plan.js';
import { hostPort, runProbe } from './probes/probe.js';
import type { DeviceCount } from './probes/observe.js';
import {
  caseStatus,
  effectiveExpectation,
  judgeExpectations,
  probeResult,
  type CaseResult,
  type ExpectationResult,
  type ProbeResult,
} from './verdict/verdict.js';

export interface ScenarioResult {
  name: string;
  file: string;
  kernel: string;
  cases: CaseResult[];
}

/** Runs one case in a fresh copy of the topology and always tears it down. */
export const runCase = async (
  runner: Runner,
  backend: HostBackend,
  scenario: Scenario,
  caseIndex: number,
  prefix: string,
): Promise<CaseResult> => {
  const started = performance.now();
  const plan = planCase(scenario, caseIndex, prefix);
  const probes: ProbeResult[] = [];
  const expectations: ExpectationResult[] = [];
  try {
    const live = await backend.up(plan);
    try {
      let observer: Map<string, Map<string, DeviceCount>> | undefined;
      for (const [i, pp] of plan.probes.entries()) {
        const run = await runProbe(runner, backend, live, pp, i, observer);
        observer = run.observer;
        const to = pp.probe.kind === 'icmp' ? pp.probe.to.address : hostPort(pp.probe.to.address, pp.port);
        const result = probeResult(pp.probe, to, run.observation, pp.receiverNode, pp.port);
        probes.push(result);
        const expect = effectiveExpectation(plan.case.expect, pp.probe);
        expectations.push(...judgeExpectations(pp.probe.name, expect, run.observation, result.cause ?? undefined));
      }
    } finally {
      await backend.down(plan);
    }
  } catch (err) {
    return {
      name: plan.case.name,
      status: 'error',
      probes,
      expectations,
      error: err instanceof Error ? err.message : String(err),
      durationMs: performance.now() - started,
    };
  }
  return { name: plan.case.name, status: caseStatus(expectations), probes, expectations, durationMs: performance.now() - started };
};
