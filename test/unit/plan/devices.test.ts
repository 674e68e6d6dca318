// `devices:` as plan data: ops in order with the kernel feature each needs, the topology the
// observers hook, the path through macvlan and vxlan, and device names that are ip keywords.
import fc from 'fast-check';
import t from 'tap';
import { parseScenario } from '../../../src/model/load.js';
import { batchSteps, ipBatchInput } from '../../../src/plan/batch.js';
import { planCase } from '../../../src/plan/plan.js';
import { derivePath } from '../../../src/probes/path.js';
import type { DeviceCount } from '../../../src/types/observation.js';
import { FILE, text } from '../model/fixtures/helpers.js';

const SCENARIO = text(
  'name: devs',
  'nodes:',
  '  h1:',
  '    bridge: br0',
  '    devices:',
  '      mv0: { type: macvlan, link: eth0, mode: bridge }',
  '      vx0: { type: vxlan, id: 42, local: 192.0.2.1, remote: 192.0.2.2, dev: eth0 }',
  '      br1: { type: bridge, vlan_filtering: true }',
  '      eth1: { master: br1, vlans: [ { vid: 10, pvid: true, untagged: true } ] }',
  '      eth0: { master: none, mtu: 1400, mac: "02:00:00:00:00:01" }',
  '      eth2: { up: false }',
  '      dum0: { type: dummy }',
  '      v10: { type: vlan, link: mv0, id: 10 }',
  '  h2: { devices: { vx0: { type: vxlan, id: 42, local: 192.0.2.2, remote: 192.0.2.1, dev: eth0 } } }',
  'links:',
  '  - [h1:eth0, h2:eth0]',
  '  - [h1:eth1, h2:eth1]',
  '  - [h1:eth2, h2:eth2]',
  'addresses:',
  '  h1:mv0: 198.51.100.1/24',
  'cases:',
  '  - name: c',
  '    probes: [ { udp: { from: h1:198.51.100.1, to: 198.51.100.2 } } ]',
);

t.test('devices: created after what they sit on, attributes, enslaving, port VLANs, then addresses and up', async (t) => {
  const plan = planCase(parseScenario(SCENARIO, FILE), 0, 'lab-x');
  const h1 = plan.ops.filter((o) => o.node === 'h1').map((o) => `${o.argv.join(' ')}${o.requires ? ` [${o.requires}]` : ''}`);
  t.same(h1, [
    'ip link set dev lo up',
    'ip link add name br0 type bridge',
    'ip link add name eth0 type veth peer name eth0 netns lab-x-c0-h2',
    'ip link add name eth1 type veth peer name eth1 netns lab-x-c0-h2',
    'ip link add name eth2 type veth peer name eth2 netns lab-x-c0-h2',
    'ip link add link eth0 name mv0 type macvlan mode bridge [macvlan (CONFIG_MACVLAN)]',
    'ip link add name vx0 type vxlan id 42 local 192.0.2.1 remote 192.0.2.2 dev eth0 dstport 4789 [vxlan (CONFIG_VXLAN)]',
    'ip link add name br1 type bridge vlan_filtering 1 [bridge vlan filtering (CONFIG_BRIDGE_VLAN_FILTERING)]',
    'ip link add name dum0 type dummy [dummy (CONFIG_DUMMY)]',
    'ip link add link mv0 name v10 type vlan id 10 [8021q (CONFIG_VLAN_8021Q)]',
    'ip link set dev eth0 mtu 1400',
    'ip link set dev eth0 address 02:00:00:00:00:01',
    'ip link set dev eth1 master br1',
    'ip link set dev eth2 master br0',
    'bridge vlan add dev eth1 vid 10 pvid untagged [bridge vlan filtering (CONFIG_BRIDGE_VLAN_FILTERING)]',
    'bridge vlan del dev eth1 vid 1 [bridge vlan filtering (CONFIG_BRIDGE_VLAN_FILTERING)]',
    'ip addr add 198.51.100.1/24 dev mv0',
    'ip link set dev br0 up',
    'ip link set dev eth0 up',
    'ip link set dev eth1 up',
    'ip link set dev mv0 up',
    'ip link set dev vx0 up',
    'ip link set dev br1 up',
    'ip link set dev dum0 up',
    'ip link set dev v10 up',
  ], 'eth0 (master: none) is not enslaved, eth2 (up: false) stays down, v10 comes after mv0');
  const devices = plan.topology.devices.filter((d) => d.node === 'h1').map((d) => [d.dev, d.kind, d.master ?? '', d.lower ?? '', d.vni ?? '']);
  t.same(devices, [
    ['lo', 'loopback', '', '', ''],
    ['br0', 'bridge', '', '', ''],
    ['eth0', 'veth', '', '', ''],
    ['eth1', 'veth', 'br1', '', ''],
    ['eth2', 'veth', 'br0', '', ''],
    ['mv0', 'macvlan', '', 'eth0', ''],
    ['vx0', 'vxlan', '', 'eth0', 42],
    ['br1', 'bridge', '', '', ''],
    ['dum0', 'dummy', '', '', ''],
    ['v10', 'vlan', '', 'mv0', ''],
  ], 'the observers hook every created device');
});

const counts = (entries: Record<string, Partial<DeviceCount>>): Map<string, DeviceCount> =>
  new Map(Object.entries(entries).map(([k, v]) => [k, { tx: v.tx ?? 0, rx: v.rx ?? 0 }]));

t.test('paths through a macvlan and a vxlan, as the netdev hooks counted them by hand', async (t) => {
  const topology = planCase(parseScenario(SCENARIO, FILE), 0, 'lab-x').topology;
  // Sent from mv0: mv0 egress, then its lower eth0's egress, then the peer's ingress.
  t.same(derivePath(topology, counts({ 'h2:eth0': { rx: 1 }, 'h1:eth0': { tx: 1 }, 'h1:mv0': { tx: 1 } }), 'h1'),
    ['h1:mv0', 'h1:eth0', 'h2:eth0']);
  // Received for mv0: eth0's ingress, then mv0's.
  t.same(derivePath(topology, counts({ 'h1:mv0': { rx: 1 }, 'h1:eth0': { rx: 1 }, 'h2:eth0': { tx: 1 } }), 'h2'),
    ['h2:eth0', 'h1:eth0', 'h1:mv0']);
  // vxlan: the inner datagram is seen on the two vxlan devices only (the underlay carries UDP 4789).
  t.same(derivePath(topology, counts({ 'h2:vx0': { rx: 1 }, 'h1:vx0': { tx: 1 } }), 'h1'), ['h1:vx0', 'h2:vx0']);
  // vlan (counted in a VM, Debian 6.1): the vlan's egress and its lower's, the lower's ingress and the vlan's.
  const vlanTopology = {
    nodes: ['h1', 'h2'],
    devices: [
      { node: 'h1', dev: 'eth0', kind: 'veth' as const, peer: { node: 'h2', dev: 'eth0' } },
      { node: 'h1', dev: 'eth0.10', kind: 'vlan' as const, lower: 'eth0' },
      { node: 'h2', dev: 'eth0', kind: 'veth' as const, peer: { node: 'h1', dev: 'eth0' } },
      { node: 'h2', dev: 'eth0.10', kind: 'vlan' as const, lower: 'eth0' },
    ],
  };
  t.same(derivePath(vlanTopology, counts({ 'h1:eth0': { tx: 1 }, 'h1:eth0.10': { tx: 1 }, 'h2:eth0': { rx: 1 }, 'h2:eth0.10': { rx: 1 } }), 'h1'),
    ['h1:eth0.10', 'h1:eth0', 'h2:eth0', 'h2:eth0.10']);
  // Negative control: without the macvlan's lower in the model, the order is not derived.
  const flat = { ...topology, devices: topology.devices.map((d) => (d.kind === 'macvlan' ? { ...d, lower: 'none' } : d)) };
  t.not(derivePath(flat, counts({ 'h2:eth0': { rx: 1 }, 'h1:eth0': { tx: 1 }, 'h1:mv0': { tx: 1 } }), 'h1')[0], 'h1:mv0');
});

/** Words iproute2 reads as keywords where a device name could stand. */
export const IP_KEYWORDS = [
  'a', 'b', 'l', 'd', 'up', 'down', 'mtu', 'help', 'dev', 'name', 'type', 'master', 'nomaster', 'link', 'peer',
  'netns', 'address', 'add', 'del', 'set', 'show', 'list', 'vrf', 'alias', 'group', 'index', 'ls', 'br', 'p',
];

const kwScenario = ([a, b, c, d, br]: string[], node: string) => parseScenario(text(
  'name: kw',
  'nodes:',
  `  ${node}: { bridge: ${br} }`,
  '  h: {}',
  'links:',
  `  - [h:${a}, ${node}:${b}]`,
  `  - [h:${c}, ${node}:${d}]`,
  'addresses:',
  `  h:${a}: 192.0.2.1/24`,
  `  h:${c}: 192.0.2.2/24`,
  'cases:',
  '  - name: c',
  '    probes: [ { udp: { from: h:192.0.2.1, to: 192.0.2.2 } } ]',
), FILE);

t.test('property: every topology ip argv introduces a device name with name/dev/master/link, whatever ip keyword it is', async (t) => {
  // The same topology with names that are no keyword (x0..x4, node nx) shows where device names sit;
  // with keywords, the argv must be that one with the names swapped in.
  const safe = ['x0', 'x1', 'x2', 'x3', 'x4'];
  const reference = planCase(kwScenario(safe, 'nx'), 0, 'lab-x').ops;
  for (const op of reference) {
    op.argv.forEach((token, i) => {
      if (safe.includes(token)) t.ok(['name', 'dev', 'master', 'link'].includes(op.argv[i - 1] ?? ''), `${token} in ${op.argv.join(' ')}`);
    });
  }
  const names = fc.uniqueArray(fc.constantFrom(...IP_KEYWORDS), { minLength: 5, maxLength: 5 });
  fc.assert(fc.property(names, fc.constantFrom(...IP_KEYWORDS), (kw, node) => {
    const swap = (token: string): string => {
      const i = safe.indexOf(token);
      return i >= 0 ? (kw[i] as string) : token.replace(/-nx$/, `-${node}`);
    };
    const ops = planCase(kwScenario(kw, node), 0, 'lab-x').ops;
    const expected = reference.map((o) => `${o.node === 'nx' ? node : o.node}: ${o.argv.map(swap).join(' ')}`);
    const actual = ops.map((o) => `${o.node}: ${o.argv.join(' ')}`);
    if (JSON.stringify(actual) !== JSON.stringify(expected)) throw new Error(`${actual.join('\n')}\n!=\n${expected.join('\n')}`);
    const input = ipBatchInput(batchSteps(ops).flatMap((st) => (st.kind === 'ip-batch' ? st.ops : [])));
    if (!input.includes(`link set dev ${kw[0]} up`)) throw new Error(`no "link set dev ${kw[0]} up" in ${input}`);
  }), { numRuns: 200 });
});
