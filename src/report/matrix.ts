// The terminal report of a matrix case: one table, the dimensions on its rows and columns, each
// cell saying whether its expectations held and what happened to each probe.
import Table from './cli-table.js';
import type { CaseResult, ProbeResult } from '../types/result.js';
import { describeFailure } from '../verdict/verdict.js';

type Cell = CaseResult & { matrix: NonNullable<CaseResult['matrix']> };

export const isCell = (c: CaseResult): c is Cell => c.matrix !== undefined;

/** The cells of each matrix among `cases`, by matrix case name, in the order they first appear. */
export const matrixGroups = (cases: readonly CaseResult[]): Map<string, Cell[]> => {
  const groups = new Map<string, Cell[]>();
  for (const c of cases) {
    if (!isCell(c)) continue;
    const group = groups.get(c.matrix.case) ?? [];
    group.push(c);
    groups.set(c.matrix.case, group);
  }
  return groups;
};

const MARK: Record<CaseResult['status'], string> = { pass: '✓', fail: '✗', skip: '-', error: '!' };

/** What happened to one probe, in a few words: lo, wire → where it arrived, or lost (CAUSE). */
export const probeOutcome = (p: Pick<ProbeResult, 'delivered' | 'path' | 'cause'>): string => {
  if (!p.delivered) return `lost (${p.cause ?? (p.path.length ? `after ${p.path[p.path.length - 1]}` : 'nothing sent')})`;
  const wire = p.path.filter((d) => !d.endsWith(':lo'));
  return wire.length === 0 ? 'lo' : `wire → ${wire[wire.length - 1]}`;
};

const firstLine = (text: string): string => text.split('\n')[0] ?? '';

/** The text of one cell: the verdict mark, then one line per probe. */
export const cellText = (c: CaseResult): string => {
  const mark = MARK[c.status];
  if (c.status === 'error' || c.status === 'skip') return `${mark} ${c.status}: ${firstLine(c.error ?? '')}`;
  const lines = c.probes.map((p) => `${c.probes.length > 1 ? `${p.name}: ` : ''}${probeOutcome(p)}`);
  return lines.map((l, i) => `${i === 0 ? mark : ' '} ${l}`).join('\n');
};

const labelOf = (c: Cell, dimension: string): string => {
  const value = c.matrix.params[dimension];
  return value === undefined ? '' : String(value);
};

const LEGEND = [
  '✓ the cell\'s expectations held', '✗ they did not', '- skipped', '! could not be built',
  'lo: delivered through lo', 'wire → DEV: crossed the wire, received on DEV', 'lost (CAUSE): not delivered',
];

/** The legend, as few lines of at most `width` characters as it takes. */
const legend = (width: number): string[] => {
  const lines: string[] = [];
  for (const item of LEGEND) {
    const last = lines[lines.length - 1];
    if (last !== undefined && [...last].length + 3 + [...item].length <= width) lines[lines.length - 1] = `${last} · ${item}`;
    else lines.push(item);
  }
  return lines;
};

interface MatrixTableOptions {
  width?: number;
  /** The kernel the cells ran on: failures name it. */
  kernel?: string;
}

/** The matrix table of one matrix case, with its legend and the failures below it. */
export const matrixTable = (cells: readonly Cell[], opts: MatrixTableOptions = {}): string => {
  const first = cells[0];
  if (!first) return '';
  const dims = first.matrix.dimensions;
  const columnDim = dims.length > 1 ? dims[dims.length - 1] : undefined;
  const rowDims = columnDim ? dims.slice(0, -1) : dims;
  const byKey = new Map(cells.map((c) => [dims.map((d) => labelOf(c, d.name)).join('\u0000'), c]));

  const width = Math.max(opts.width ?? 120, 80);
  const columns = columnDim ? columnDim.labels : ['outcome'];
  const rowWidths = rowDims.map((d) => Math.max(d.name.length, ...d.labels.map((l) => l.length)) + 2);
  const cellWidth = Math.max(18, Math.floor((width - rowWidths.reduce((a, b) => a + b, 0) - 1 - (rowDims.length + columns.length)) / columns.length));
  const table = new Table({
    head: [...rowDims.map((d) => d.name), ...columns.map((l) => (columnDim ? `${columnDim.name}=${l}` : l))],
    colWidths: [...rowWidths, ...columns.map(() => cellWidth)],
    wordWrap: true,
    style: { head: [], border: [] },
  });

  const rowCombos = rowDims.reduce<string[][]>((acc, d) => acc.flatMap((combo) => d.labels.map((l) => [...combo, l])), [[]]);
  let previous: string[] = [];
  for (const combo of rowCombos) {
    const run = (columnDim ? columnDim.labels : ['']).map((l) => byKey.get([...combo, ...(columnDim ? [l] : [])].join('\u0000')));
    // Rows none of whose cells ran (--case picked some cells) are left out.
    if (run.every((c) => c === undefined)) continue;
    // A row repeats only the row labels that changed, so the rows read as groups.
    const heads = combo.map((l, i) => (combo.slice(0, i + 1).join('\u0000') === previous.slice(0, i + 1).join('\u0000') ? '' : l));
    previous = combo;
    const texts = run.map((c) => (c ? cellText(c) : '(not run)'));
    table.push([...heads, ...texts]);
  }

  const counts = (['pass', 'fail', 'error', 'skip'] as const)
    .map((st) => [st, cells.filter((c) => c.status === st).length] as const)
    .filter(([, n]) => n > 0)
    .map(([st, n]) => `${n} ${st}`)
    .join(', ');
  const where = columnDim
    ? `rows: ${rowDims.map((d) => d.name).join(' × ')}; columns: ${columnDim.name}`
    : `rows: ${rowDims.map((d) => d.name).join(' × ')}`;
  const out = [
    `matrix ${first.matrix.case} (${where})`,
    table.toString(),
    ...legend(width),
    `${cells.length} cells: ${counts}`,
  ];
  const kernel = opts.kernel ? ` on kernel ${opts.kernel}` : '';
  for (const c of cells) {
    const name = Object.entries(c.matrix.params).map(([k, v]) => `${k}=${String(v)}`).join(' ');
    const pins = (c.matrix.kernelPins ?? [])
      .map((p) => `expectations for kernel ${p.range} ${p.holds ? 'applied' : 'not applied'}`)
      .join('; ');
    if (c.status === 'error') out.push(`! ${name}${kernel}: ${c.error ?? ''}`);
    for (const e of c.expectations) {
      if (!e.ok) out.push(`✗ ${name}${kernel}: ${e.what.slice(0, e.what.lastIndexOf(': '))}: ${describeFailure(e)}${pins ? ` (${pins})` : ''}`);
    }
  }
  return `${out.join('\n')}\n`;
};
