// Side by side: one row per case, one column per kernel, rows whose kernels disagree marked.
import Table from './cli-table.js';
import type { ScenarioResult, CaseResult } from '../types/result.js';

const STATUS: Record<CaseResult['status'], string> = { pass: '✓ pass', fail: '✗ FAIL', skip: '- skip', error: '! ERROR' };

/** What a kernel did with a case, in a few words: the status and each probe's path. */
const kernelCell = (c: CaseResult | undefined): string => {
  if (!c) return '(not run)';
  const lines = [STATUS[c.status]];
  if (c.status === 'error' || c.status === 'skip') lines.push(c.error ?? '');
  for (const p of c.probes) {
    const path = p.path.length ? p.path.join(' → ') : '(none)';
    lines.push(`${c.probes.length > 1 ? `${p.name}: ` : ''}${p.delivered ? '' : 'not delivered; '}${path}`);
  }
  return lines.filter(Boolean).join('\n');
};

/** What must match for two kernels to agree: status, and each probe's delivery and path. */
const behaviour = (c: CaseResult | undefined): string =>
  c ? JSON.stringify([c.status, c.probes.map((p) => [p.delivered, p.path])]) : 'none';

interface KernelComparison {
  kernels: string[];
  rows: { scenario: string; case: string; cells: (CaseResult | undefined)[]; differs: boolean }[];
}

/** Groups results by scenario and case; `results` holds one entry per scenario per kernel. */
export const compareKernels = (results: readonly ScenarioResult[]): KernelComparison => {
  const kernels = [...new Set(results.map((r) => r.kernel))];
  const rows: KernelComparison['rows'] = [];
  const index = new Map<string, KernelComparison['rows'][number]>();
  for (const s of results) {
    for (const c of s.cases) {
      const key = `${s.file}\0${c.name}`;
      let row = index.get(key);
      if (!row) {
        row = { scenario: s.name, case: c.name, cells: kernels.map(() => undefined), differs: false };
        index.set(key, row);
        rows.push(row);
      }
      row.cells[kernels.indexOf(s.kernel)] = c;
    }
  }
  for (const row of rows) row.differs = new Set(row.cells.map(behaviour)).size > 1;
  return { kernels, rows };
};

interface KernelTableOptions {
  width?: number;
  /** ANSI colour for the rows that differ (a terminal). */
  color?: boolean;
}

export const kernelTable = (results: readonly ScenarioResult[], opts: KernelTableOptions = {}): string => {
  const { kernels, rows } = compareKernels(results);
  const width = Math.max(opts.width ?? 120, 80);
  const caseWidth = 30;
  const kernelWidth = Math.max(20, Math.floor((width - caseWidth - 2 - 3 * kernels.length) / kernels.length));
  const mark = (text: string, differs: boolean): string => (differs && opts.color ? `\x1b[1;33m${text}\x1b[0m` : text);
  const table = new Table({
    // The ≠ mark leads the case's own cell: a column of its own had no heading and was empty on
    // every row where the kernels agree.
    head: ['case', ...kernels.map((k) => `kernel ${k}`)],
    colWidths: [caseWidth, ...kernels.map(() => kernelWidth)],
    wordWrap: true,
    style: { head: [], border: [] },
  });
  for (const row of rows) {
    table.push([`${row.differs ? `${mark('≠', true)} ` : ''}${row.scenario} › ${row.case}`, ...row.cells.map((c) => mark(kernelCell(c), row.differs))]);
  }
  const differing = rows.filter((r) => r.differs).length;
  const summary = differing === 0
    ? `the ${kernels.length} kernels agree on all ${rows.length} case(s)`
    : `≠ ${differing} of ${rows.length} case(s) differ between kernels`;
  return `${table.toString()}\n${summary}\n`;
};
