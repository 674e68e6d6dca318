import Table from 'cli-table3';
import type { ScenarioResult } from '../pipeline.js';
import { describeFailure, type CaseResult } from '../verdict/verdict.js';

const STATUS: Record<CaseResult['status'], string> = { pass: '✓ pass', fail: '✗ FAIL', skip: '- skip', error: '! ERROR' };

/** Explanation lines of a case: what happened to each probe, then every failed expectation. */
const explanation = (c: CaseResult): string => {
  if (c.error !== undefined) return c.error;
  const lines = c.probes.map((p) => (c.probes.length > 1 ? `${p.name}: ${p.explanation}` : p.explanation));
  for (const e of c.expectations) if (!e.ok) lines.push(`✗ ${describeFailure(e)}`);
  return lines.join('\n');
};

const pathCell = (c: CaseResult): string =>
  c.probes
    .map((p) => {
      const path = p.path.length ? p.path.join(' → ') : '(none)';
      return c.probes.length > 1 ? `${p.name}:\n${path}` : path;
    })
    .join('\n');

export interface TableOptions {
  /** Terminal width; the explanation column wraps to fit. */
  width?: number;
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
    for (const c of s.cases) table.push([c.name, STATUS[c.status], pathCell(c), explanation(c)]);
    const counts = (['pass', 'fail', 'error', 'skip'] as const)
      .map((st) => [st, s.cases.filter((c) => c.status === st).length] as const)
      .filter(([, n]) => n > 0)
      .map(([st, n]) => `${n} ${st}`)
      .join(', ');
    out.push(`${s.name} (${s.file}, kernel ${s.kernel})\n${table.toString()}\n${counts}\n`);
  }
  return out.join('\n');
};
