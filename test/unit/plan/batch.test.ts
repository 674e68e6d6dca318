import t from 'tap';
import { batchSteps, failedBatchLine, hostOrder, ipBatchInput, rootLine, stepWaves } from '../../../src/plan/batch.js';
import { planCase } from '../../../src/plan/plan.js';
import type { Case } from '../../../src/types/scenario.js';
import type { Op } from '../../../src/types/plan.js';
import { seedCase, seedScenario } from '../fixtures.js';

const op = (node: string, ...argv: string[]): Op => ({ node, argv });

t.test('consecutive ip ops of one node make one batch; sysctls one call', async (t) => {
  const steps = batchSteps([
    op('a', 'ip', 'link', 'set', 'dev', 'lo', 'up'),
    op('a', 'ip', 'addr', 'add', '192.0.2.1/24', 'dev', 'eth0'),
    op('b', 'ip', 'link', 'set', 'dev', 'lo', 'up'),
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
  t.equal(ipBatchInput(steps[0]!.ops), 'link set dev lo up\naddr add 192.0.2.1/24 dev eth0\n');
});

t.test('ops that capture, need a feature, or carry odd tokens stay on their own', async (t) => {
  const steps = batchSteps([
    { node: 'a', argv: ['ip', 'link', 'show'], capture: 'MAC' },
    { node: 'a', argv: ['ip', 'link', 'add', 'name', 'x', 'type', 'vrf'], requires: 'vrf' },
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
    { node: 'a', argv: ['ip', 'link', 'set', 'dev', 'lo', 'up'], wave: 1 },
    { node: 'b', argv: ['ip', 'link', 'set', 'dev', 'lo', 'up'], wave: 1 },
    op('a', 'ip', 'route', 'add', '192.0.2.9/32', 'dev', 'eth0'),
    op('b', 'ip', 'route', 'add', '192.0.2.9/32', 'dev', 'eth0'),
  ]);
  t.same(stepWaves(steps).map((w) => w.map((s) => s.node)), [['a', 'b'], ['a'], ['b']]);
});

t.test('a failed batch names its line', async (t) => {
  t.equal(failedBatchLine('Error: any valid prefix is expected rather than "192.0.2.300/24".\nCommand failed -:3\n'), 2);
  t.equal(failedBatchLine('something else'), undefined);
});

const ns = (node: string): string => `lab-x-c0-${node}`;

t.test('bridges and veth pairs are root lines that create them straight inside their namespaces', async (t) => {
  const w = (wave: number, node: string, ...argv: string[]): Op => ({ node, argv, wave });
  t.equal(rootLine(w(1, 'ap', 'ip', 'link', 'add', 'name', 'br0', 'type', 'bridge'), ns), 'link add name br0 netns lab-x-c0-ap type bridge');
  t.equal(
    rootLine(w(2, 'a', 'ip', 'link', 'add', 'name', 'eth0', 'type', 'veth', 'peer', 'name', 'eth1', 'netns', 'lab-x-c0-b'), ns),
    'link add name eth0 netns lab-x-c0-a type veth peer name eth1 netns lab-x-c0-b',
  );
  t.equal(
    rootLine(w(2, 'a', 'ip', 'link', 'add', 'name', 'x0', 'type', 'veth', 'peer', 'name', 'x1'), ns),
    'link add name x0 netns lab-x-c0-a type veth peer name x1 netns lab-x-c0-a',
    'a pair inside one node gets its peer placed there too, never in the root namespace',
  );
  t.equal(rootLine(w(1, 'a', 'ip', 'link', 'set', 'dev', 'lo', 'up'), ns), undefined, 'anything else runs inside');
  t.equal(rootLine(op('a', 'ip', 'link', 'add', 'name', 'br0', 'type', 'bridge'), ns), undefined, 'and so does a recipe op (no wave)');
  t.equal(rootLine(w(1, 'a', 'ip', 'link', 'add', 'name', 'v', 'type', 'vrf', 'table', '10'), ns), undefined);
  t.equal(rootLine(w(2, 'a', 'ip', 'link', 'add', 'name', '$X', 'type', 'bridge'), ns), undefined);
});

t.test('the seed: one root batch, then one batch per node, where the topology was', async (t) => {
  const recipes = [{ name: 'accept-local', params: { node: 'laptop', out: 'wlan0', in: 'wlan1', both: false, accept_local: 1, rp_filter: 2 }, loc: { line: 1, col: 1 } }];
  const plan = planCase(seedScenario([seedCase({ recipes, sysctls: [{ node: 'laptop', key: 'net.ipv4.ip_forward', value: '1' }] } as Partial<Case>)]), 0, 'lab-x');
  const { root, rest } = hostOrder(plan.ops, ns);
  t.same(root.map((r) => r.line), [
    'link add name br0 netns lab-x-c0-ap type bridge',
    'link add name wlan0 netns lab-x-c0-laptop type veth peer name port0 netns lab-x-c0-ap',
    'link add name wlan1 netns lab-x-c0-laptop type veth peer name port1 netns lab-x-c0-ap',
  ]);
  const steps = batchSteps(rest);
  t.same(steps.map((s) => `${s.kind} ${s.node}`), ['ip-batch laptop', 'ip-batch ap', 'sysctl laptop']);
  const laptop = steps[0]?.ops.map((o) => o.argv.slice(1, o.argv[3] === 'dev' ? 5 : 4).join(' ')) ?? [];
  t.same(laptop.slice(0, 5), ['link set dev lo', 'addr add 192.0.2.1/24', 'addr add 192.0.2.2/24', 'link set dev wlan0', 'link set dev wlan1'], 'lo comes up first');
  t.ok(laptop.length > 5 && laptop.slice(5).every((l) => /^(rule|route) /.test(l)), `the recipe's rules and routes follow in the same batch: ${laptop.slice(5).join('; ')}`);
  t.same(stepWaves(steps).map((w) => w.map((s) => s.node)), [['laptop', 'ap'], ['laptop']]);
});

t.test('ops before the topology (radios) stay before it; ops after it stay after', async (t) => {
  const { rest } = hostOrder(
    [op('a', 'perl', 'radio'), { node: 'a', argv: ['ip', 'link', 'set', 'dev', 'lo', 'up'], wave: 1 }, { node: 'a', argv: ['ip', 'addr', 'add', '192.0.2.1/24', 'dev', 'w0'], wave: 3 }, op('a', 'iw', 'join')],
    ns,
  );
  t.same(rest.map((o) => o.argv[1]), ['radio', 'link', 'addr', 'join']);
  t.same(rest.map((o) => o.wave), [undefined, 3, 3, undefined]);
});

t.test("ip ops right after the topology join their node's batch, up to the first op that may not", async (t) => {
  const topo = (node: string, ...argv: string[]): Op => ({ node, argv, wave: 3 });
  const { rest } = hostOrder(
    [
      topo('a', 'ip', 'addr', 'add', '192.0.2.1/24', 'dev', 'e0'),
      topo('b', 'ip', 'addr', 'add', '192.0.2.2/24', 'dev', 'e1'),
      op('b', 'ip', 'route', 'add', '198.51.100.0/24', 'via', '192.0.2.1'),
      op('a', 'ip', 'rule', 'add', 'iif', 'lo', 'table', '10'),
      op('c', 'ip', 'route', 'add', 'default', 'dev', 'x'),
      op('a', 'ip', 'link', 'set', 'dev', 'e0', 'netns', 'other'),
      op('a', 'ip', 'rule', 'add', 'pref', '5', 'table', 'local'),
    ],
    ns,
  );
  t.same(
    rest.map((o) => `${o.node} ${o.argv[1]} ${o.wave ?? '-'}`),
    ['a addr 3', 'a rule 3', 'b addr 3', 'b route 3', 'c route -', 'a link -', 'a rule -'],
    'a node without topology ops (c) ends the joining; so would a netns op; what follows stays in order',
  );
  const sysctlFirst = hostOrder([topo('a', 'ip', 'link', 'set', 'dev', 'e0', 'up'), op('a', 'sysctl', '-q', '-w', 'k=1'), op('a', 'ip', 'rule', 'add', 'iif', 'lo')], ns).rest;
  t.same(sysctlFirst.map((o) => o.wave ?? '-'), [3, '-', '-'], 'an ip op after a sysctl keeps its place after it');
});

t.test('an op naming a kernel feature runs alone, never inside a wave\'s batches (its failure skips the case)', async (t) => {
  const w = (node: string, argv: string[], requires?: string): Op => ({ node, argv, wave: 3, ...(requires ? { requires } : {}) });
  const steps = batchSteps([
    w('a', ['ip', 'link', 'set', 'dev', 'lo', 'up']),
    w('a', ['ip', 'link', 'add', 'name', 'd0', 'type', 'dummy'], 'dummy (CONFIG_DUMMY)'),
    w('a', ['ip', 'link', 'set', 'dev', 'd0', 'up']),
    w('b', ['ip', 'link', 'set', 'dev', 'lo', 'up']),
  ]);
  t.same(stepWaves(steps).map((wave) => wave.map((s) => `${s.kind} ${s.node}`)), [
    ['ip-batch a'],
    ['single a'],
    ['ip-batch a', 'ip-batch b'],
  ]);
});
