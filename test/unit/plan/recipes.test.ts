import t from 'tap';
import { planCase } from '../../../src/plan/plan.js';
import { withCaptured } from '../../../src/plan/recipes.js';
import { derivePath } from '../../../src/probes/path.js';
import { bindToDeviceParams } from '../../../src/recipes/bind-to-device.js';
import { netnsSplitParams } from '../../../src/recipes/netns-split.js';
import { tcMirredParams } from '../../../src/recipes/tc-mirred.js';
import { seedCase, seedScenario } from '../fixtures.js';

const loc = { line: 1, col: 1 };
const show = (ops: { node: string; argv: string[] }[]) => ops.map((o) => `${o.node}: ${o.argv.join(' ')}`);
const probe = (from: string, to: string, name = `${from} → ${to}`) => ({
  ...seedCase().probes[0]!,
  name,
  from: { node: 'laptop', address: from },
  to: { address: to },
});

const split = seedScenario([
  seedCase({
    recipes: [{ name: 'netns-split', params: netnsSplitParams.parse({ node: 'laptop', nic: 'wlan1' }), loc }],
    probes: [probe('192.0.2.1', '192.0.2.2')],
  }),
]);

t.test('netns-split: the new node gets a lab namespace and the move is an op in the old node', async (t) => {
  const plan = planCase(split, 0, 'lab-x');
  t.same(plan.namespaces.map((n) => n.netns), ['lab-x-c0-laptop', 'lab-x-c0-ap', 'lab-x-c0-laptop-wlan1']);
  t.same(show(plan.ops).slice(14), [
    'laptop-wlan1: ip link set dev lo up',
    'laptop: ip link set dev wlan1 netns lab-x-c0-laptop-wlan1',
    'laptop-wlan1: ip addr add 192.0.2.2/24 dev wlan1',
    'laptop-wlan1: ip link set dev wlan1 up',
  ]);
});

t.test('netns-split: the topology follows the moved device, and so does the receiver', async (t) => {
  const plan = planCase(split, 0, 'lab-x');
  t.same(plan.topology.nodes, ['laptop', 'ap', 'laptop-wlan1']);
  t.same(plan.topology.devices.filter((d) => d.node === 'laptop-wlan1'), [
    { node: 'laptop-wlan1', dev: 'wlan1', kind: 'veth', peer: { node: 'ap', dev: 'port1' } },
    { node: 'laptop-wlan1', dev: 'lo', kind: 'loopback' },
  ]);
  t.same(plan.topology.devices.find((d) => d.dev === 'port1')?.peer, { node: 'laptop-wlan1', dev: 'wlan1' });
  t.notOk(plan.topology.devices.some((d) => d.node === 'laptop' && d.dev === 'wlan1'));
  t.equal(plan.probes[0]?.receiverNode, 'laptop-wlan1');
});

t.test('netns-split: the path is derived through the moved device into its new node', async (t) => {
  const plan = planCase(split, 0, 'lab-x');
  const counts = new Map([
    ['laptop:wlan0', { tx: 1, rx: 0 }],
    ['ap:port0', { tx: 0, rx: 1 }],
    ['ap:port1', { tx: 1, rx: 0 }],
    ['laptop-wlan1:wlan1', { tx: 0, rx: 1 }],
  ]);
  t.same(derivePath(plan.topology, counts, 'laptop'), ['laptop:wlan0', 'ap:port0', 'ap:port1', 'laptop-wlan1:wlan1']);
});

t.test('bind-to-device: probes from the bound address are bound, and the plan says by what', async (t) => {
  const s = seedScenario([
    seedCase({
      recipes: [{ name: 'bind-to-device', params: bindToDeviceParams.parse({ node: 'laptop', out: 'wlan0', in: 'wlan1' }), loc }],
      probes: [
        probe('192.0.2.1', '192.0.2.2'),
        probe('192.0.2.2', '192.0.2.1'),
        { ...probe('192.0.2.1', '192.0.2.2', 'own dev'), from: { node: 'laptop', address: '192.0.2.1', dev: 'wlan1' } },
      ],
    }),
  ]);
  const plan = planCase(s, 0, 'lab-x');
  t.same(plan.probes.map((p) => p.probe.from.dev), ['wlan0', undefined, 'wlan1'], 'a dev the probe names itself wins');
  t.match(plan.probes[0]?.binding?.why, /binds its socket to wlan0 \(SO_BINDTODEVICE\)/);
  t.equal(plan.probes[1]?.binding, undefined);
  t.equal(plan.case.probes[0]?.from.dev, undefined, 'the case itself is not changed');
});

t.test('captured values replace $NAME in later ops; unknown names and other text stay', async (t) => {
  const values = new Map([['WLAN0_MAC', '02:00:00:00:00:01']]);
  t.same(withCaptured(['pedit', 'set', '$WLAN0_MAC', '$OTHER', 'a$WLAN0_MAC'], values), ['pedit', 'set', '02:00:00:00:00:01', '$OTHER', 'a02:00:00:00:00:01']);
  t.same(withCaptured(['$X'], new Map()), ['$X']);
});

t.test('tc-mirred: lo\'s egress is redirected out of wlan0, and the path follows it past the unseen wlan0', async (t) => {
  const s = seedScenario([
    seedCase({ recipes: [{ name: 'tc-mirred', params: tcMirredParams.parse({ node: 'laptop', out: 'wlan0', in: 'wlan1' }), loc }] }),
  ]);
  const plan = planCase(s, 0, 'lab-x');
  t.same(plan.topology.devices.find((d) => d.node === 'laptop' && d.dev === 'lo')?.redirect, ['wlan0']);
  // Measured on Debian's 6.1 kernel (act_pedit): lo counts it, wlan0's egress hook does not.
  const counts = new Map([
    ['laptop:lo', { tx: 1, rx: 0 }],
    ['ap:port0', { tx: 0, rx: 1 }],
    ['ap:port1', { tx: 1, rx: 0 }],
    ['laptop:wlan1', { tx: 0, rx: 1 }],
  ]);
  t.same(derivePath(plan.topology, counts, 'laptop'), ['laptop:lo', 'ap:port0', 'ap:port1', 'laptop:wlan1']);
  const plain = planCase(seedScenario(), 0, 'lab-x');
  t.same(derivePath(plain.topology, counts, 'laptop'), ['laptop:lo', 'laptop:wlan1', 'ap:port0', 'ap:port1'],
    'without the redirect the wiring cannot order it');
});
