// cli-table3, as every table of lab uses it: with the cell preview that its draw() computes for a
// debug log made cheap. Cell.draw truncates the whole cell to 10 columns on every line it draws
// (cell.js, `utils.truncate(this.content, 10)`), for a message only its debug mode prints; on a
// cell of several lines that truncation drops one character at a time and measures the rest each
// time, O(n²) per drawn line: a 4,000-character error took 275 s to render here, and a case whose
// error quoted a 6 KB program hung `lab run` for minutes after the VM had finished (measured
// 2026-12-03, cli-table3 0.6.5; upstream cli-table/cli-table3 pull request #362, unreleased).
// Draw's own lines (cell.js drawLine) never hold a newline, so truncating only the first line of a
// multi-line text changes that debug preview and nothing that is printed.
import Table from 'cli-table3';
import utils from 'cli-table3/src/utils.js';

type Truncate = (str: string, desiredLength: number, truncateChar?: string) => string;
const patched = Symbol.for('netns-lab.cli-table3.truncate');
const u = utils as { truncate: Truncate & { [patched]?: true } };
if (!u.truncate[patched]) {
  const original = u.truncate;
  const firstLine: Truncate = (str, desiredLength, truncateChar) =>
    original(typeof str === 'string' && str.includes('\n') ? str.slice(0, str.indexOf('\n')) : str, desiredLength, truncateChar);
  u.truncate = Object.assign(firstLine, { [patched]: true as const });
}

export default Table;
