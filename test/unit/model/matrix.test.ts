import t from 'tap';
import { cellName, expandMatrix, expectationFor, kernelPins, type CellRule, type MatrixDimension } from '../../../src/model/matrix.js';
import { parseKernelRange } from '../../../src/model/kernel.js';
import { acceptLocalParams } from '../../../src/recipes/accept-local.js';
import { recipes } from '../../../src/recipes/index.js';
import { seedCase } from '../fixtures.js';
import { problem, problemsOf, withCases } from './fixtures/helpers.js';
import { parseScenario } from '../../../src/recipes/scenario.js';

const loc = { line: 1, col: 1 };
const ref = (text: string) => ({ node: text.split(':')[0] ?? '', dev: text.split(':')[1] ?? '' });
const base = seedCase({
  name: 'al',
  recipes: [{ name: 'accept-local', params: acceptLocalParams.parse({ node: 'laptop', out: 'wlan0', in: 'wlan1' }), loc }],
  sysctls: [{ node: 'laptop', key: 'net.ipv4.conf.all.log_martians', value: '1' }],
  expect: { delivered: true },
});
const dim = (name: string, targets: MatrixDimension['targets'], values: [string, string | number | boolean][]): MatrixDimension => ({
  name,
  targets,
  values: values.map(([label, value]) => ({ label, value, param: label === String(value) ? value : label })),
});
const acceptLocal = dim('accept_local', [{ kind: 'recipe', recipe: 'accept-local', param: 'accept_local' }], [['0', 0], ['1', 1]]);
const direction = dim('direction', [{ kind: 'recipe', recipe: 'accept-local', param: 'both' }], [['one-way', false], ['both', true]]);
const rpAll = dim('all.rp_filter', [{ kind: 'sysctl', node: 'laptop', key: 'net.ipv4.conf.all.rp_filter' }], [['0', 0], ['1', 1], ['2', 2]]);

t.test('the product of the dimensions, the first varying slowest, named after their values', async (t) => {
  const { cases, problems } = expandMatrix(base, [acceptLocal, direction], [], recipes);
  t.same(problems, []);
  t.same(cases.map((c) => c.name), [
    'al [accept_local=0 direction=one-way]',
    'al [accept_local=0 direction=both]',
    'al [accept_local=1 direction=one-way]',
    'al [accept_local=1 direction=both]',
  ]);
  t.same(cases.map((c) => [c.recipes[0]?.params.accept_local, c.recipes[0]?.params.both]), [[0, false], [0, true], [1, false], [1, true]]);
  t.same(cases[1]?.matrix, {
    case: 'al',
    dimensions: [{ name: 'accept_local', labels: ['0', '1'] }, { name: 'direction', labels: ['one-way', 'both'] }],
    params: { accept_local: 0, direction: 'both' },
  });
  t.equal(base.recipes[0]?.params.both, false, 'the base case is not changed');
});

t.test('sysctl dimensions append to the case sysctls, in the cell value; true becomes 1', async (t) => {
  const flag = dim('flag', [{ kind: 'sysctl', node: 'laptop', key: 'net.ipv4.conf.wlan1.accept_local' }], [['true', true]]);
  const { cases } = expandMatrix(base, [rpAll, flag], [], recipes);
  t.equal(cases.length, 3);
  t.same(cases[2]?.sysctls, [
    { node: 'laptop', key: 'net.ipv4.conf.all.log_martians', value: '1' },
    { node: 'laptop', key: 'net.ipv4.conf.all.rp_filter', value: '2' },
    { node: 'laptop', key: 'net.ipv4.conf.wlan1.accept_local', value: '1' },
  ]);
  t.same(cases[2]?.recipes, base.recipes, 'recipes untouched by a sysctl dimension');
});

t.test('cells: entries go to the cells their where matches, in order', async (t) => {
  const rules: CellRule[] = [
    { where: [{ dimension: 'direction', labels: ['one-way'] }], probes: { p: { path: [ref('laptop:lo')] } }, loc },
    { where: [{ dimension: 'direction', labels: ['one-way'] }, { dimension: 'accept_local', labels: ['0'] }], expect: { delivered: false }, loc },
  ];
  const { cases } = expandMatrix(base, [acceptLocal, direction], rules, recipes);
  t.same(cases.map((c) => c.overrides?.length ?? 0), [2, 0, 1, 0]);
});

t.test('no dimension: the case itself, keeping its name, with its kernel rules', async (t) => {
  const pinned = parseKernelRange('<6.8');
  if (!pinned.ok) throw new Error(pinned.error);
  const { cases } = expandMatrix(base, [], [{ where: [], kernel: pinned.value, expect: { delivered: false }, loc }], recipes);
  t.equal(cases.length, 1);
  t.equal(cases[0]?.name, 'al');
  t.equal(cases[0]?.matrix, undefined);
  t.equal(cases[0]?.overrides?.length, 1);
});

t.test('a combination the recipe refuses is reported once, naming a cell', async (t) => {
  const out = dim('in', [{ kind: 'recipe', recipe: 'accept-local', param: 'in' }], [['wlan0', 'wlan0'], ['wlan1', 'wlan1']]);
  const view = { hasNode: () => true, hasDevice: () => true, addressesOf: () => [{ ref: ref('laptop:x'), cidr: '192.0.2.9/24', address: '192.0.2.9', prefix: 24, family: 4 as const }] };
  const { problems } = expandMatrix(base, [out, direction], [], recipes, view);
  t.same(problems, ['accept-local: out and in must be two different NICs (in cell in=wlan0 direction=one-way)']);
});

t.test('expectationFor: case, probe, then matching rules whose kernel range holds', async (t) => {
  const old = parseKernelRange('<6.8');
  const now = parseKernelRange('>=6.18');
  if (!old.ok || !now.ok) throw new Error('range');
  const probe = { ...base.probes[0]!, name: 'p', expect: { path: [ref('laptop:wlan0')] } };
  const c = {
    ...base,
    probes: [probe],
    overrides: [
      { kernel: old.value, expect: { delivered: false }, loc },
      { kernel: now.value, probes: { p: { path: [ref('laptop:lo')] } }, loc },
      { probes: { other: { delivered: false } }, loc },
    ],
  };
  t.same(expectationFor(c, probe, '6.18.44-fc'), { delivered: true, path: [ref('laptop:lo')] });
  t.same(expectationFor(c, probe, '6.1.0-27-amd64'), { delivered: false, path: [ref('laptop:wlan0')] });
  t.same(kernelPins(c, '6.1.0'), [{ range: '<6.8', holds: true }, { range: '>=6.18', holds: false }]);
});

t.test('cellName', async (t) => {
  t.equal(cellName('x', []), 'x');
  t.equal(cellName('x', [['a', '0'], ['b', 'both']]), 'x [a=0 b=both]');
});

// ── Through the loader ──────────────────────────────────────────────────────────────────────

const matrixCase = (...lines: string[]) => withCases(
  '  - name: al',
  '    recipe: { accept-local: { node: laptop, out: wlan0, in: wlan1 } }',
  '    probes:',
  '      - name: fwd',
  '        udp: { from: laptop:192.0.2.1, to: 192.0.2.2 }',
  ...lines,
);

t.test('a matrix case loads as its cells; shorthand and full dimensions', async (t) => {
  const s = parseScenario(matrixCase(
    '    matrix:',
    '      accept-local.rp_filter: [0, 1, 2]',
    '      direction: { set: accept-local.both, values: { one-way: false, both: true } }',
    '      wlan1: { set: [laptop:net.ipv4.conf.wlan1.rp_filter, laptop:net.ipv4.conf.wlan0.rp_filter], values: [2] }',
    '    cells:',
    '      - where: { direction: one-way, accept-local.rp_filter: [1] }',
    '        probes: { fwd: { delivered: false, reason: NEIGH_FAILED } }',
    '      - where: { kernel: ">=6.1 <6.8" }',
    '        expect: { path: [laptop:lo] }',
  ), 'test.yaml');
  t.equal(s.cases.length, 6);
  t.equal(s.cases[2]?.name, 'al [accept-local.rp_filter=1 direction=one-way wlan1=2]');
  t.same(s.cases[2]?.sysctls.map((x) => `${x.key}=${x.value}`), ['net.ipv4.conf.wlan1.rp_filter=2', 'net.ipv4.conf.wlan0.rp_filter=2']);
  t.same(s.cases[2]?.overrides?.map((o) => Object.keys(o.probes ?? {})), [['fwd'], []]);
  t.equal(s.cases[2]?.overrides?.[1]?.kernel?.text, '>=6.1 <6.8');
  t.equal(s.cases[3]?.overrides?.length, 1, 'both: only the kernel rule');
});

t.test('matrix mistakes are reported at their key, all at once', async (t) => {
  const problems = problemsOf(matrixCase(
    '    matrix:',
    '      accept-local.rp_filter: [0, 3]',
    '      x: { set: accept-local.nope, values: [1] }',
    '      y: { set: bind-to-device.out, values: [1] }',
    '      z: { set: laptop:kernel.panic, values: [1] }',
    '      kernel: [1]',
    '      w: { set: pc:net.ipv4.conf.all.rp_filter, values: [1] }',
    '    cells:',
    '      - where: { w: 1 }',
  ));
  t.same(problems.map((p) => [p.line, p.path, p.message]), [
    [18, 'cases.0.matrix.accept-local.rp_filter.1', 'accept-local.rp_filter: must be one of 0, 1, 2, not the number 3'],
    [19, 'cases.0.matrix.x.set', 'accept-local has no parameter "nope" (its parameters: node, out, in, both, accept_local, rp_filter, out_addr, in_addr)'],
    [20, 'cases.0.matrix.y.set', '"bind-to-device" is not a recipe of this case (its recipes: accept-local); a matrix varies parameters of the recipes under recipe:'],
    [21, 'cases.0.matrix.z.set', '"kernel.panic" cannot be set: only net.ipv4.* and net.ipv6.* keys are allowed, because they belong to the node\'s own network namespace; other sysctls could change the host itself'],
    [22, 'cases.0.matrix.kernel', '"kernel" cannot name a dimension: it is the kernel range key of cells[].where'],
    [23, 'cases.0.matrix.w.set', 'node "pc" is not declared (declared nodes: ap, laptop)'],
  ], 'a where on a broken dimension adds nothing');
});

t.test('cells mistakes: unknown dimension, value, probe and a bad kernel range', async (t) => {
  const problems = problemsOf(matrixCase(
    '    matrix:',
    '      rp: { set: accept-local.rp_filter, values: [0, 1] }',
    '    cells:',
    '      - where: { rp: 5, nope: 1, kernel: "~6" }',
    '        probes: { rev: { delivered: true } }',
    '        expect: { via: [laptop:wlan7] }',
  ));
  t.same(problems.map((p) => [p.line, p.path, p.message.replace(/;.*/, '')]), [
    [20, 'cases.0.cells.0.where.rp', 'rp has no value "5" (its values: 0, 1)'],
    [20, 'cases.0.cells.0.where.nope', '"nope" is not a dimension of the matrix (its dimensions: rp'],
    [20, 'cases.0.cells.0.where.kernel', '"~6" is not a version comparison'],
    [21, 'cases.0.cells.0.probes.rev', 'no probe of the case is named "rev" (its probes: "fwd")'],
    [22, 'cases.0.cells.0.expect.via.0', 'laptop:wlan7 is not a device of laptop (it has: lo, wlan0, wlan1)'],
  ]);
});

t.test('an unknown shape of dimension gets one clear message', async (t) => {
  const problems = problemsOf(matrixCase('    matrix:', '      rp: 3'));
  t.same(problems, [problem(18, 11, 'cases.0.matrix.rp', 'a matrix dimension is a list of values (its name then ' +
    'says what they set), or { set: RECIPE.PARAM or NODE:SYSCTL (or a list of them), values: [...] or { LABEL: VALUE, ... } }')]);
});

t.test('cells without a matrix: only kernel ranges select', async (t) => {
  const s = parseScenario(matrixCase('    cells:', '      - where: { kernel: "<6.8" }', '        expect: { delivered: false }'), 'test.yaml');
  t.equal(s.cases.length, 1);
  t.equal(s.cases[0]?.name, 'al');
  t.equal(s.cases[0]?.overrides?.[0]?.kernel?.text, '<6.8');
  t.match(problemsOf(matrixCase('    cells:', '      - where: { rp: 1 }'))[0]?.message, /the case has no matrix/);
});
