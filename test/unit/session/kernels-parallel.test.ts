// Kernels side by side: how many VMs at once, and the pool that runs them (results in the order
// the kernels were given; a failure stops new starts).
import t from 'tap';
import { mapLimit, vmParallelism } from '../../../src/session/vm.js';

t.test('one VM per core, at most one per kernel, LAB_VM_PARALLEL lowers it', async (t) => {
  t.equal(vmParallelism(3, 2, {}), 2);
  t.equal(vmParallelism(3, 8, {}), 3);
  t.equal(vmParallelism(1, 8, {}), 1);
  t.equal(vmParallelism(3, 8, { LAB_VM_PARALLEL: '1' }), 1);
  t.equal(vmParallelism(3, 2, { LAB_VM_PARALLEL: '6' }), 2, 'never above the cores');
  t.equal(vmParallelism(3, 2, { LAB_VM_PARALLEL: 'x' }), 2, 'a bad value is ignored');
  t.equal(vmParallelism(0, 2, {}), 1);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('the pool: at most `limit` at once, results in order', async (t) => {
  let running = 0;
  let peak = 0;
  const got = await mapLimit([30, 10, 20, 5], 2, async (ms, i) => {
    running++;
    peak = Math.max(peak, running);
    await sleep(ms);
    running--;
    return `k${i}`;
  });
  t.strictSame(got, ['k0', 'k1', 'k2', 'k3']);
  t.equal(peak, 2, 'two at once, not four and not one');
  let serialPeak = 0;
  running = 0;
  await mapLimit([5, 5, 5], 1, async () => {
    running++;
    serialPeak = Math.max(serialPeak, running);
    await sleep(5);
    running--;
  });
  t.equal(serialPeak, 1);
});

t.test('a failure: thrown after the started ones end, no new ones start', async (t) => {
  const started: number[] = [];
  const err = await mapLimit([0, 1, 2, 3], 2, async (_, i) => {
    started.push(i);
    await sleep(i === 0 ? 5 : 20);
    if (i === 0) throw new Error('kernel 0 failed');
    return i;
  }).then(() => undefined, (e: unknown) => e);
  t.match(err, { message: 'kernel 0 failed' });
  t.strictSame(started, [0, 1], 'kernels 2 and 3 never started');
});
