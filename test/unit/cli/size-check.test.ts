// The size check: the estimate of a run's peak, and the refusal with the numbers.
import t from 'tap';
import { estimateRun, MB, NODE_BYTES, sizeProblem } from '../../../src/cli/size-check.js';
import { memAvailableOf, tasksOf, type HostLimits } from '../../../src/backends/host-limits.js';
import type { Scenario } from '../../../src/types/scenario.js';

const chain = (nodes: number): Scenario =>
  ({ nodes: Array.from({ length: nodes }, (_, i) => ({ name: `n${i}` })), links: Array.from({ length: nodes - 1 }, () => ({})), cases: [{ name: 'c' }] }) as unknown as Scenario;

const host = (memMb: number, taskLimit = 32768, tasksNow = 200): HostLimits =>
  ({ memAvailable: memMb * MB, memSource: 'MemAvailable', taskLimit, taskSource: 'pid_max/threads-max', tasksNow });

t.test('the peak is the largest cases, as many as run at once', async (t) => {
  const s = [chain(400), chain(50), chain(200)];
  const sel: [number, number][] = [[0, 0], [1, 0], [2, 0]];
  t.equal(estimateRun(s, sel, 1, false).nodes, 400);
  t.equal(estimateRun(s, sel, 2, false).nodes, 600);
  t.equal(estimateRun(s, sel, 8, false).nodes, 650);
  t.ok(estimateRun(s, sel, 1, true).tasks > estimateRun(s, sel, 1, false).tasks, 'a tcpdump per device with --out');
});

t.test('a 5,000-node chain does not fit in 23 GB; 400 nodes do', async (t) => {
  const big = estimateRun([chain(5000)], [[0, 0]], 1, false);
  const why = sizeProblem(big, host(23_000), 1);
  t.match(why, /5,000 nodes at once/);
  t.match(why, /memory: about 22,700 MB \(4\.5 MB per node \+ 200 MB\), but MemAvailable is 23,000 MB/);
  t.match(why, /--ignore-size-limit/);
  t.equal(sizeProblem(estimateRun([chain(400)], [[0, 0]], 1, false), host(23_000), 1), undefined);
  t.equal(NODE_BYTES, 4.5 * MB);
});

t.test('processes: the task limit counts what already runs', async (t) => {
  const e = estimateRun([chain(2000)], [[0, 0]], 1, false);
  t.equal(sizeProblem(e, host(1e6, 32768, 200), 1), undefined);
  t.match(sizeProblem(e, host(1e6, 4096, 200), 1), /processes: about 4,000 \(2 per node\), but 200 of pid_max\/threads-max 4,096 are taken/);
});

t.test('reading /proc', async (t) => {
  t.equal(memAvailableOf('MemTotal:       24684000 kB\nMemAvailable:   23000000 kB\n'), 23000000 * 1024);
  t.equal(tasksOf('1.80 0.60 0.24 3/153 4242\n'), 153);
});
