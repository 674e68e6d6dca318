// `--format github`: workflow-command annotations on the scenario line of each failed expectation,
// and a Markdown job summary (results table, and the topology with each probe's path drawn in
// Mermaid for failed and interesting cases) for $GITHUB_STEP_SUMMARY.
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { Scenario } from '../types/scenario.js';
import type { ScenarioResult, CaseResult } from '../types/result.js';
import { locationKey, type Locations } from './locate.js';
import { mermaidTopology } from './mermaid.js';
import { drawnProbes, probeLetter } from './topology-graph.js';
import { countCases, countsText, failureText, isFailure, pathText, verdictLine } from './verdict-text.js';

// Escaping as @actions/core does it: data and property values differ.
const escapeData = (s: string): string => s.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
const escapeProperty = (s: string): string => escapeData(s).replaceAll(':', '%3A').replaceAll(',', '%2C');

export interface AnnotationOptions {
  /** Annotations name files relative to the repository (GITHUB_WORKSPACE); the run's cwd otherwise. */
  workspace?: string;
  cwd?: string;
}

/** The scenario file as GitHub wants it: relative to the workspace when it lies inside it. */
export const workspacePath = (file: string, opts: AnnotationOptions = {}): string => {
  const cwd = opts.cwd ?? process.cwd();
  const workspace = opts.workspace ?? cwd;
  const rel = relative(workspace, resolve(cwd, file));
  return rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel) ? file : rel.split(sep).join('/');
};

const command = (props: Record<string, string | number>, message: string): string =>
  `::error ${Object.entries(props).map(([k, v]) => `${k}=${escapeProperty(String(v))}`).join(',')}::${escapeData(message)}`;

/** One `::error` per failed expectation, at its line; one per case that could not run, at the case. */
export const githubAnnotations = (
  results: readonly ScenarioResult[],
  locations: Locations,
  opts: AnnotationOptions = {},
): string => {
  const lines: string[] = [];
  for (const s of results) {
    const file = workspacePath(s.file, opts);
    for (const c of s.cases) {
      if (!isFailure(c)) continue;
      const where = locations.get(locationKey(s.file, c.name));
      const title = `lab: ${s.name} › ${c.name}`;
      const failed = c.expectations.filter((e) => !e.ok);
      if (c.status === 'error' || failed.length === 0) {
        const at = where?.loc ?? { line: 1, col: 1 };
        lines.push(command({ file, line: at.line, col: at.col, title }, `case could not run: ${verdictLine(c)}`));
        continue;
      }
      for (const e of failed) {
        const at = where?.expectations.get(e.what) ?? where?.loc ?? { line: 1, col: 1 };
        const probe = c.probes.find((p) => e.what.startsWith(`${p.name}: `));
        const evidence = probe ? `\n${probe.name}: ${pathText(probe)} — ${probe.explanation}` : '';
        lines.push(command({ file, line: at.line, col: at.col, title }, `${failureText(c, e)}${evidence}`));
      }
    }
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
};

const ICON: Record<CaseResult['status'], string> = { pass: '✅', fail: '❌', error: '⚠️', skip: '⏭️' };

/** Text for a Markdown table cell or heading: no pipes, no raw HTML, one line. */
const md = (text: string): string =>
  text.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c] ?? c).replaceAll('|', '\\|').replace(/\r?\n/g, '<br>');

const pathCell = (c: CaseResult): string =>
  c.probes.map((p) => (p.path.length ? p.path.map((d) => `\`${d}\``).join(' → ') : '(no device)')).join('<br>') || '—';

/** A passing case is worth drawing when a probe left lo: the path is the point of the test. */
const crossedTheWire = (c: CaseResult): boolean => c.probes.some((p) => p.path.some((d) => !d.endsWith(':lo')));

/** Diagrams drawn at most, so that the summary stays far below GitHub's 1 MiB per step. */
export const MAX_DRAWN = { failed: 20, passing: 10 } as const;

export interface SummaryOptions {
  /** Shown in the heading, e.g. `1/3`, so the jobs of a sharded matrix can be told apart. */
  shard?: string;
}

const caseSection = (s: ScenarioResult, c: CaseResult, model: Scenario | undefined, locations: Locations, draw: boolean): string => {
  const where = locations.get(locationKey(s.file, c.name));
  const lines = [`#### ${ICON[c.status]} ${md(`${s.name} › ${c.name}`)}`, ''];
  if (isFailure(c)) {
    const first = c.expectations.find((e) => !e.ok);
    const line = (first && where?.expectations.get(first.what)?.line) ?? where?.loc.line;
    const at = line === undefined ? '' : ` (${md(s.file)} line ${line})`;
    lines.push(`**${c.status === 'error' ? 'could not run' : 'failed'}**${at}: ${md(verdictLine(c))}`, '');
  }
  c.probes.forEach((p, i) => {
    const tag = c.probes.length > 1 ? `**${probeLetter(i)}** ` : '';
    lines.push(`- ${tag}${md(p.name)}: ${p.path.length ? p.path.map((d) => `\`${d}\``).join(' → ') : '(no device)'} — ${md(p.explanation)}`);
  });
  if (draw && model && c.probes.length > 0) {
    lines.push('', '```mermaid', mermaidTopology(model, drawnProbes(c)).trimEnd(), '```');
  }
  return `${lines.join('\n')}\n`;
};

/** The job summary: counts, one results table per scenario, then the drawn cases. */
export const githubSummary = (
  results: readonly ScenarioResult[],
  scenarios: readonly Scenario[],
  locations: Locations,
  opts: SummaryOptions = {},
): string => {
  const counts = countCases(results);
  const bad = counts.fail + counts.error > 0;
  const out = [`## ${bad ? '❌' : '✅'} lab: ${countsText(counts)}${opts.shard ? ` (shard ${opts.shard})` : ''}`, ''];
  const modelOf = (s: ScenarioResult): Scenario | undefined => scenarios.find((m) => m.file === s.file && m.name === s.name);

  for (const s of results) {
    out.push(`### ${md(s.name)}`, '', `\`${md(s.file)}\` · kernel ${md(s.kernel)}`, '');
    out.push('| | case | path | verdict |', '| :-: | --- | --- | --- |');
    for (const c of s.cases) {
      const verdict = isFailure(c) ? verdictLine(c) : c.probes.map((p) => p.explanation).join('\n');
      out.push(`| ${ICON[c.status]} | ${md(c.name)} | ${pathCell(c)} | ${md(verdict)} |`);
    }
    out.push('');
  }

  const all = results.flatMap((s) => s.cases.map((c) => ({ s, c })));
  const failed = all.filter(({ c }) => isFailure(c));
  const passing = all.filter(({ c }) => !isFailure(c) && crossedTheWire(c));
  if (failed.length) {
    out.push('### Failed cases', '');
    failed.forEach(({ s, c }, i) => out.push(caseSection(s, c, modelOf(s), locations, i < MAX_DRAWN.failed)));
    if (failed.length > MAX_DRAWN.failed) out.push(`_Diagrams are drawn for the first ${MAX_DRAWN.failed} failed cases only._`, '');
  }
  if (passing.length) {
    out.push(`<details><summary>Paths of passing cases that crossed the wire (${passing.length})</summary>`, '');
    passing.forEach(({ s, c }, i) => out.push(caseSection(s, c, modelOf(s), locations, i < MAX_DRAWN.passing)));
    if (passing.length > MAX_DRAWN.passing) out.push(`_Diagrams are drawn for the first ${MAX_DRAWN.passing} only._`, '');
    out.push('</details>', '');
  }
  return `${out.join('\n')}\n`;
};
