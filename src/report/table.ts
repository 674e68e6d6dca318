import Table from './cli-table.js';
import { baselineSummary } from '../plan/baseline.js';
import { describeMedium } from '../probes/air.js';
import type { ScenarioResult, CaseResult } from '../types/result.js';
import { describeFailure } from '../verdict/verdict.js';
import { isCell, matrixGroups, matrixTable } from './matrix.js';

const STATUS: Record<CaseResult['status'], string> = { pass: '✓ pass', fail: '✗ FAIL', skip: '- skip', error: '! ERROR' };

/** Explanation lines of a case: what happened to each probe, then every failed expectation. */
const explanation = (c: CaseResult, explain: boolean): string => {
  if (c.error !== undefined) return c.error;
  const lines: string[] = [];
  for (const p of c.probes) {
    lines.push(c.probes.length > 1 ? `${p.name}: ${p.explanation}` : p.explanation);
    if (p.medium) lines.push(describeMedium(p.medium));
    // The evidence behind a probe that did not arrive; behind every probe with --explain.
    if (explain || !p.delivered) for (const e of p.evidence) lines.push(`· ${e}`);
  }
  for (const e of c.expectations) if (!e.ok) lines.push(`✗ ${describeFailure(e)}`);
  // --explain: the routes, rules, sysctls and setup commands the case applied, each with its reason.
  if (explain && c.applied?.length) lines.push('applied:', ...c.applied.map((a) => `$ ${a}`));
  return lines.join('\n');
};

const pathCell = (c: CaseResult): string =>
  c.probes
    .map((p) => {
      const there = p.path.length ? p.path.join(' → ') : '(none)';
      // The answer's way back under the request's, when the probe has one.
      const path = p.reply ? `${there}\n↩ ${p.reply.path.length ? p.reply.path.join(' → ') : '(none)'}` : there;
      return c.probes.length > 1 ? `${p.name}:\n${path}` : path;
    })
    .join('\n');

interface TableOptions {
  /** Terminal width; the explanation column wraps to fit. */
  width?: number;
  /** Show the evidence of every probe, not only of those that did not arrive. */
  explain?: boolean;
}

/** The default terminal report: one row per case, one table per scenario. */
export const tableReport = (results: readonly ScenarioResult[], opts: TableOptions = {}): string => {
  const width = Math.max(opts.width ?? 120, 80);
  const out: string[] = [];
  for (const s of results) {
    const table = new Table({
      head: ['case', 'status', 'path', 'explanation'],
      colWidths: [28, 10, 34, width - 28 - 10 - 34 - 5],
      wordWrap: true,
      style: { head: [], border: [] },
    });
    // Cells of a matrix get a matrix table of their own (report/matrix.ts).
    const regular = s.cases.filter((c) => !isCell(c));
    for (const c of regular) table.push([c.name, STATUS[c.status], pathCell(c), explanation(c, opts.explain ?? false)]);
    const matrices = [...matrixGroups(s.cases).values()].map((cells) => matrixTable(cells, { width, kernel: s.kernel }));
    const counts = (['pass', 'fail', 'error', 'skip'] as const)
      .map((st) => [st, s.cases.filter((c) => c.status === st).length] as const)
      .filter(([, n]) => n > 0)
      .map(([st, n]) => `${n} ${st}`)
      .join(', ');
    const tables = [...(regular.length ? [table.toString()] : []), ...matrices.map((m) => m.trimEnd())];
    const baseline = opts.explain && s.sysctlBaseline ? `${baselineSummary()}\n` : '';
    out.push(`${s.name} (${s.file}, kernel ${s.kernel})\n${baseline}${tables.join('\n')}\n${counts}\n`);
  }
  return out.join('\n');
};
