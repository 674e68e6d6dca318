import t from 'tap';
import { cellText, matrixGroups, matrixTable, probeOutcome } from '../../../src/report/matrix.js';
import { tableReport } from '../../../src/report/table.js';
import type { CaseResult, ProbeResult } from '../../../src/types/result.js';

const dimensions = [
  { name: 'accept_local', labels: ['0', '1'] },
  { name: 'direction', labels: ['one-way', 'both'] },
];
const probe = (name: string, delivered: boolean, path: string[], cause: ProbeResult['cause'] = null): ProbeResult => ({
  name, proto: 'udp', from: 'laptop:192.0.2.1', to: '192.0.2.2:47000', delivered, path, devices: {},
  explanation: '', cause, evidence: [], prediction: null,
});
const wire = ['laptop:wlan0', 'ap:port0', 'ap:port1', 'laptop:wlan1'];
const cell = (al: number, direction: string, over: Partial<CaseResult> = {}): CaseResult => ({
  name: `al [accept_local=${al} direction=${direction}]`,
  status: 'pass',
  matrix: { case: 'al', dimensions, params: { accept_local: al, direction } },
  probes: [probe('fwd', true, wire), probe('rev', true, ['laptop:lo'])],
  expectations: [],
  durationMs: 1,
  ...over,
});

t.test('a probe in a few words: lo, wire → where it arrived, lost (CAUSE)', async (t) => {
  t.equal(probeOutcome({ delivered: true, path: ['laptop:lo'], cause: null }), 'lo');
  t.equal(probeOutcome({ delivered: true, path: wire, cause: null }), 'wire → laptop:wlan1');
  t.equal(probeOutcome({ delivered: false, path: [], cause: 'NEIGH_FAILED' }), 'lost (NEIGH_FAILED)');
  t.equal(probeOutcome({ delivered: false, path: ['laptop:lo', 'ap:port0'], cause: null }), 'lost (after ap:port0)');
});

t.test('a cell: the verdict mark, then one line per probe; errors and skips in one line', async (t) => {
  t.equal(cellText(cell(1, 'both')), '✓ fwd: wire → laptop:wlan1\n  rev: lo');
  t.equal(cellText(cell(1, 'both', { status: 'fail' })), '✗ fwd: wire → laptop:wlan1\n  rev: lo');
  t.equal(cellText(cell(1, 'both', { status: 'skip', error: 'this kernel lacks X: …\nmore' })), '- skip: this kernel lacks X: …');
});

t.test('rows are all dimensions but the last, which gives the columns', async (t) => {
  const cells = [
    cell(0, 'one-way', { probes: [probe('fwd', false, [], 'NEIGH_FAILED'), probe('rev', true, ['laptop:lo'])] }),
    cell(0, 'both'),
    cell(1, 'one-way'),
    cell(1, 'both'),
  ];
  const text = matrixTable(cells as never, { width: 100, kernel: '6.18.44' });
  t.match(text, /^matrix al \(rows: accept_local; columns: direction\)\n/);
  t.match(text, /│ accept_local +│ direction=one-way +│ direction=both +│/);
  t.match(text, /│ 0 +│ ✓ fwd: lost \(NEIGH_FAILED\) +│ ✓ fwd: wire → laptop:wlan1 +│/);
  t.match(text, /│ 1 +│ ✓ fwd: wire → laptop:wlan1 +│ ✓ fwd: wire → laptop:wlan1 +│/);
  t.match(text, /4 cells: 4 pass\n$/);
  t.ok(text.split('\n').every((l) => [...l].length <= 100), 'fits the width');
});

t.test('a failed cell is marked and its failures are listed below, naming the kernel and the pins', async (t) => {
  const failed = cell(1, 'both', {
    status: 'fail',
    expectations: [{ what: 'fwd: delivered', expected: false, actual: true, ok: false }],
    matrix: { case: 'al', dimensions, params: { accept_local: 1, direction: 'both' }, kernelPins: [{ range: '<6.8', holds: false }] },
  });
  const text = matrixTable([cell(0, 'one-way'), failed] as never, { kernel: '6.18.44' });
  t.match(text, /│ ✗ fwd: wire/);
  t.match(text, /\n✗ accept_local=1 direction=both on kernel 6\.18\.44: fwd: expected delivered false, saw true \(expectations for kernel <6\.8 not applied\)\n/);
  t.match(text, /2 cells: 1 pass, 1 fail/);
});

t.test('cells that did not run: empty rows are left out, missing cells say so', async (t) => {
  const text = matrixTable([cell(1, 'both')] as never);
  t.notMatch(text, /│ 0 /);
  t.match(text, /│ 1 +│ \(not run\) +│ ✓ fwd/);
});

t.test('one dimension: a single outcome column', async (t) => {
  const one = (al: number): CaseResult => ({ ...cell(al, 'x'), matrix: { case: 'al', dimensions: [dimensions[0]!], params: { accept_local: al } } });
  t.match(matrixTable([one(0), one(1)] as never), /│ accept_local +│ outcome +│/);
});

t.test('the table report: ordinary cases in the case table, each matrix in its own', async (t) => {
  const plain: CaseResult = { name: 'plain', status: 'pass', probes: [probe('p', true, ['laptop:lo'])], expectations: [], durationMs: 1 };
  const report = tableReport([{ name: 's', file: 's.yaml', kernel: '6.18.44', cases: [plain, cell(0, 'both'), cell(1, 'both')] }]);
  t.match(report, /│ plain +│ ✓ pass/);
  t.notMatch(report, /│ al \[accept_local/, 'cells are not rows of the case table');
  t.match(report, /matrix al \(rows: accept_local; columns: direction\)/);
  t.match(report, /\n3 pass\n/);
  t.same([...matrixGroups([plain, cell(0, 'both')]).keys()], ['al']);
});
