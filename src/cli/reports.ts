// `--format A,B --out DIR`: which report goes where.
//
// table and github write to stdout (github's annotations are workflow commands, which the
// Actions runner reads from the step's output) and github also appends its Markdown summary to
// $GITHUB_STEP_SUMMARY. json, tap and junit are documents: without --out, one of them alone may
// have stdout; with --out they are written into DIR under fixed names (REPORT_FILES).
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { UsageError } from '../errors.js';
import type { Scenario } from '../types/scenario.js';
import type { ScenarioResult } from '../types/result.js';
import { githubAnnotations, githubSummary } from '../report/github.js';
import { jsonReport } from '../report/json.js';
import { junitReport } from '../report/junit.js';
import { locateAll, type Locations } from '../report/locate.js';
import { tableReport } from '../report/table.js';
import { tapReport } from '../report/tap.js';
import { formatShard, type Shard } from '../plan/shard.js';
import { claimOut } from '../session/index.js';
import type { Output } from './io.js';

export const FORMATS = ['table', 'json', 'tap', 'junit', 'github'] as const;
export type Format = (typeof FORMATS)[number];

type DocumentFormat = 'json' | 'tap' | 'junit';
const isDocument = (f: Format): f is DocumentFormat => f === 'json' || f === 'tap' || f === 'junit';

/** The file each report gets in `--out DIR`; stable, so CI steps can name them. */
export const REPORT_FILES = { json: 'report.json', tap: 'report.tap', junit: 'junit.xml', github: 'summary.md' } as const;

/** `table,junit` (and repeated --format) → the formats, in the order given, each once. */
export const parseFormats = (values: readonly string[]): Format[] => {
  const names = values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
  const unknown = names.filter((n) => !(FORMATS as readonly string[]).includes(n));
  if (unknown.length) {
    throw new UsageError(`unknown --format ${unknown.map((n) => JSON.stringify(n)).join(', ')}; formats are ${FORMATS.join(', ')} (several: --format table,junit --out DIR)`);
  }
  const formats = [...new Set(names)] as Format[];
  return formats.length ? formats : ['table'];
};

/** Checked before anything runs: two documents cannot share stdout. */
export const checkFormats = (formats: readonly Format[], out: string | undefined): void => {
  if (out !== undefined) return;
  const documents = formats.filter(isDocument);
  if (documents.length === 0 || formats.length === 1) return;
  throw new UsageError(
    `--format ${formats.join(',')}: ${documents.join(' and ')} cannot share stdout with ` +
      `${formats.length - 1 === 1 ? 'another report' : 'other reports'}; add --out DIR to write ` +
      `${documents.map((d) => REPORT_FILES[d]).join(', ')} into DIR (table and github stay on stdout)`,
  );
};

export interface ReportContext {
  results: readonly ScenarioResult[];
  scenarios: readonly Scenario[];
  locations: Locations;
  /** `I/N` when the run is one shard of several. */
  shard?: string;
  tableWidth: number;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** `--explain`: the table shows every probe's evidence. */
  explain?: boolean;
}

/** The context of a finished run; reads the scenario files again for the expectation lines. */
export const reportContext = async (
  results: readonly ScenarioResult[],
  scenarios: readonly Scenario[],
  shard: Shard | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ReportContext> => {
  const texts = new Map<string, string>();
  for (const s of scenarios) {
    // A file that vanished since it was loaded only costs the exact lines: the case lines remain.
    const text = await readFile(s.file, 'utf8').catch(() => undefined);
    if (text !== undefined) texts.set(s.file, text);
  }
  return {
    results,
    scenarios,
    locations: locateAll(scenarios, texts),
    ...(shard ? { shard: formatShard(shard) } : {}),
    tableWidth: process.stdout.columns ?? 120,
    env,
    cwd: process.cwd(),
  };
};

const render = (format: Format, ctx: ReportContext): string => {
  switch (format) {
    case 'table':
      return tableReport(ctx.results, { width: ctx.tableWidth, explain: ctx.explain ?? false });
    case 'json':
      return jsonReport(ctx.results);
    case 'tap':
      return tapReport(ctx.results, ctx.locations);
    case 'junit':
      return junitReport(ctx.results, ctx.locations);
    case 'github': {
      const workspace = ctx.env['GITHUB_WORKSPACE'];
      return githubAnnotations(ctx.results, ctx.locations, { cwd: ctx.cwd, ...(workspace ? { workspace } : {}) });
    }
  }
};

/** Writes every requested report; returns the files written. */
export const writeReports = async (
  formats: readonly Format[],
  out: string | undefined,
  ctx: ReportContext,
  io: Output,
): Promise<string[]> => {
  const written: string[] = [];
  if (out !== undefined) await mkdir(out, { recursive: true });
  for (const format of formats) {
    const text = render(format, ctx);
    if (isDocument(format) && out !== undefined) {
      const file = claimOut(out, REPORT_FILES[format]);
      await writeFile(file, text);
      written.push(file);
    } else {
      io.out(text);
    }
    if (format !== 'github') continue;
    const summary = githubSummary(ctx.results, ctx.scenarios, ctx.locations, ctx.shard ? { shard: ctx.shard } : {});
    const stepSummary = ctx.env['GITHUB_STEP_SUMMARY'];
    if (stepSummary) await appendFile(stepSummary, summary);
    if (out !== undefined) {
      const file = claimOut(out, REPORT_FILES.github);
      await writeFile(file, summary);
      written.push(file);
    }
    if (!stepSummary && out === undefined) {
      io.err('GITHUB_STEP_SUMMARY is not set (not in GitHub Actions): the job summary was not written; add --out DIR to keep it as summary.md\n');
    }
  }
  if (written.length) io.err(`reports: ${written.join(', ')}\n`);
  return written;
};
