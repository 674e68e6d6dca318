import t from 'tap';
import { benchOptions } from '../../../src/cli/bench.js';
import { UsageError } from '../../../src/errors.js';

t.test('by default: linear,20/50/100, five runs, a 100-cell matrix, Mininet, every part', async (t) => {
  const o = benchOptions({});
  t.same([o.linear, o.repeat, o.cells, o.mininet, o.parts, o.json], [[20, 50, 100], 5, 100, true, ['linear', 'seed', 'matrix', 'vm'], false]);
  t.same(o.skipped, {});
});

t.test('--quick is tiny and leaves the VM out, saying so; explicit options still win', async (t) => {
  const q = benchOptions({ quick: true });
  t.same([q.linear, q.repeat, q.cells, q.seedCases, q.parts], [[3], 1, 4, 2, ['linear', 'seed', 'matrix']]);
  t.equal(benchOptions({}).seedCases, undefined, 'a full bench runs every case');
  t.match(q.skipped.vm, /--quick/);
  t.same(benchOptions({ quick: true, linear: '5,7', repeat: 2 }).linear, [5, 7]);
});

t.test('--only picks parts and names the others as left out', async (t) => {
  const o = benchOptions({ only: 'matrix, linear' });
  t.same(o.parts, ['linear', 'matrix']);
  t.match(o.skipped.seed, /--only linear,matrix/);
});

t.test('bad options are usage errors that name the option', async (t) => {
  t.throws(() => benchOptions({ linear: '20,x' }), UsageError);
  t.throws(() => benchOptions({ linear: '1' }), /--linear: .*from 2 to 250/);
  t.throws(() => benchOptions({ linear: '' }), /--linear needs at least one size/);
  t.throws(() => benchOptions({ repeat: 0 }), /--repeat must be a positive integer/);
  t.throws(() => benchOptions({ cells: 10 }), /--cells: .*multiple of 4/);
  t.throws(() => benchOptions({ only: 'linear,speed' }), /--only takes parts from linear, seed, matrix, vm/);
});
