// `lab graph FILE [--format mermaid|dot] [--report REPORT.json --case NAME]`: the topology, and
// with a report the path each probe of one case was observed on.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { z } from 'zod';
import { UsageError } from '../errors.js';
import { dotTopology } from '../report/dot.js';
import { mermaidTopology } from '../report/mermaid.js';
import { drawnProbes, type DrawnProbe } from '../report/topology-graph.js';
import type { Output } from './io.js';
import { loadAll } from './load.js';

export const GRAPH_FORMATS = ['mermaid', 'dot'] as const;
export type GraphFormat = (typeof GRAPH_FORMATS)[number];

export interface GraphOptions {
  file: string;
  format: GraphFormat;
  report?: string;
  case?: string;
}

/** The part of the JSON report (DESIGN.md) a drawing needs; other keys are allowed. */
const reportSchema = z.object({
  scenarios: z.array(
    z.object({
      name: z.string(),
      file: z.string(),
      cases: z.array(
        z.object({
          name: z.string(),
          probes: z.array(z.object({ name: z.string(), delivered: z.boolean(), path: z.array(z.string()) })),
          expectations: z.array(z.object({ what: z.string(), expected: z.unknown(), ok: z.boolean() })).default([]),
        }),
      ),
    }),
  ),
});
type Report = z.infer<typeof reportSchema>;

const readReport = async (file: string): Promise<Report> => {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read the report ${file}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file} is not JSON (${(err as Error).message}); make it with \`lab run --format json\``);
  }
  const parsed = reportSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(`${file} is not a lab report: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'unexpected shape'}`);
  }
  return parsed.data;
};

const quoteList = (names: readonly string[]): string => names.map((n) => `  ${n}`).join('\n');

/** The probes of the requested case of `scenario` in `report`. */
export const probesFromReport = (
  report: Report,
  reportFile: string,
  scenario: { name: string; file: string },
  caseName: string | undefined,
): DrawnProbe[] => {
  const candidates = report.scenarios.filter((s) => s.name === scenario.name);
  const entry = candidates.find((s) => resolve(s.file) === resolve(scenario.file)) ?? candidates[0];
  if (!entry) {
    throw new UsageError(
      `${reportFile} has no results for scenario ${JSON.stringify(scenario.name)}; it has:\n` +
        quoteList(report.scenarios.map((s) => `${s.name} (${s.file})`)),
    );
  }
  const names = entry.cases.map((c) => c.name);
  if (caseName === undefined && entry.cases.length !== 1) {
    throw new UsageError(`name the case to draw with --case; ${reportFile} has for ${scenario.name}:\n${quoteList(names)}`);
  }
  const found = caseName === undefined ? entry.cases[0] : entry.cases.find((c) => c.name === caseName);
  if (!found) {
    throw new UsageError(`${reportFile} has no case ${JSON.stringify(caseName)} for ${scenario.name}; it has:\n${quoteList(names)}`);
  }
  return drawnProbes(found);
};

export const graphCommand = async (opts: GraphOptions, io: Output): Promise<number> => {
  if (opts.case !== undefined && opts.report === undefined) {
    throw new UsageError('--case needs --report REPORT.json: the paths come from a run (`lab run --format json > REPORT.json`)');
  }
  const [scenario] = await loadAll([opts.file]);
  if (!scenario) throw new UsageError(`nothing loaded from ${opts.file}`);
  const probes = opts.report === undefined ? [] : probesFromReport(await readReport(opts.report), opts.report, scenario, opts.case);
  io.out(opts.format === 'dot' ? dotTopology(scenario, probes) : mermaidTopology(scenario, probes));
  return 0;
};
