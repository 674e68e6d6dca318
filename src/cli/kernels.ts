// `lab run --kernel A --kernel B`: the same cases on each kernel, one after the other (the host
// kernel with the host backend, the others in a VM), then one report over all of them.
import type { KernelSpec } from '../backends/vm/kernel-spec.js';
import { formatKernelSpec, needsVm } from '../backends/vm/kernel-spec.js';
import { defaultCacheDir } from '../backends/vm/cache.js';
import { runInVm } from '../backends/vm/run.js';
import { execaRunner } from '../backends/runner.js';
import { trapSignals, SIGNAL_EXIT } from '../backends/interrupt.js';
import type { Scenario } from '../model/types.js';
import type { ScenarioResult } from '../pipeline.js';
import { kernelTable } from '../report/kernels.js';
import { packageRoot, type Output } from './io.js';
import { reportContext, writeReports } from './reports.js';
import { freshOutTree } from '../backends/out-tree.js';
import type { RunOptions } from './run.js';

type RunCommand = (opts: RunOptions, io: Output) => Promise<number>;

/** The case names to hand to the inner run; none when every case of every scenario is selected. */
export const caseNamesOf = (scenarios: readonly Scenario[], selected: readonly [number, number][]): string[] => {
  const total = scenarios.reduce((n, s) => n + s.cases.length, 0);
  if (selected.length === total) return [];
  return [...new Set(selected.map(([si, ci]) => scenarios[si]?.cases[ci]?.name ?? ''))].filter(Boolean);
};

export const runOnKernels = async (
  kernels: readonly KernelSpec[],
  opts: RunOptions,
  scenarios: readonly Scenario[],
  selected: readonly [number, number][],
  io: Output,
  runCommand: RunCommand,
): Promise<number> => {
  const all: ScenarioResult[] = [];
  const runner = execaRunner();
  // One fresh tree for the whole side-by-side run; the host run inside only adds to it.
  if (opts.out !== undefined) freshOutTree(opts.out);
  for (const spec of kernels) {
    if (!needsVm(spec)) {
      // The host run traps signals itself and tears down what it built.
      let got: ScenarioResult[] = [];
      const code = await runCommand({ ...opts, kernels: ['host'], backend: 'host', collect: (r) => (got = r) }, io);
      if (code > 1) return code;
      all.push(...got);
      continue;
    }
    // SIGINT/SIGTERM: QEMU is killed (the abort reaches it), the share removed, the run ends.
    const trap = trapSignals((sig) => io.err(`\n${sig}: stopping the VM…\n`), () => undefined);
    try {
      const started = performance.now();
      const extraArgs = [...(opts.explain ? ['--explain'] : []), ...(opts.skipUnsupported ? ['--skip-unsupported'] : [])];
      const vm = await runInVm({
        spec,
        files: opts.files,
        cases: caseNamesOf(scenarios, selected),
        jobs: opts.jobs,
        extraArgs,
        // Loaded while lab starts inside, instead of after: seconds under TCG.
        preload: selected.some(([si]) => (scenarios[si]?.wireless ?? []).length > 0) ? [['mac80211_hwsim', 'radios=0']] : [],
        ...(opts.out !== undefined ? { out: opts.out } : {}),
        packageRoot: packageRoot(),
        cacheDir: defaultCacheDir(),
        runner,
        say: (line) => io.err(`${line}\n`),
        signal: trap.signal,
      });
      io.err(`kernel ${vm.kernel.release} (${formatKernelSpec(spec)}): VM with ${vm.accel.accel.toUpperCase()} (${vm.accel.reason}), ${(
        (performance.now() - started) / 1000).toFixed(1)} s\n`);
      all.push(...vm.results);
    } catch (err) {
      if (trap.caught) return SIGNAL_EXIT[trap.caught] ?? 1;
      throw err;
    } finally {
      trap.release();
    }
  }
  const side = kernels.length > 1 && opts.formats.includes('table');
  const formats = side ? opts.formats.filter((f) => f !== 'table') : opts.formats;
  if (side) io.out(kernelTable(all, { width: process.stdout.columns ?? 120, color: process.stdout.isTTY === true }));
  if (formats.length) await writeReports(formats, opts.out, await reportContext(all, scenarios, opts.shard), io);
  return all.every((s) => s.cases.every((c) => c.status === 'pass' || c.status === 'skip')) ? 0 : 1;
};
