// What this host can do, asked before a lab is built: the requirements of run, up and bench, the
// cases this kernel cannot run, the machine's free memory and tasks, and the doctor's table.
import { hostFeatures, hostRequirements, requireAll, runTools, tcpdumpCapability, type Capability } from '../backends/capabilities.js';
import { readHostLimits, type HostLimits } from '../backends/host-limits.js';
import { forkingRunner } from '../backends/forker.js';
import type { Runner } from '../backends/runner.js';
import { defaultCacheDir } from '../backends/vm/cache.js';
import { optionalCapabilities } from '../backends/vm/doctor.js';
import { unsupportedCases } from '../backends/wireless/support.js';
import type { Scenario } from '../types/scenario.js';
import type { CaseResult } from '../types/result.js';
import { skippedCase } from '../verdict/skipped.js';

export type { Capability, HostLimits };

/** Root and the tools every lab needs; a CapabilityError (exit 3) naming the first one missing. */
export const requireHost = async (runner: Runner = forkingRunner()): Promise<void> => {
  requireAll(await hostRequirements(runner));
};

/**
 * For a run on another kernel: this machine's tools the selected cases need (a guest runs the
 * host's tools, its root is the host's), but not root itself. Said before a VM boots.
 */
export const requireGuestTools = async (
  scenarios: readonly Scenario[],
  selected: readonly [number, number][],
  { pcaps }: { pcaps: boolean },
): Promise<void> => {
  requireAll([...(await hostRequirements(forkingRunner())).filter((c) => c.name !== 'root'), ...runTools(scenarios, selected, { pcaps })]);
};

/**
 * For a run on this kernel: the requirements (a CapabilityError when one is missing), then the
 * selected cases this kernel cannot run (wireless without mac80211_hwsim), as skipped results by
 * "scenario/case" when `skipUnsupported`, else a CapabilityError. `toolsChecked`: the tools were
 * checked already (a guest whose host did it).
 */
export const checkRunHost = async (
  scenarios: readonly Scenario[],
  selected: readonly [number, number][],
  opts: { pcaps: boolean; skipUnsupported: boolean; toolsChecked: boolean },
): Promise<Map<string, CaseResult>> => {
  // Side by side (loading hwsim takes seconds in a TCG guest); a missing requirement still wins.
  const [required, wireless] = await Promise.allSettled([
    hostRequirements(forkingRunner(), { tools: !opts.toolsChecked }),
    unsupportedCases(forkingRunner(), scenarios, selected, opts.skipUnsupported),
  ]);
  if (required.status === 'rejected') throw required.reason;
  requireAll([...required.value, ...(opts.toolsChecked ? [] : runTools(scenarios, selected, { pcaps: opts.pcaps }))]);
  if (wireless.status === 'rejected') throw wireless.reason;
  const scenarioCase = (key: string): string => {
    const [si, ci] = key.split('/').map(Number);
    return scenarios[si ?? -1]?.cases[ci ?? -1]?.name ?? '';
  };
  return new Map([...wireless.value].map(([key, why]) => [key, skippedCase(scenarioCase(key), why)]));
};

/** Free memory and tasks, for the size check before a build. */
export const hostLimits = (): HostLimits => readHostLimits();

export interface DoctorReport {
  /** What the host backend needs, then the device types and features it may use. */
  required: Capability[];
  features: Capability[];
  /** Needed by `lab run --out` only. */
  tcpdump: Capability;
  /** Wireless and the VM backend. */
  optional: Capability[];
}

/** Everything `lab doctor` shows; the features are only asked when the requirements hold. */
export const doctorReport = async (runner: Runner = forkingRunner()): Promise<DoctorReport> => {
  const required = await hostRequirements(runner);
  const features = required.every((c) => c.ok) ? await hostFeatures(runner) : [];
  const tcpdump = await tcpdumpCapability(runner);
  const optional = await optionalCapabilities(runner, defaultCacheDir());
  return { required, features, tcpdump, optional };
};
