// The effectful middle of the pipeline: plan → apply → probe → verdict → teardown, per case.
import type { HostBackend } from './backends/host.js';
import type { Runner } from './backends/runner.js';
import type { Scenario } from './model/types.js';
import { planCase } from './plan/plan.js';
import { hostPort, runUdpProbe } from './probes/udp.js';
import {
  caseStatus,
  effectiveExpectation,
  explainObservation,
  judgeExpectations,
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
      for (const pp of plan.probes) {
        const obs = await runUdpProbe(runner, backend, live, pp);
        probes.push({
          name: pp.probe.name,
          proto: pp.probe.kind,
          from: `${pp.probe.from.node}:${pp.probe.from.address}`,
          to: hostPort(pp.probe.to.address, pp.port),
          delivered: obs.delivered,
          path: obs.path,
          devices: obs.devices,
          explanation: explainObservation(obs),
        });
        expectations.push(...judgeExpectations(pp.probe.name, effectiveExpectation(plan.case.expect, pp.probe), obs));
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
