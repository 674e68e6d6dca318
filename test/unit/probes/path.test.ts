import t from 'tap';
import type { Topology } from '../../../src/types/plan.js';
import { derivePath } from '../../../src/probes/path.js';
import type { DeviceCount } from '../../../src/types/observation.js';

// laptop with wlan0/wlan1 cabled to ap ports enslaved to br0 (the seed topology).
const seed: Topology = {
  nodes: ['laptop', 'ap'],
  devices: [
    { node: 'laptop', dev: 'lo', kind: 'loopback' },
    { node: 'laptop', dev: 'wlan0', kind: 'veth', peer: { node: 'ap', dev: 'port0' } },
    { node: 'laptop', dev: 'wlan1', kind: 'veth', peer: { node: 'ap', dev: 'port1' } },
    { node: 'ap', dev: 'lo', kind: 'loopback' },
    { node: 'ap', dev: 'br0', kind: 'bridge' },
    { node: 'ap', dev: 'port0', kind: 'veth', peer: { node: 'laptop', dev: 'wlan0' }, master: 'br0' },
    { node: 'ap', dev: 'port1', kind: 'veth', peer: { node: 'laptop', dev: 'wlan1' }, master: 'br0' },
  ],
};

const counts = (entries: Record<string, Partial<DeviceCount>>): Map<string, DeviceCount> =>
  new Map(Object.entries(entries).map(([k, v]) => [k, { tx: v.tx ?? 0, rx: v.rx ?? 0 }]));

t.test('a datagram looped through lo is one passage of lo', async (t) => {
  t.same(derivePath(seed, counts({ 'laptop:lo': { tx: 1, rx: 1 } }), 'laptop'), ['laptop:lo']);
});

t.test('over the wire: wlan0, the bridge ports, wlan1, in travel order', async (t) => {
  // Deliberately listed out of order: the order must come from the wiring, not the map.
  const c = counts({
    'laptop:wlan1': { rx: 1 },
    'ap:port1': { tx: 1 },
    'ap:port0': { rx: 1 },
    'laptop:wlan0': { tx: 1 },
  });
  t.same(derivePath(seed, c, 'laptop'), ['laptop:wlan0', 'ap:port0', 'ap:port1', 'laptop:wlan1']);
});

t.test('the reverse direction starts from wlan1', async (t) => {
  const c = counts({ 'laptop:wlan1': { tx: 1 }, 'ap:port1': { rx: 1 }, 'ap:port0': { tx: 1 }, 'laptop:wlan0': { rx: 1 } });
  t.same(derivePath(seed, c, 'laptop'), ['laptop:wlan1', 'ap:port1', 'ap:port0', 'laptop:wlan0']);
});

t.test('nothing counted, empty path', async (t) => {
  t.same(derivePath(seed, counts({}), 'laptop'), []);
});

t.test('a datagram that stopped on a bridge port ends there', async (t) => {
  const c = counts({ 'laptop:wlan0': { tx: 1 }, 'ap:port0': { rx: 1 } });
  t.same(derivePath(seed, c, 'laptop'), ['laptop:wlan0', 'ap:port0']);
});

t.test('a bridge port delivering up to the bridge device', async (t) => {
  const c = counts({ 'laptop:wlan0': { tx: 1 }, 'ap:port0': { rx: 1 }, 'ap:br0': { rx: 1 } });
  t.same(derivePath(seed, c, 'laptop'), ['laptop:wlan0', 'ap:port0', 'ap:br0']);
});

t.test('devices seen but not reachable from the sender are still reported, after the rest', async (t) => {
  const c = counts({ 'ap:lo': { tx: 1, rx: 1 }, 'laptop:wlan0': { tx: 1 } });
  t.same(derivePath(seed, c, 'laptop'), ['laptop:wlan0', 'ap:lo']);
});

t.test('a router forwards from its ingress device to another of its devices', async (t) => {
  const routed: Topology = {
    nodes: ['a', 'r', 'b'],
    devices: [
      { node: 'a', dev: 'eth0', kind: 'veth', peer: { node: 'r', dev: 'left' } },
      { node: 'r', dev: 'lo', kind: 'loopback' },
      { node: 'r', dev: 'left', kind: 'veth', peer: { node: 'a', dev: 'eth0' } },
      { node: 'r', dev: 'right', kind: 'veth', peer: { node: 'b', dev: 'eth0' } },
      { node: 'b', dev: 'eth0', kind: 'veth', peer: { node: 'r', dev: 'right' } },
    ],
  };
  const c = counts({ 'b:eth0': { rx: 1 }, 'r:right': { tx: 1 }, 'r:left': { rx: 1 }, 'a:eth0': { tx: 1 } });
  t.same(derivePath(routed, c, 'a'), ['a:eth0', 'r:left', 'r:right', 'b:eth0']);
});
