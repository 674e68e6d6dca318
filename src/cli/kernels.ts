// `lab run --kernel A --kernel B`: the same cases on each kernel (the host kernel with the host
// backend first, then the others each in a VM, as many at once as there are cores), then one
// report over all of them, in the order the kernels were given.
import type { KernelSpec } from '../backends/vm/kernel-spec.js';
import { formatKernelSpec, needsVm } from '../backends/vm/kernel-spec.js';
import { availableParallelism } from 'node:os';
import { defaultCacheDir } from '../backends/vm/cache.js';
import { runInVm } from '../backends/vm/run.js';
import { ensureKernel } from '../backends/vm/kernels.js';
import { forkingRunner } from '../backends/forker.js';
import { trapSignals, SIGNAL_EXIT } from '../backends/interrupt.js';
import type { Scenario } from '../types/scenario.js';
import type { ScenarioResult } from '../types/result.js';
import { kernelTable } from '../report/kernels.js';
import { packageRoot, type Output } from './io.js';
import { reportContext, writeReports } from './reports.js';
import { freshOutTree } from '../backends/out-tree.js';
import type { RunOptions } from './run-options.js';

type RunCommand = (opts: RunOptions, io: Output) => Promise<number>;

/** The case names to hand to the inner run; none when every case of every scenario is selected. */
export const caseNamesOf = (scenarios: readonly Scenario[], selected: readonly [number, number][]): string[] => {
  const total = scenarios.reduce((n, s) => n + s.cases.length, 0);
  if (selected.length === total) return [];
  return [...new Set(selected.map(([si, ci]) => scenarios[si]?.cases[ci]?.name ?? ''))].filter(Boolean);
};

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

export const runOnKernels = async (
  kernels: readonly KernelSpec[],
  opts: RunOptions,
  scenarios: readonly Scenario[],
  selected: readonly [number, number][],
  io: Output,
  runCommand: RunCommand,
): Promise<number> => {
  const byKernel: ScenarioResult[][] = kernels.map(() => []);
  const runner = forkingRunner();
  // One fresh tree for the whole side-by-side run; the host run inside only adds to it.
  if (opts.out !== undefined) freshOutTree(opts.out);
  for (const [i, spec] of kernels.entries()) {
    if (needsVm(spec)) continue;
    // The host run traps signals itself and tears down what it built.
    let got: ScenarioResult[] = [];
    const code = await runCommand({ ...opts, kernels: ['host'], backend: 'host', collect: (r) => (got = r) }, io);
    if (code > 1) return code;
    byKernel[i] = got;
  }
  const vms = kernels.flatMap((spec, i) => (needsVm(spec) ? [{ spec, i }] : []));
  // SIGINT/SIGTERM: every QEMU is killed (the abort reaches them), the shares removed, the run ends.
  const trap = trapSignals((sig) => io.err(`\n${sig}: stopping the VM${vms.length > 1 ? 's' : ''}…\n`), () => undefined);
  // One VM failing stops the others: the run ends with its error, as one kernel after another did.
  const stop = new AbortController();
  const signal = AbortSignal.any([trap.signal, stop.signal]);
  try {
    // Fetched and prepared one at a time before any boot: downloads do not compete, and two VMs
    // never build the same cache entry at once (runInVm then finds each kernel cached).
    for (const { spec } of vms) await ensureKernel(spec, { runner, cacheDir: defaultCacheDir(), say: (line) => io.err(`${line}\n`) });
    const extraArgs = [...(opts.explain ? ['--explain'] : []), ...(opts.skipUnsupported ? ['--skip-unsupported'] : [])];
    await mapLimit(vms, vmParallelism(vms.length), async ({ spec, i }) => {
      const started = performance.now();
      try {
        const vm = await runInVm({
          spec,
          files: opts.files,
          cases: caseNamesOf(scenarios, selected),
          caseCount: selected.length,
          jobs: opts.jobs,
          extraArgs,
          // Loaded while lab starts inside, instead of after: seconds under TCG.
          preload: selected.some(([si]) => (scenarios[si]?.wireless ?? []).length > 0) ? [['mac80211_hwsim', 'radios=0']] : [],
          ...(opts.out !== undefined ? { out: opts.out } : {}),
          packageRoot: packageRoot(),
          cacheDir: defaultCacheDir(),
          runner,
          say: (line) => io.err(`${line}\n`),
          signal,
        });
        io.err(`kernel ${vm.kernel.release} (${formatKernelSpec(spec)}): VM with ${vm.accel.accel.toUpperCase()} (${vm.accel.reason}), ${(
          (performance.now() - started) / 1000).toFixed(1)} s\n`);
        byKernel[i] = vm.results;
      } catch (err) {
        stop.abort();
        throw err;
      }
    });
  } catch (err) {
    if (trap.caught) return SIGNAL_EXIT[trap.caught] ?? 1;
    throw err;
  } finally {
    trap.release();
  }
  const all = byKernel.flat();
  const side = kernels.length > 1 && opts.formats.includes('table');
  const formats = side ? opts.formats.filter((f) => f !== 'table') : opts.formats;
  if (side) io.out(kernelTable(all, { width: process.stdout.columns ?? 120, color: process.stdout.isTTY === true }));
  if (formats.length) await writeReports(formats, opts.out, await reportContext(all, scenarios, opts.shard), io);
  return all.every((s) => s.cases.every((c) => c.status === 'pass' || c.status === 'skip')) ? 0 : 1;
};
