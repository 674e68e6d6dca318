// `lab run --kernel A --kernel B`: the same cases on each kernel (the host kernel with the host
// backend first, then the others each in a VM, as many at once as there are cores: the session's
// runEachKernel, src/session/vm.ts), then one report over all of them, in the order the kernels
// were given.
import type { Scenario } from '../types/scenario.js';
import type { ScenarioResult } from '../types/result.js';
import { kernelTable } from '../report/kernels.js';
import { freshOutTree, runEachKernel, type KernelSpec } from '../session/index.js';
import { packageRoot, type Output } from './io.js';
import { reportContext, writeReports } from './reports.js';
import type { RunOptions } from './run-options.js';

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
  // One fresh tree for the whole side-by-side run; the host run inside only adds to it.
  if (opts.out !== undefined) freshOutTree(opts.out);
  const done = await runEachKernel(kernels, {
    // The host run traps signals itself and tears down what it built.
    host: async () => {
      let results: ScenarioResult[] = [];
      const code = await runCommand({ ...opts, kernels: ['host'], backend: 'host', collect: (r) => (results = r) }, io);
      return { code, results };
    },
    files: opts.files,
    cases: caseNamesOf(scenarios, selected),
    caseCount: selected.length,
    jobs: opts.jobs,
    extraArgs: [...(opts.explain ? ['--explain'] : []), ...(opts.skipUnsupported ? ['--skip-unsupported'] : [])],
    // Loaded while lab starts inside, instead of after: seconds under TCG.
    preload: selected.some(([si]) => (scenarios[si]?.wireless ?? []).length > 0) ? [['mac80211_hwsim', 'radios=0']] : [],
    ...(opts.out !== undefined ? { out: opts.out } : {}),
    packageRoot: packageRoot(),
    say: (line) => io.err(`${line}\n`),
  });
  if ('exit' in done) return done.exit;
  const all = done.results;
  const side = kernels.length > 1 && opts.formats.includes('table');
  const formats = side ? opts.formats.filter((f) => f !== 'table') : opts.formats;
  if (side) io.out(kernelTable(all, { width: process.stdout.columns ?? 120, color: process.stdout.isTTY === true }));
  if (formats.length) await writeReports(formats, opts.out, await reportContext(all, scenarios, opts.shard), io);
  return all.every((s) => s.cases.every((c) => c.status === 'pass' || c.status === 'skip')) ? 0 : 1;
};
