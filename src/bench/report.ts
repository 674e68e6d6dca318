// What `lab bench` reports: the JSON document, the targets of issue 8 as ratios, and the table.
import Table from '../report/cli-table.js';
import type { VmBenchDoc } from './vm.js';

export interface LinearRow {
  n: number;
  /** lab builds linear,N through its host backend and tears it down (median of the repeats). */
  lab_s: number | null;
  /** Mininet's own "completed in" for `mn --topo linear,N --switch lxbr --controller none --test build`. */
  mininet_s: number | null;
  /** One `ip -batch` creating the namespaces and veth pairs, one deleting them (median). */
  floor_s: number | null;
}

/** The document `lab bench --json` prints; null where a part could not run (the reason is on stderr). */
export interface BenchDocument {
  linear: LinearRow[];
  /** Over all samples; `by_case`: each case's own median, in the scenario's order (when it ran). */
  seed_case_ms: { median: number | null; p95: number | null; by_case?: { name: string; median: number }[] };
  matrix: {
    cells: number;
    jobs1_s: number | null;
    jobs2_s: number | null;
    /** Beyond the issue's fields: how many --jobs 1/--jobs 2 pairs ran (the seconds are their medians)… */
    rounds?: number;
    /** …and how many cores each kept busy on average (median). */
    jobs1_cores?: number;
    jobs2_cores?: number;
  };
  vm_wireless_s: number | null;
  /** `--only vm`: the wireless scenario against its floor, with stages (src/bench/vm.ts). */
  vm?: VmBenchDoc;
}

export type TargetStatus = 'pass' | 'miss' | 'not measured';

export interface TargetResult {
  target: string;
  /** The measured ratio or value, as shown. */
  measured: string;
  status: TargetStatus;
}

/** Ratios for the table; undefined when either side is missing. */
export const ratio = (a: number | null | undefined, b: number | null | undefined): number | undefined =>
  a === null || a === undefined || b === null || b === undefined || b <= 0 ? undefined : a / b;

const times = (r: number): string => `${r >= 10 ? r.toFixed(1) : r.toFixed(2)}×`;

/** The targets of issue 8 on this 2-core machine; reported as pass/miss, never enforced. */
export const evaluateTargets = (doc: BenchDocument): TargetResult[] => {
  const row50 = doc.linear.find((r) => r.n === 50);
  const missing = (why: string): Pick<TargetResult, 'measured' | 'status'> => ({ measured: why, status: 'not measured' });
  const check = (value: number | undefined, ok: (v: number) => boolean, show: (v: number) => string, why: string) =>
    value === undefined ? missing(why) : { measured: show(value), status: ok(value) ? ('pass' as const) : ('miss' as const) };
  const no50 = row50 ? 'n/a' : 'n/a (linear,50 not in this run)';
  return [
    {
      target: 'linear,50: at least 15× faster than Mininet',
      ...check(ratio(row50?.mininet_s, row50?.lab_s), (v) => v >= 15, times, no50),
    },
    {
      target: 'linear,50: no more than 5× the floor',
      ...check(ratio(row50?.lab_s, row50?.floor_s), (v) => v <= 5, times, no50),
    },
    {
      target: 'default scenario, per-case median: at most 150 ms',
      ...check(doc.seed_case_ms.median ?? undefined, (v) => v <= 150, (v) => `${Math.round(v)} ms`, 'n/a'),
    },
    {
      target: `${doc.matrix.cells}-cell matrix: --jobs 2 at least 1.7× faster than --jobs 1`,
      ...check(ratio(doc.matrix.jobs1_s, doc.matrix.jobs2_s), (v) => v >= 1.7, times, 'n/a'),
    },
  ];
};

/** Seconds as a person reads them: three decimals below one second, two above. */
export const seconds = (s: number | null): string => (s === null ? '—' : `${s < 1 ? s.toFixed(3) : s.toFixed(2)} s`);

const ms = (v: number | null): string => (v === null ? '—' : `${Math.round(v)} ms`);

const style = { head: [], border: [] };

const pairs = (doc: BenchDocument): string => ((doc.matrix.rounds ?? 1) > 1 ? ` (median of ${doc.matrix.rounds})` : '');

const withCores = (s: number | null, cores: number | undefined): string =>
  s === null || cores === undefined ? seconds(s) : `${seconds(s)}, ${cores.toFixed(1)} cores busy`;

export interface TableContext {
  /** e.g. "kernel 6.18.44, 2 cores, load average 1.2 at start". */
  machine: string;
  /** How the seed cases were sampled, e.g. "5 cases × 5 runs". */
  seedSamples: string;
  /** Why a part is missing, one line each. */
  notes: string[];
}

export const renderTable = (doc: BenchDocument, ctx: TableContext): string => {
  const linear = new Table({
    head: ['build + teardown', 'lab', 'Mininet', 'floor', 'Mininet ÷ lab', 'lab ÷ floor'],
    style,
    colAligns: ['left', 'right', 'right', 'right', 'right', 'right'],
  });
  for (const r of doc.linear) {
    const vsMininet = ratio(r.mininet_s, r.lab_s);
    const vsFloor = ratio(r.lab_s, r.floor_s);
    linear.push([`linear,${r.n}`, seconds(r.lab_s), seconds(r.mininet_s), seconds(r.floor_s),
      vsMininet === undefined ? '—' : times(vsMininet), vsFloor === undefined ? '—' : times(vsFloor)]);
  }
  const runs = new Table({ head: ['end to end', 'measured'], style, colAligns: ['left', 'right'] });
  runs.push(
    [`default scenario, per case (${ctx.seedSamples})`, `median ${ms(doc.seed_case_ms.median)}, p95 ${ms(doc.seed_case_ms.p95)}`],
    ...(doc.seed_case_ms.by_case ?? []).map((c) => [`  case "${c.name}"`, `median ${ms(c.median)}`]),
    [`${doc.matrix.cells}-cell matrix, --jobs 1${pairs(doc)}`, withCores(doc.matrix.jobs1_s, doc.matrix.jobs1_cores)],
    [`${doc.matrix.cells}-cell matrix, --jobs 2${pairs(doc)}`, withCores(doc.matrix.jobs2_s, doc.matrix.jobs2_cores)],
    ['wireless scenario on the VM backend', seconds(doc.vm_wireless_s)],
  );
  const targets = new Table({ head: ['target', 'measured', 'result'], style, colAligns: ['left', 'right', 'left'] });
  for (const t of evaluateTargets(doc)) targets.push([t.target, t.measured, t.status]);
  const notes = ctx.notes.length ? `\n${ctx.notes.map((n) => `— ${n}`).join('\n')}\n` : '';
  return `lab bench (${ctx.machine})\n${linear.toString()}\n${runs.toString()}\n${targets.toString()}\n${notes}`;
};
