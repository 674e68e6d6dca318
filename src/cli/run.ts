import { availableParallelism, release } from 'node:os';
import pLimit from 'p-limit';
import { hostRequirements, requireAll, runTools } from '../backends/capabilities.js';
import { baselineRecord } from '../plan/baseline.js';
import { HostBackend } from '../backends/host.js';
import { confinedTo, guardedRunner, isTeardownCommand, SIGNAL_EXIT, trapSignals, type GuardedRunner, type SignalTrap } from '../backends/interrupt.js';
import { execaRunner } from '../backends/runner.js';
import { defaultStateDir, StateFile } from '../backends/state.js';
import { claimOut, freshOutTree, scenarioFolders, uniqueNames } from '../backends/out-tree.js';
import { caseDirName } from '../probes/capture.js';
import { join } from 'node:path';
import { teardownRecorded } from '../backends/teardown.js';
import { ScenarioError, UsageError } from '../errors.js';
import { loadScenarioFile } from '../model/load.js';
import type { Scenario } from '../types/scenario.js';
import { runCase, type CaseOptions } from '../pipeline.js';
import type { ScenarioResult, CaseResult } from '../types/result.js';
import { startDropTracer } from '../probes/drops.js';
import { startFibTracer } from '../probes/fib-trace.js';
import { needsRouteTrace } from '../probes/route-query.js';
import type { Shard } from '../plan/shard.js';
import { defaultScenarioPath, type Output } from './io.js';
import { runProgress, shardCases } from './run-ci.js';
import { checkFormats, REPORT_FILES, reportContext, writeReports, type Format } from './reports.js';
import { kernelsOfRun, needsVm } from '../backends/vm/kernel-spec.js';
import { unsupportedCases } from '../backends/wireless/support.js';
import { runOnKernels } from './kernels.js';
import { estimateRun, sizeProblem } from './size-check.js';
import { readHostLimits } from '../backends/host-limits.js';

export interface RunOptions {
  files: string[];
  cases: string[];
  jobs: number | undefined;
  /** One or more report formats; see reports.ts for where each goes. */
  formats: Format[];
  /** Directory for the document reports (json, tap, junit) and the job summary. */
  out?: string;
  shard?: Shard;
  /** Drop reasons from the skb:kfree_skb tracepoint per probe; cases run one at a time. */
  explain?: boolean;
  backend?: 'host' | 'vm';
  /** `--kernel`, as given: host, debian, a release or a path; several run side by side. */
  kernels?: string[];
  /** Skip the scenarios this kernel cannot run (wireless without hwsim) instead of exit 3. */
  skipUnsupported?: boolean;
  /** Run even when the estimate says the machine cannot hold it (see size-check.ts). */
  ignoreSizeLimit?: boolean;
  /** Hands the results over instead of writing reports (one kernel of a side-by-side run). */
  collect?: (results: ScenarioResult[]) => void;
}

/** Loads every file first: bad input stops the run before any namespace exists. */
export const loadAll = async (files: readonly string[]): Promise<Scenario[]> => {
  const loaded = await Promise.allSettled(files.map((f) => loadScenarioFile(f)));
  const errors = loaded.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  const other = errors.find((e) => !(e instanceof ScenarioError));
  if (other !== undefined) throw other;
  if (errors.length) throw new ScenarioError(errors.flatMap((e) => (e as ScenarioError).problems));
  return loaded.map((r) => (r as PromiseFulfilledResult<Scenario>).value);
};

/** The cases to run, as [scenario, case index]; `--case` must name at least one existing case. */
export const selectCases = (scenarios: readonly Scenario[], names: readonly string[]): [number, number][] => {
  const picked: [number, number][] = [];
  scenarios.forEach((s, si) =>
    s.cases.forEach((c, ci) => {
      // A matrix case's own name selects all its cells; a cell's name selects that cell.
      if (names.length === 0 || names.includes(c.name) || (c.matrix && names.includes(c.matrix.case))) picked.push([si, ci]);
    }),
  );
  const known = new Set(scenarios.flatMap((s) => s.cases.flatMap((c) => (c.matrix ? [c.matrix.case, c.name] : [c.name]))));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length) {
    throw new UsageError(
      `no case named ${unknown.map((n) => JSON.stringify(n)).join(', ')}; cases are:\n` +
        [...known].map((n) => `  ${n}`).join('\n'),
    );
  }
  return picked;
};

const stillRecorded = (state: StateFile): string =>
  `some resources of run ${state.runId} remain recorded in ${state.path}: run \`lab clean\`\n`;

/**
 * SIGINT/SIGTERM/SIGHUP: the first one stops the run. Nothing new is built, the cases in flight
 * tear down what they built, then whatever the state file still records is removed and the run
 * exits 128+signal. A second signal stops waiting for commands in flight: what is recorded is
 * removed at once, and the state file stays if something may still be in the making, so that
 * `lab clean` can finish the job.
 */
export const trapRunSignals = (lab: { state?: StateFile; runner?: GuardedRunner }, io: Output): SignalTrap => {
  const trap: SignalTrap = trapSignals(
    (sig) => {
      const s = lab.state;
      io.err(`\n${sig}: tearing down ${s?.namespaces.length ?? 0} namespace(s); waiting for the cases in flight…\n`);
    },
    (sig) => {
      const { state: s, runner: r } = lab;
      io.err(`${sig} again: removing what the state file records now\n`);
      void (async () => {
        try {
          // Commands inside the run's own namespaces (its agents, for one) make nothing that
          // outlives them, nor do deletions; anything else might still make what the state file
          // must keep.
          const busy = (r?.inFlightCommands() ?? []).some(
            (c) => !s || !(confinedTo(c.argv, s.prefix) || isTeardownCommand(c.argv, c.input)),
          );
          if (s && r) await teardownRecorded(s, { runner: r, keepAbsent: busy }).catch(() => undefined);
          if (s && ((!busy && !s.ownsAnything) || s.closed)) s.close();
          else if (busy) io.err('commands were still in flight: run `lab clean` to remove anything they made\n');
          else if (s) io.err(stillRecorded(s));
        } catch (err) {
          io.err(`could not finish the teardown: ${err instanceof Error ? err.message : String(err)}; run \`lab clean\`\n`);
        } finally {
          // Whatever happened above, the exit code says which signal ended the run.
          process.exit(SIGNAL_EXIT[trap.caught ?? sig] ?? 1);
        }
      })();
    },
  );
  return trap;
};

/** After an interrupt: waits for commands in flight, removes what is still recorded, closes the state file. */
export const finishInterrupted = async (state: StateFile, runner: GuardedRunner, io: Output): Promise<void> => {
  await runner.idle();
  const report = await teardownRecorded(state, { runner });
  for (const f of report.failed) io.err(`could not remove ${f}\n`);
  if (!state.ownsAnything) state.close();
  else io.err(stillRecorded(state));
};

/**
 * Where a case's pcaps go under --out: DIR/<scenario file's name>/<case name>/, one folder per
 * scenario file (two files with cases of the same names no longer share one), claimed in DIR's
 * manifest before anything is written into it.
 */
export const outFolders = (scenarios: readonly Scenario[], files: readonly string[]) => {
  const byScenario = scenarioFolders(files, Object.values(REPORT_FILES));
  const byCase = scenarios.map((s) => uniqueNames(s.cases.map((c) => caseDirName(c.name))));
  return (out: string, si: number, ci: number): string =>
    join(claimOut(out, byScenario[si] ?? `scenario-${si}`), byCase[si]?.[ci] ?? `case-${ci}`);
};

/** `lab run`: exit 0 when every expectation held, 1 otherwise. */
export const runCommand = async (opts: RunOptions, io: Output): Promise<number> => {
  const files = opts.files.length ? opts.files : [defaultScenarioPath()];
  const scenarios = await loadAll(files);
  checkFormats(opts.formats, opts.out);
  const selected = shardCases(scenarios, selectCases(scenarios, opts.cases), opts.shard, io);
  const kernels = kernelsOfRun(opts.backend, opts.kernels ?? []);
  if (!opts.collect && kernels.some(needsVm)) {
    // A guest runs this machine's tools (its root is the host's): a missing one is said here,
    // before a boot, and the guest does not ask again (each check is a process start, 0.5 s
    // and more under TCG).
    requireAll([...(await hostRequirements(execaRunner())).filter((c) => c.name !== 'root'), ...runTools(scenarios, selected, { pcaps: opts.out !== undefined })]);
    return runOnKernels(kernels, { ...opts, files }, scenarios, selected, io, runCommand);
  }
  // Drop reasons are system-wide: one case at a time keeps each probe's window its own.
  const jobs = opts.explain ? 1 : opts.jobs ?? Math.min(availableParallelism(), selected.length || 1);
  // Before anything is built: a lab larger than the machine can hold is refused (exit 2).
  if (!opts.ignoreSizeLimit) {
    const problem = sizeProblem(estimateRun(scenarios, selected, jobs, opts.out !== undefined), readHostLimits(), jobs);
    if (problem) throw new UsageError(problem);
  }
  const toolsChecked = process.env['LAB_IN_VM'] === '1' && process.env['LAB_TOOLS_CHECKED'] === '1';
  // Side by side (loading hwsim takes seconds in a TCG guest); a missing requirement still wins.
  const [required, wireless] = await Promise.allSettled([
    hostRequirements(execaRunner(), { tools: !toolsChecked }),
    unsupportedCases(execaRunner(), scenarios, selected, opts.skipUnsupported ?? false),
  ]);
  if (required.status === 'rejected') throw required.reason;
  requireAll([...required.value, ...(toolsChecked ? [] : runTools(scenarios, selected, { pcaps: opts.out !== undefined }))]);
  if (wireless.status === 'rejected') throw wireless.reason;
  const unsupported = wireless.value;

  // A fresh tree per run: what the last run wrote into --out goes first (see out-tree.ts).
  if (opts.out !== undefined && !opts.collect) freshOutTree(opts.out);
  const caseFolder = outFolders(scenarios, files);

  const lab: { state?: StateFile; runner?: GuardedRunner } = {};
  const trap = trapRunSignals(lab, io);
  const runner = (lab.runner = guardedRunner(execaRunner(), trap.signal));
  let state: StateFile;
  try {
    state = lab.state = StateFile.create(defaultStateDir(), { pid: process.pid, scenarios: files });
  } catch (err) {
    trap.release();
    throw err;
  }
  const runId = state.runId;
  const backend = new HostBackend(runner, state, undefined, { signal: trap.signal, progress: (line) => io.err(`${line}\n`) });
  const results: ScenarioResult[] = scenarios.map((s) => ({ name: s.name, file: s.file, kernel: release(), cases: [] }));
  const byCase = new Map<string, CaseResult>();
  if (opts.explain && (opts.jobs ?? 1) > 1) io.err('--explain runs one case at a time (drop reasons are system-wide)\n');
  const limit = pLimit(Math.max(1, jobs));
  const caseOptions: CaseOptions = {
    ...(opts.explain ? { drops: await startDropTracer(runner, state, runId), applied: true } : {}),
    // Which table answered a probe: only when an expectation asks about the route.
    ...(selected.some(([si, ci]) => needsRouteTrace([scenarios[si]?.cases[ci]].filter((c) => c !== undefined)))
      ? { fib: await startFibTracer(runner, state, runId) }
      : {}),
  };
  const progress = runProgress(selected.length, io);
  try {
    // allSettled: one case that throws must not let the run close its state while others still build.
    const settled = await Promise.allSettled(
      selected.map(([si, ci]) =>
        limit(async () => {
          if (trap.signal.aborted) return;
          const scenario = scenarios[si] as Scenario;
          const skipped = unsupported.get(`${si}/${ci}`);
          if (skipped) return void byCase.set(`${si}/${ci}`, skipped);
          progress.started(`${si}/${ci}`, scenario.cases[ci]?.name ?? '');
          // Case indexes restart in every file: the scenario's place keeps namespace names apart.
          const prefix = si === 0 ? `lab-${runId}` : `lab-${runId}-s${si}`;
          const pcapDir = opts.out !== undefined ? caseFolder(opts.out, si, ci) : undefined;
          const result = await runCase(runner, backend, scenario, ci, prefix, { ...caseOptions, ...(pcapDir ? { pcapDir } : {}) });
          if (trap.signal.aborted) return;
          byCase.set(`${si}/${ci}`, result);
          progress.finished(`${si}/${ci}`, scenario.name, result);
        }),
      ),
    );
    // The cases' namespaces, deleted together now that none is running. A signal in the middle
    // of it is an interrupt like any other: its teardown below deletes what is left.
    if (!trap.caught) {
      await backend.flush().catch((err: unknown) => {
        if (!trap.caught) throw err;
      });
    }
    if (trap.caught) {
      // The exit code says which signal ended the run, even when the teardown fails.
      await finishInterrupted(state, runner, io).catch((err: unknown) =>
        io.err(`could not finish the teardown: ${err instanceof Error ? err.message : String(err)}; run \`lab clean\`\n`),
      );
      return SIGNAL_EXIT[trap.caught] ?? 1;
    }
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  } finally {
    if (caseOptions.drops && 'stop' in caseOptions.drops) await caseOptions.drops.stop();
    if (caseOptions.fib && 'stop' in caseOptions.fib) await caseOptions.fib.stop();
    progress.stop();
    trap.release();
    if (!trap.caught) state.close();
  }
  for (const [si, ci] of selected) {
    const r = byCase.get(`${si}/${ci}`);
    if (r) results[si]?.cases.push(r);
  }
  const baseline = baselineRecord(backend.baselineMissing);
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
