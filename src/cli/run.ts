import { availableParallelism, release } from 'node:os';
import pLimit from 'p-limit';
import { UsageError } from '../errors.js';
import type { Scenario } from '../types/scenario.js';
import { runCase, type CaseOptions } from '../pipeline.js';
import { baselineRecord } from '../plan/baseline.js';
import { startDropTracer } from '../probes/drops.js';
import { startFibTracer } from '../probes/fib-trace.js';
import { needsRouteTrace } from '../probes/route-query.js';
import { checkRunHost, freshOutTree, hostLimits, outFolders, requireGuestTools, runKernels, withLab } from '../session/index.js';
import type { CaseResult, ScenarioResult } from '../types/result.js';
import { exitOnSecondSignal } from './exit-codes.js';
import { defaultScenarioPath, type Output } from './io.js';
import { runOnKernels } from './kernels.js';
import { loadAll, selectCases } from './load.js';
import { runProgress, shardCases } from './run-ci.js';
import type { RunOptions } from './run-options.js';
import { checkFormats, REPORT_FILES, reportContext, writeReports } from './reports.js';
import { estimateRun, sizeProblem } from './size-check.js';

/** `lab run`: exit 0 when every expectation held, 1 otherwise. */
export const runCommand = async (opts: RunOptions, io: Output): Promise<number> => {
  const files = opts.files.length ? opts.files : [defaultScenarioPath()];
  const scenarios = await loadAll(files);
  checkFormats(opts.formats, opts.out);
  const selected = shardCases(scenarios, selectCases(scenarios, opts.cases), opts.shard, io);
  const { kernels, vm } = runKernels(opts.backend, opts.kernels ?? []);
  if (!opts.collect && vm) {
    // A guest runs this machine's tools (its root is the host's): a missing one is said here,
    // before a boot, and the guest does not ask again (each check is a process start, 0.5 s
    // and more under TCG).
    await requireGuestTools(scenarios, selected, { pcaps: opts.out !== undefined });
    return runOnKernels(kernels, { ...opts, files }, scenarios, selected, io, runCommand);
  }
  // Drop reasons are system-wide: one case at a time keeps each probe's window its own.
  const jobs = opts.explain ? 1 : opts.jobs ?? Math.min(availableParallelism(), selected.length || 1);
  // Before anything is built: a lab larger than the machine can hold is refused (exit 2).
  if (!opts.ignoreSizeLimit) {
    const problem = sizeProblem(estimateRun(scenarios, selected, jobs, opts.out !== undefined), hostLimits(), jobs);
    if (problem) throw new UsageError(problem);
  }
  const toolsChecked = process.env['LAB_IN_VM'] === '1' && process.env['LAB_TOOLS_CHECKED'] === '1';
  const unsupported = await checkRunHost(scenarios, selected, {
    pcaps: opts.out !== undefined, skipUnsupported: opts.skipUnsupported ?? false, toolsChecked,
  });

  // A fresh tree per run: what the last run wrote into --out goes first (see out-tree.ts).
  if (opts.out !== undefined && !opts.collect) freshOutTree(opts.out);
  const caseFolder = outFolders(scenarios, files, Object.values(REPORT_FILES));

  if (opts.explain && (opts.jobs ?? 1) > 1) io.err('--explain runs one case at a time (drop reasons are system-wide)\n');
  const done = await withLab({ scenarios: files, say: (text) => io.err(text), progress: true, exit: exitOnSecondSignal }, async (lab) => {
    const { runner, state, backend, signal } = lab;
    // Read while the tracers start and the first cases plan (HostBackend.prefetchBaseline).
    backend.prefetchBaseline();
    const byCase = new Map<string, CaseResult>();
    const limit = pLimit(Math.max(1, jobs));
    const caseOptions: CaseOptions = {
      ...(opts.explain ? { drops: await startDropTracer(runner, state, state.runId), applied: true } : {}),
      // Which table answered a probe: only when an expectation asks about the route.
      ...(selected.some(([si, ci]) => needsRouteTrace([scenarios[si]?.cases[ci]].filter((c) => c !== undefined)))
        ? { fib: await startFibTracer(runner, state, state.runId) }
        : {}),
    };
    const progress = runProgress(selected.length, io);
    try {
      // allSettled: one case that throws must not let the run close its state while others still build.
      const settled = await Promise.allSettled(
        selected.map(([si, ci]) =>
          limit(async () => {
            if (signal.aborted) return;
            const scenario = scenarios[si] as Scenario;
            const skipped = unsupported.get(`${si}/${ci}`);
            if (skipped) return void byCase.set(`${si}/${ci}`, skipped);
            progress.started(`${si}/${ci}`, scenario.cases[ci]?.name ?? '');
            // Case indexes restart in every file: the scenario's place keeps namespace names apart.
            const prefix = si === 0 ? `lab-${state.runId}` : `lab-${state.runId}-s${si}`;
            const pcapDir = opts.out !== undefined ? caseFolder(opts.out, si, ci) : undefined;
            const result = await runCase(runner, backend, scenario, ci, prefix, { ...caseOptions, ...(pcapDir ? { pcapDir } : {}) });
            if (signal.aborted) return;
            byCase.set(`${si}/${ci}`, result);
            progress.finished(`${si}/${ci}`, scenario.name, result);
          }),
        ),
      );
      // (After an interrupt withLab throws Interrupted instead, whatever the cases did.)
      const failed = settled.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
    } finally {
      if (caseOptions.drops && 'stop' in caseOptions.drops) await caseOptions.drops.stop();
      if (caseOptions.fib && 'stop' in caseOptions.fib) await caseOptions.fib.stop();
      progress.stop();
    }
    return { byCase, baselineMissing: backend.baselineMissing };
  });
  const results: ScenarioResult[] = scenarios.map((s) => ({ name: s.name, file: s.file, kernel: release(), cases: [] }));
  for (const [si, ci] of selected) {
    const r = done.byCase.get(`${si}/${ci}`);
    if (r) results[si]?.cases.push(r);
  }
  const baseline = baselineRecord(done.baselineMissing);
  for (const r of results) r.sysctlBaseline = baseline;
  const shown = results.filter((r) => r.cases.length > 0);
  if (opts.collect) {
    opts.collect(shown);
    return 0;
  }
  const context = await reportContext(shown, scenarios, opts.shard);
  await writeReports(opts.formats, opts.out, { ...context, ...(opts.explain ? { explain: true } : {}) }, io);
  return shown.every((s) => s.cases.every((c) => c.status === 'pass' || c.status === 'skip')) ? 0 : 1;
};
