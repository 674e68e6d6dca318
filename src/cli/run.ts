import { randomBytes } from 'node:crypto';
import { availableParallelism, release } from 'node:os';
import pLimit from 'p-limit';
import { hostRequirements, requireAll } from '../backends/capabilities.js';
import { HostBackend, removeNamespace } from '../backends/host.js';
import { execaRunner, type Runner } from '../backends/runner.js';
import { defaultStateDir, StateFile } from '../backends/state.js';
import { ScenarioError, UsageError } from '../errors.js';
import { loadScenarioFile } from '../model/load.js';
import type { Scenario } from '../model/types.js';
import { runCase, type ScenarioResult } from '../pipeline.js';
import { jsonReport } from '../report/json.js';
import { tableReport } from '../report/table.js';
import type { CaseResult } from '../verdict/verdict.js';
import { defaultScenarioPath, type Output } from './io.js';

export const FORMATS = ['table', 'json'] as const;
export type Format = (typeof FORMATS)[number];

export interface RunOptions {
  files: string[];
  cases: string[];
  jobs: number | undefined;
  format: Format;
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
      if (names.length === 0 || names.includes(c.name)) picked.push([si, ci]);
    }),
  );
  const known = new Set(scenarios.flatMap((s) => s.cases.map((c) => c.name)));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length) {
    throw new UsageError(
      `no case named ${unknown.map((n) => JSON.stringify(n)).join(', ')}; cases are:\n` +
        [...known].map((n) => `  ${n}`).join('\n'),
    );
  }
  return picked;
};

const progressLine = (done: number, total: number, scenario: string, c: CaseResult): string => {
  const mark = { pass: '✓', fail: '✗', skip: '-', error: '!' }[c.status];
  return `[${done}/${total}] ${mark} ${scenario} › ${c.name} (${Math.round(c.durationMs)} ms)\n`;
};

/** Tears down everything the run owns when SIGINT/SIGTERM arrives, then exits. */
const onSignals = (runner: Runner, state: StateFile, io: Output): (() => void) => {
  let stopping = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    io.err(`\n${signal}: tearing down ${state.namespaces.length} namespace(s)…\n`);
    void (async () => {
      for (const ns of [...state.namespaces]) {
        await removeNamespace(runner, ns).catch(() => undefined);
        state.release(ns);
      }
      state.close();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    })();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
};

/** `lab run`: exit 0 when every expectation held, 1 otherwise. */
export const runCommand = async (opts: RunOptions, io: Output): Promise<number> => {
  const files = opts.files.length ? opts.files : [defaultScenarioPath()];
  const scenarios = await loadAll(files);
  const selected = selectCases(scenarios, opts.cases);
  const runner = execaRunner();
  requireAll(await hostRequirements(runner));

  const runId = randomBytes(3).toString('hex');
  const state = new StateFile(defaultStateDir(), {
    runId,
    prefix: `lab-${runId}`,
    pid: process.pid,
    scenarios: files,
  });
  const stopSignals = onSignals(runner, state, io);
  const backend = new HostBackend(runner, state);
  const results: ScenarioResult[] = scenarios.map((s) => ({ name: s.name, file: s.file, kernel: release(), cases: [] }));
  const byCase = new Map<string, CaseResult>();
  const limit = pLimit(Math.max(1, opts.jobs ?? Math.min(availableParallelism(), selected.length || 1)));
  let done = 0;
  try {
    await Promise.all(
      selected.map(([si, ci]) =>
        limit(async () => {
          const scenario = scenarios[si] as Scenario;
          const result = await runCase(runner, backend, scenario, ci, `lab-${runId}`);
          byCase.set(`${si}/${ci}`, result);
          io.err(progressLine(++done, selected.length, scenario.name, result));
        }),
      ),
    );
  } finally {
    stopSignals();
    state.close();
  }
  for (const [si, ci] of selected) {
    const r = byCase.get(`${si}/${ci}`);
    if (r) results[si]?.cases.push(r);
  }
  const shown = results.filter((r) => r.cases.length > 0);
  io.out(opts.format === 'json' ? jsonReport(shown) : tableReport(shown, { width: process.stdout.columns ?? 120 }));
  return shown.every((s) => s.cases.every((c) => c.status === 'pass' || c.status === 'skip')) ? 0 : 1;
};
