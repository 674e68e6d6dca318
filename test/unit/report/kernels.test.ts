// The side-by-side table: a column per kernel, rows whose kernels disagree marked.
import t from 'tap';
import { compareKernels, kernelTable } from '../../../src/report/kernels.js';
import type { ScenarioResult } from '../../../src/types/result.js';

const result = (kernel: string, path: string[], status: 'pass' | 'fail'): ScenarioResult => ({
  name: 'seed',
  file: 'seed.yaml',
  kernel,
  cases: [
    { name: 'same', status: 'pass', probes: [], expectations: [], durationMs: 1 },
    {
      name: 'differs',
      status,
      probes: [{ name: 'p', proto: 'udp', from: 'a', to: 'b', delivered: path.length > 0, path, devices: {}, explanation: '', cause: null, evidence: [], prediction: null }],
      expectations: [],
      durationMs: 1,
    },
  ],
});

t.test('one row per case, one column per kernel; differences found by status and path', async (t) => {
  const results = [result('6.18', ['laptop:lo'], 'pass'), result('6.1.0-57-amd64', [], 'fail')];
  const cmp = compareKernels(results);
  t.strictSame(cmp.kernels, ['6.18', '6.1.0-57-amd64']);
  t.strictSame(cmp.rows.map((r) => [r.case, r.differs]), [['same', false], ['differs', true]]);
  const text = kernelTable(results, { width: 100 });
  t.match(text, /kernel 6\.18 .* kernel 6\.1\.0-57-amd64/);
  t.match(text, /≠ 1 of 2 case\(s\) differ between kernels/);
  t.match(text, /not delivered; \(none\)/);
  // Every column has a heading, and no column is empty on every row.
  const head = text.split('\n')[1] ?? '';
  const cells = head.split('│').slice(1, -1).map((c) => c.trim());
  t.strictSame(cells, ['case', 'kernel 6.18', 'kernel 6.1.0-57-amd64'], 'every column is labelled');
  t.match(text, /│ ≠ seed › differs/, 'the differing row is marked in its case cell');
  t.match(kernelTable([result('a', ['x:lo'], 'pass'), result('b', ['x:lo'], 'pass')]), /the 2 kernels agree on all 2 case\(s\)/);
});
