// A table with a long, many-line cell renders at once and whole. Before src/report/cli-table.ts,
// cli-table3's draw() truncated the whole cell for a debug preview on every drawn line, O(n²)
// each: a case error quoting a 6 KB program hung `lab run` for minutes after its VM had finished.
// The test's timeout is the guard: without the workaround this file does not finish in it.
import t from 'tap';
import utils from 'cli-table3/src/utils.js';
import { tableReport } from '../../../src/report/table.js';
import type { ScenarioResult } from '../../../src/types/result.js';

const program = Array.from({ length: 400 }, (_, i) => `# line ${i} of a program → with words, and more words ${'x'.repeat(i % 60)}`).join('\n');

t.test('a 30 KB error cell renders, every line of it in the table', { timeout: 60_000 }, async (t) => {
  const error = `\`ip netns exec lab-x perl -e ${program}\` timed out`;
  t.ok(error.length > 30_000);
  const results: ScenarioResult[] = [{
    name: 's', file: 's.yaml', kernel: 'k',
    cases: [{ name: 'c', status: 'error', error, durationMs: 0, probes: [], expectations: [] }],
  }] as unknown as ScenarioResult[];
  const out = tableReport(results, { width: 120 });
  const flat = out.replace(/[│\s]+/g, '');
  t.ok(flat.includes('#line399ofaprogram→withwords,andmorewords'), 'the last line is there');
  t.ok(flat.includes('timedout'));
});

t.test('the patched truncate still truncates a line as cli-table3 does', async (t) => {
  await import('../../../src/report/cli-table.js');
  t.equal(utils.truncate('abcdefghijklmnop', 10), 'abcdefghi…');
  t.equal(utils.truncate('→bcdefghijklmnop', 10), '→bcdefghi…', 'a wide-ish character: the slow path, on one line');
  t.equal(utils.truncate('short', 10), 'short');
  t.equal(utils.truncate('abcdefghijklmnop\nsecond line', 10), 'abcdefghi…', 'several lines: the first one');
});
