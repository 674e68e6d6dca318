// `lab run --kernel A --kernel B`: the same cases on each kernel, the host kernel with the host
// backend first, then the others each in a VM (src/backends/vm/), as many at once as there are
// cores, under one signal trap. The results come back in the order the kernels were given; the
// report over all of them is the caller's (src/cli/kernels.ts).
import { availableParallelism } from 'node:os';
import { forkingRunner } from '../backends/forker.js';
import { trapSignals } from '../backends/interrupt.js';
import { defaultCacheDir } from '../backends/vm/cache.js';
import { formatKernelSpec, needsVm, type KernelSpec } from '../backends/vm/kernel-spec.js';
import { ensureKernel } from '../backends/vm/kernels.js';
import { runInVm } from '../backends/vm/run.js';
import { Interrupted } from '../errors.js';
import type { ScenarioResult } from '../types/result.js';

/** Where the VM backend keeps what it fetched and built (LAB_CACHE_DIR, else /var/cache/netns-lab). */
export { defaultCacheDir };

/**
 * How many VMs boot at once: one per core (a TCG guest keeps a core busy; KVM ones mostly wait),
 * at most the number of kernels. LAB_VM_PARALLEL lowers it (a shared machine).
 */
export const vmParallelism = (vms: number, cores: number = availableParallelism(), env: NodeJS.ProcessEnv = process.env): number => {
  const asked = Number(env['LAB_VM_PARALLEL']);
  const cap = Number.isInteger(asked) && asked >= 1 ? Math.min(asked, cores) : cores;
  return Math.max(1, Math.min(cap, vms));
};

/** Runs `work` over `items` with at most `limit` at once; results in the items' order. A failure stops new starts and is thrown once all started ones ended. */
export const mapLimit = async <T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> => {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  let failure: { err: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const i = next++;
      try {
        results[i] = await work(items[i] as T, i);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  if (failure) throw failure.err;
  return results;
};

export interface KernelsRunOptions {
  /** The run on the host kernel (host backend), which traps signals itself and tears down what it built. */
  host(): Promise<{ code: number; results: ScenarioResult[] }>;
  /** Scenario files as the user named them, and the case names to run (empty: all). */
  files: readonly string[];
  cases: readonly string[];
  /** How many cases each kernel runs, matrix cells one by one (the VM's time budget). */
  caseCount: number;
  jobs: number | undefined;
  /** More `lab run` options for each inner run (--explain, --skip-unsupported). */
  extraArgs: string[];
  /** Modules (name and parameters) each guest loads while lab starts inside. */
  preload: string[][];
  out?: string;
  /** lab's package root: what runs inside. */
  packageRoot: string;
  /** A line of progress for stderr. */
  say(line: string): void;
}

/**
 * Every kernel's results, flattened in the order the kernels were given; `exit` when the host
 * run ended with more than a failed expectation (its exit code). A signal stops every VM (the
 * abort reaches each QEMU, the shares go) and the run ends as `Interrupted`.
 */
export const runEachKernel = async (kernels: readonly KernelSpec[], o: KernelsRunOptions): Promise<{ results: ScenarioResult[] } | { exit: number }> => {
  const byKernel: ScenarioResult[][] = kernels.map(() => []);
  const runner = forkingRunner();
  for (const [i, spec] of kernels.entries()) {
    if (needsVm(spec)) continue;
    const host = await o.host();
    if (host.code > 1) return { exit: host.code };
    byKernel[i] = host.results;
  }
  const vms = kernels.flatMap((spec, i) => (needsVm(spec) ? [{ spec, i }] : []));
  // SIGINT/SIGTERM: every QEMU is killed (the abort reaches them), the shares removed, the run ends.
  const trap = trapSignals((sig) => o.say(`\n${sig}: stopping the VM${vms.length > 1 ? 's' : ''}…`), () => undefined);
  // One VM failing stops the others: the run ends with its error, as one kernel after another did.
  const stop = new AbortController();
  const signal = AbortSignal.any([trap.signal, stop.signal]);
  try {
    // Fetched and prepared one at a time before any boot: downloads do not compete, and two VMs
    // never build the same cache entry at once (runInVm then finds each kernel cached).
    for (const { spec } of vms) await ensureKernel(spec, { runner, cacheDir: defaultCacheDir(), say: o.say });
    await mapLimit(vms, vmParallelism(vms.length), async ({ spec, i }) => {
      const started = performance.now();
      try {
        const vm = await runInVm({
          spec,
          files: o.files,
          cases: o.cases,
          caseCount: o.caseCount,
          jobs: o.jobs,
          extraArgs: o.extraArgs,
          preload: o.preload,
          ...(o.out !== undefined ? { out: o.out } : {}),
          packageRoot: o.packageRoot,
          cacheDir: defaultCacheDir(),
          runner,
          say: o.say,
          signal,
        });
        o.say(`kernel ${vm.kernel.release} (${formatKernelSpec(spec)}): VM with ${vm.accel.accel.toUpperCase()} (${vm.accel.reason}), ${(
          (performance.now() - started) / 1000).toFixed(1)} s`);
        byKernel[i] = vm.results;
      } catch (err) {
        stop.abort();
        throw err;
      }
    });
  } catch (err) {
    if (trap.caught) throw new Interrupted(trap.caught);
    throw err;
  } finally {
    trap.release();
  }
  return { results: byKernel.flat() };
};
