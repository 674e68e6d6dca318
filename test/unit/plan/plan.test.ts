import t from 'tap';
import { FIRST_PROBE_PORT, planCase } from '../../../src/plan/plan.js';
import { seedCase, seedScenario } from '../fixtures.js';

const show = (ops: { node: string; argv: string[] }[]) => ops.map((o) => `${o.node}: ${o.argv.join(' ')}`);

t.test('each node gets a namespace carrying the run prefix and the case index', async (t) => {
  const plan = planCase(seedScenario([seedCase(), seedCase({ name: 'second' })]), 1, 'lab-abc123');
  t.same(plan.namespaces, [
    { node: 'laptop', netns: 'lab-abc123-c1-laptop' },
    { node: 'ap', netns: 'lab-abc123-c1-ap' },
  ]);
  t.equal(plan.case.name, 'second');
});

t.test('topology ops: lo up, bridge, veths created into the peer namespace, ports enslaved, addresses, links up', async (t) => {
  const plan = planCase(seedScenario(), 0, 'lab-x');
  t.same(show(plan.ops), [
    'laptop: ip link set dev lo up',
    'ap: ip link set dev lo up',
    'ap: ip link add name br0 type bridge',
    'laptop: ip link add name wlan0 type veth peer name port0 netns lab-x-c0-ap',
    'laptop: ip link add name wlan1 type veth peer name port1 netns lab-x-c0-ap',
    'laptop: ip addr add 192.0.2.1/24 dev wlan0',
    'laptop: ip addr add 192.0.2.2/24 dev wlan1',
    'laptop: ip link set dev wlan0 up',
    'laptop: ip link set dev wlan1 up',
    'ap: ip link set dev port0 master br0',
    'ap: ip link set dev port1 master br0',
    'ap: ip link set dev br0 up',
    'ap: ip link set dev port0 up',
    'ap: ip link set dev port1 up',
  ]);
});

t.test('a cable between two NICs of one node needs no peer namespace', async (t) => {
  const s = seedScenario();
  s.nodes = [{ name: 'pc' }];
  s.links = [{ kind: 'veth', ends: [{ node: 'pc', dev: 'eth0' }, { node: 'pc', dev: 'eth1' }] }];
  s.addresses = [];
  t.ok(show(planCase(s, 0, 'lab-x').ops).includes('pc: ip link add name eth0 type veth peer name eth1'));
});

t.test('recipe ops follow the topology, case sysctls come last', async (t) => {
  const c = seedCase({
    recipes: [{ name: 'accept-local', params: { node: 'laptop', out: 'wlan0', in: 'wlan1', both: false, accept_local: 1, rp_filter: 2 }, loc: { line: 1, col: 1 } }],
    sysctls: [{ node: 'laptop', key: 'net.ipv4.conf.all.rp_filter', value: '1' }],
  });
  const ops = show(planCase(seedScenario([c]), 0, 'lab-x').ops);
  const route = ops.indexOf('laptop: ip route add 192.0.2.2/32 dev wlan0 src 192.0.2.1 table 100');
  t.ok(route > ops.indexOf('ap: ip link set dev port1 up'), 'after the topology');
  t.equal(ops[ops.length - 1], 'laptop: sysctl -q -w net.ipv4.conf.all.rp_filter=1');
  t.ok(ops.indexOf('laptop: sysctl -q -w net.ipv4.conf.all.rp_filter=2') < ops.length - 1, 'the case sysctl overrides the recipe');
});

t.test('probes get unique ports, skipping ports the scenario names, and a receiver node', async (t) => {
  const base = seedCase().probes[0];
  if (!base) throw new Error('fixture');
  const c = seedCase({
    probes: [
      base,
      { ...base, to: { address: '192.0.2.2', port: FIRST_PROBE_PORT + 1 } },
      { ...base, to: { address: '203.0.113.9' } },
    ],
  });
  const probes = planCase(seedScenario([c]), 0, 'lab-x').probes;
  t.same(probes.map((p) => p.port), [FIRST_PROBE_PORT, FIRST_PROBE_PORT + 1, FIRST_PROBE_PORT + 2]);
  t.same(probes.map((p) => p.receiverNode), ['laptop', 'laptop', undefined]);
  t.equal(new Set(probes.map((p) => p.marker)).size, 3);
  t.match(probes[0]?.marker, /lab-x/);
});

t.test('the topology lists every device with its peer and master', async (t) => {
  const topo = planCase(seedScenario(), 0, 'lab-x').topology;
  t.same(topo.nodes, ['laptop', 'ap']);
  t.same(topo.devices.map((d) => `${d.node}:${d.dev}`), ['laptop:lo', 'laptop:wlan0', 'laptop:wlan1', 'ap:lo', 'ap:br0', 'ap:port0', 'ap:port1']);
  t.same(topo.devices.find((d) => d.dev === 'port1'), { node: 'ap', dev: 'port1', kind: 'veth', peer: { node: 'laptop', dev: 'wlan1' }, master: 'br0' });
});
