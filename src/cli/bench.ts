// `lab bench`: lab against Mininet and the raw `ip -batch` floor, the default scenario's per-case
// latency, a matrix with --jobs 1 and 2, the wireless VM scenario; one run, one table (or JSON).
import { availableParallelism, loadavg, release } from 'node:os';
import { checkLinearSize } from '../bench/linear.js';
import { checkMatrixCells } from '../bench/matrix.js';
import {
  floorLinear, labLinear, matrixRuns, mininetLinear, mininetMissing, NotHere, seedCases, type BenchEnv,
} from '../bench/measure.js';
import { renderTable, type BenchDocument } from '../bench/report.js';
import { caseMedians, median, percentile, roundTo } from '../bench/stats.js';
import { renderVm, vmBench } from '../bench/vm.js';
import { CapabilityError, UsageError } from '../errors.js';
import { defaultCacheDir, requireHost, withLab } from '../session/index.js';
import { exitOnSecondSignal } from './exit-codes.js';
import { packageRoot, type Output } from './io.js';

export const BENCH_PARTS = ['linear', 'seed', 'matrix', 'vm'] as const;
export type BenchPart = (typeof BENCH_PARTS)[number];

export interface BenchOptions {
  /** The sizes N of linear,N. */
  linear: number[];
  /** Runs of lab and of the floor per size, and of each default-scenario case. */
  repeat: number;
  /** Only the first cases of the default scenario (--quick: the two that deliver, no timeout to wait). */
  seedCases?: number;
  cells: number;
  mininet: boolean;
  parts: BenchPart[];
  json: boolean;
  /** Why a part is left out (e.g. --quick leaves out the VM). */
  skipped: Partial<Record<BenchPart, string>>;
}

/** What the command line gives, before defaults. */
export interface BenchArgs {
  json?: boolean;
  quick?: boolean;
  linear?: string;
  repeat?: number;
  cells?: number;
  mininet?: boolean;
  only?: string;
}

const DEFAULTS = { linear: [20, 50, 100], repeat: 5, cells: 100 };
/** --jobs 1/--jobs 2 pairs of the matrix at most (--repeat, when lower): ~10 s each at 100 cells. */
const MATRIX_ROUNDS = 3;
/** Small enough for the test suite: a few seconds. */
const QUICK = { linear: [3], repeat: 1, cells: 4, seedCases: 2 };

/** Defaults, --quick and the user's options, checked; a UsageError names the bad one. */
export const benchOptions = (a: BenchArgs): BenchOptions => {
  const base = a.quick ? QUICK : DEFAULTS;
  const linear = a.linear === undefined ? base.linear : a.linear.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (a.linear !== undefined && linear.length === 0) throw new UsageError('--linear needs at least one size, e.g. --linear 20,50');
  for (const n of linear) {
    const problem = checkLinearSize(n);
    if (problem) throw new UsageError(`--linear: ${problem}`);
  }
  const repeat = a.repeat ?? base.repeat;
  if (!Number.isInteger(repeat) || repeat < 1) throw new UsageError(`--repeat must be a positive integer, got ${repeat}`);
  const cells = a.cells ?? base.cells;
  const cellProblem = checkMatrixCells(cells);
  if (cellProblem) throw new UsageError(`--cells: ${cellProblem}`);
  let parts: BenchPart[] = [...BENCH_PARTS];
  if (a.only !== undefined) {
    const asked = a.only.split(',').map((s) => s.trim()).filter(Boolean);
    const unknown = asked.filter((p) => !(BENCH_PARTS as readonly string[]).includes(p));
    if (unknown.length || asked.length === 0) {
      throw new UsageError(`--only takes parts from ${BENCH_PARTS.join(', ')}, got ${JSON.stringify(a.only)}`);
    }
    parts = BENCH_PARTS.filter((p) => asked.includes(p));
  }
  const skipped: BenchOptions['skipped'] = {};
  for (const p of BENCH_PARTS) if (!parts.includes(p)) skipped[p] = `not asked for (--only ${parts.join(',')})`;
  if (a.quick && a.only === undefined) {
    parts = parts.filter((p) => p !== 'vm');
    skipped.vm = 'left out by --quick (it boots a VM)';
  }
  return {
    linear: [...new Set(linear)], repeat, cells, mininet: a.mininet ?? true, parts, json: a.json ?? false, skipped,
    ...(a.quick ? { seedCases: QUICK.seedCases } : {}),
  };
};

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

const sec = (v: number | undefined): number | null => (v === undefined ? null : roundTo(v, 3));

/** `lab bench`: 0 when it measured what it could, 1 when a measurement failed, 3 without root or tools. */
export const benchCommand = async (opts: BenchOptions, io: Output): Promise<number> => {
  await requireHost();
  const machine = `kernel ${release()}, ${availableParallelism()} cores, load average ${(loadavg()[0] ?? 0).toFixed(1)} at start`;
  // Every measurement removes what it made; withLab removes anything still recorded (the
  // namespace the cool-down probes the kernel from), and everything on SIGINT/SIGTERM.
  const measured = await withLab({ scenarios: ['lab bench'], say: (text) => io.err(text), exit: exitOnSecondSignal }, async (lab) => {
    const { runner, raw, state, backend, signal } = lab;
    const env: BenchEnv = {
      runner, raw, state, backend, prefix: state.prefix, signal, root: packageRoot(), log: (line) => io.err(`${line}\n`),
    };
    io.err(`lab bench: ${machine}; everything it creates is named ${state.prefix}-… (state: ${state.path})\n`);
    return measure(env, opts, io);
  });
  io.out(opts.json ? `${JSON.stringify(measured.doc, null, 2)}\n` : renderTable(measured.doc, { machine, seedSamples: measured.seedSamples, notes: measured.notes }) + (measured.doc.vm ? renderVm(measured.doc.vm) : ''));
  return measured.failed ? 1 : 0;
};

/** Every part asked for, one after the other; a part that fails is noted and the next one runs. */
const measure = async (env: BenchEnv, opts: BenchOptions, io: Output) => {
  const doc: BenchDocument = {
    linear: opts.linear.map((n) => ({ n, lab_s: null, mininet_s: null, floor_s: null })),
    seed_case_ms: { median: null, p95: null },
    matrix: { cells: opts.cells, jobs1_s: null, jobs2_s: null },
    vm_wireless_s: null,
  };
  const notes: string[] = [];
  let failed = false;
  const note = (line: string): void => {
    notes.push(line);
    io.err(`${line}\n`);
  };
  /** Runs one measurement: its value, or undefined with the reason noted. */
  const attempt = async <T>(what: string, measure: () => Promise<T>): Promise<T | undefined> => {
    if (env.signal.aborted) return undefined;
    try {
      return await measure();
    } catch (err) {
      if (env.signal.aborted) return undefined;
      const cannot = err instanceof NotHere || err instanceof CapabilityError;
      if (!cannot) failed = true;
      note(`${what}: ${cannot ? 'cannot run here' : 'failed'}: ${message(err)}`);
      return undefined;
    }
  };
  for (const [part, why] of Object.entries(opts.skipped)) note(`${part}: ${why}`);

  let seedSamples = 'not run';
  if (opts.parts.includes('linear')) {
    const noMininet = opts.mininet ? await mininetMissing(env.raw) : 'left out by --no-mininet';
    if (noMininet) note(`Mininet: ${noMininet}`);
    for (const row of doc.linear) {
      const n = row.n;
      const labRuns = await attempt(`linear,${n} with lab`, () => labLinear(env, n, opts.repeat));
      row.lab_s = sec(labRuns && median(labRuns));
      if (row.lab_s !== null) io.err(`linear,${n}: lab ${row.lab_s} s (median of ${opts.repeat})\n`);
      const floorRuns = await attempt(`linear,${n} floor`, () => floorLinear(env, n, opts.repeat));
      row.floor_s = sec(floorRuns && median(floorRuns));
      if (row.floor_s !== null) io.err(`linear,${n}: floor ${row.floor_s} s (median of ${opts.repeat})\n`);
      if (!noMininet) {
        row.mininet_s = sec(await attempt(`linear,${n} with Mininet`, () => mininetLinear(env, n)));
        if (row.mininet_s !== null) io.err(`linear,${n}: Mininet ${row.mininet_s} s\n`);
      }
    }
  }
  if (opts.parts.includes('seed')) {
    const seed = await attempt('default scenario per case', () => seedCases(env, opts.repeat, opts.seedCases));
    if (seed) {
      const which = seed.cases === seed.of ? `${seed.cases} cases` : `the first ${seed.cases} of ${seed.of} cases`;
      seedSamples = `${which} × ${opts.repeat} run${opts.repeat === 1 ? '' : 's'}`;
      const m = median(seed.samples);
      const p = percentile(seed.samples, 95);
      doc.seed_case_ms = {
        median: m === undefined ? null : roundTo(m, 1),
        p95: p === undefined ? null : roundTo(p, 1),
        by_case: caseMedians(seed.samples, seed.names).map((c) => ({ name: c.name, median: roundTo(c.median, 1) })),
      };
      io.err(`default scenario: per case median ${Math.round(m ?? 0)} ms, p95 ${Math.round(p ?? 0)} ms (${seedSamples})\n`);
    }
  }
  if (opts.parts.includes('matrix')) {
    const m = await attempt(`${opts.cells}-cell matrix`, () => matrixRuns(env, opts.cells, Math.min(opts.repeat, MATRIX_ROUNDS)));
    if (m) {
      doc.matrix = {
        cells: opts.cells, jobs1_s: sec(m.jobs1), jobs2_s: sec(m.jobs2),
        rounds: m.rounds, jobs1_cores: roundTo(m.jobs1Cores, 2), jobs2_cores: roundTo(m.jobs2Cores, 2),
      };
    }
  }
  if (opts.parts.includes('vm')) {
    // The floor and the wireless scenario on one kernel, with stages (src/bench/vm.ts).
    const vm = await attempt('wireless scenario on the VM backend', () => vmBench({ runner: env.raw, cacheDir: defaultCacheDir(), packageRoot: env.root, log: env.log, signal: env.signal }, opts.repeat));
    if (vm) {
      doc.vm = vm;
      doc.vm_wireless_s = vm.scenario_s;
    }
  }
  return { doc, seedSamples, notes, failed };
};
