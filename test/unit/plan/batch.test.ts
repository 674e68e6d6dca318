import t from 'tap';
import { batchSteps, failedBatchLine, ipBatchInput, stepWaves } from '../../../src/plan/batch.js';
import { planCase } from '../../../src/plan/plan.js';
import type { Op } from '../../../src/plan/types.js';
import { seedCase, seedScenario } from '../fixtures.js';

const op = (node: string, ...argv: string[]): Op => ({ node, argv });

t.test('consecutive ip ops of one node make one batch; sysctls one call', async (t) => {
  const steps = batchSteps([
    op('a', 'ip', 'link', 'set', 'lo', 'up'),
    op('a', 'ip', 'addr', 'add', '192.0.2.1/24', 'dev', 'eth0'),
    op('b', 'ip', 'link', 'set', 'lo', 'up'),
    op('b', 'sysctl', '-q', '-w', 'net.ipv4.conf.all.rp_filter=1'),
    op('b', 'sysctl', '-q', '-w', 'net.ipv4.conf.eth0.rp_filter=1'),
    { node: 'b', argv: ['nft', '-f', '-'], input: 'table inet x {}' },
    op('b', 'ip', 'route', 'add', '$MAC', 'dev', 'eth0'),
  ]);
  t.same(steps.map((s) => [s.kind, s.node, s.ops.length]), [
    ['ip-batch', 'a', 2],
    ['ip-batch', 'b', 1],
    ['sysctl', 'b', 2],
    ['single', 'b', 1],
    ['single', 'b', 1],
  ]);
  t.equal(ipBatchInput(steps[0]!.ops), 'link set lo up\naddr add 192.0.2.1/24 dev eth0\n');
});

t.test('ops that capture, need a feature, or carry odd tokens stay on their own', async (t) => {
  const steps = batchSteps([
    { node: 'a', argv: ['ip', 'link', 'show'], capture: 'MAC' },
    { node: 'a', argv: ['ip', 'link', 'add', 'x', 'type', 'vrf'], requires: 'vrf' },
    op('a', 'ip', 'link', 'set', 'lo', 'alias', 'a b'),
    op('a', 'ip', '-6', 'rule', 'add', 'iif', 'lo'),
  ]);
  t.same(steps.map((s) => s.kind), ['single', 'single', 'single', 'single']);
});

t.test('the seed topology is five batches in three waves, not fourteen commands one after another', async (t) => {
  const steps = batchSteps(planCase(seedScenario([seedCase()]), 0, 'lab-x').ops);
  t.same(steps.map((s) => `${s.kind} ${s.node} ${s.ops.length}`), [
    'ip-batch laptop 1', 'ip-batch ap 2', 'ip-batch laptop 2', 'ip-batch laptop 4', 'ip-batch ap 5',
  ]);
  t.same(stepWaves(steps).map((w) => w.map((s) => s.node)), [['laptop', 'ap'], ['laptop'], ['laptop', 'ap']]);
});

t.test('ops without a wave run alone, in plan order', async (t) => {
  const steps = batchSteps([
    { node: 'a', argv: ['ip', 'link', 'set', 'lo', 'up'], wave: 1 },
    { node: 'b', argv: ['ip', 'link', 'set', 'lo', 'up'], wave: 1 },
    op('a', 'ip', 'route', 'add', '192.0.2.9/32', 'dev', 'eth0'),
    op('b', 'ip', 'route', 'add', '192.0.2.9/32', 'dev', 'eth0'),
  ]);
  t.same(stepWaves(steps).map((w) => w.map((s) => s.node)), [['a', 'b'], ['a'], ['b']]);
});

t.test('a failed batch names its line', async (t) => {
  t.equal(failedBatchLine('Error: any valid prefix is expected rather than "192.0.2.300/24".\nCommand failed -:3\n'), 2);
  t.equal(failedBatchLine('something else'), undefined);
});
