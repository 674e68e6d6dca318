// `devices:` of a node: what loads, and every problem at once with file:line:col.
import t from 'tap';
import { parseScenario } from '../../../src/recipes/scenario.js';
import { FILE, problemsOf, text } from './fixtures/helpers.js';

const CASE = ['cases:', '  - name: c', '    probes: [ { udp: { from: h1:192.0.2.1, to: 192.0.2.2 } } ]'];

t.test('created devices and attributes load; created devices and lo take addresses', async (t) => {
  const s = parseScenario(text(
    'name: ok',
    'nodes:',
    '  h1:',
    '    bridge: br0',
    '    devices:',
    '      mv0: { type: macvlan, link: eth0, mode: bridge }',
    '      vx0: { type: vxlan, id: 42, local: 192.0.2.1, remote: 192.0.2.2, dev: eth0 }',
    '      br1: { type: bridge, vlan_filtering: true }',
    '      eth1: { master: br1, vlans: [ { vid: 10, pvid: true, untagged: true }, { vid: 20 } ] }',
    '      eth0: { master: none, mtu: 1400, mac: "02:00:00:00:00:0A", up: false }',
    '  h2: {}',
    'links:',
    '  - [h1:eth0, h2:eth0]',
    '  - [h1:eth1, h2:eth1]',
    'addresses:',
    '  h1:eth0: 192.0.2.1/24',
    '  h1:mv0: [198.51.100.1/24, 198.51.100.9/24]',
    '  h1:lo: [203.0.113.1/32, 203.0.113.2/32]',
    ...CASE,
    '    probes: [ { udp: { from: h1:192.0.2.1, to: 192.0.2.2, dev: vx0 } } ]',
  ).replace("    probes: [ { udp: { from: h1:192.0.2.1, to: 192.0.2.2 } } ]\n", ''), FILE);
  const h1 = s.nodes.find((n) => n.name === 'h1');
  t.same(h1?.devices?.map((d) => ({ ...d, loc: undefined })), [
    { name: 'mv0', type: 'macvlan', link: 'eth0', mode: 'bridge', loc: undefined },
    { name: 'vx0', type: 'vxlan', id: 42, local: '192.0.2.1', remote: '192.0.2.2', dev: 'eth0', loc: undefined },
    { name: 'br1', type: 'bridge', vlanFiltering: true, loc: undefined },
    { name: 'eth1', master: 'br1', vlans: [{ vid: 10, pvid: true, untagged: true }, { vid: 20, pvid: false, untagged: false }], loc: undefined },
    { name: 'eth0', mtu: 1400, mac: '02:00:00:00:00:0a', up: false, master: 'none', loc: undefined },
  ]);
  t.same(h1?.devices?.[0]?.loc, { line: 6, col: 7 });
  t.same(s.addresses.filter((a) => a.ref.dev !== 'eth0').map((a) => `${a.ref.dev} ${a.cidr}`),
    ['mv0 198.51.100.1/24', 'mv0 198.51.100.9/24', 'lo 203.0.113.1/32', 'lo 203.0.113.2/32']);
});

t.test('every problem of devices: at once, each at its line and column', async (t) => {
  const problems = problemsOf(text(
    'name: bad',                                                                       // 1
    'nodes:',
    '  h1:',
    '    bridge: br0',
    '    devices:',                                                                    // 5
    '      x0: { type: tunnel }',
    '      mv0: { type: macvlan }',
    '      vl0: { type: vlan, link: eth9, id: 5000 }',
    '      eth0: { type: dummy }',
    '      eth1: { mac: "01:00:00:00:00:01", mtu: 10 }',                               // 10
    '      eth2: { mac: "zz", master: nosuch }',
    '      vx0: { type: vxlan, id: 20000000, remote: 192.0.2.9, group: 239.1.1.1, mode: bridge }',
    '      ghost: { mtu: 1400 }',
    '      eth3: { master: none, vlans: [ { vid: 10, pvid: true }, { vid: 10, pvid: true } ] }',
    '      a1: { type: macvlan, link: a2 }',                                            // 15
    '      a2: { type: macvlan, link: a1 }',
    '      eth4: { master: br0, vlans: [ { vid: 4095 } ] }',
    '  h2: {}',
    'links:',
    '  - [h1:eth0, h2:eth0]',                                                          // 20
    '  - [h1:eth1, h2:eth1]',
    '  - [h1:eth2, h2:eth2]',
    '  - [h1:eth3, h2:eth3]',
    '  - [h1:eth4, h2:eth4]',
    'addresses:',                                                                      // 25
    '  h1:mv0: 192.0.2.1/24',
    '  h1:nope: 192.0.2.5/24',
    ...CASE,
  ));
  t.same(problems.map((p) => `${p.line}:${p.col} ${p.path}: ${p.message}`), [
    '6:19 nodes.h1.devices.x0.type: type must be one of: dummy, macvlan, vxlan, vlan, bridge',
    '7:12 nodes.h1.devices.mv0: a macvlan needs link: the lower device it sits on (e.g. link: eth0)',
    '8:32 nodes.h1.devices.vl0.link: h1:eth9 is not a device of h1 (it has: a1, a2, br0, eth0, eth1, eth2, eth3, eth4, lo, mv0, vl0, vx0, x0)',
    '8:42 nodes.h1.devices.vl0.id: a VLAN id is 0 to 4094 (got 5000)',
    '10:20 nodes.h1.devices.eth1.mac: 01:00:00:00:00:01 is a multicast address; a device\'s own address must be unicast',
    '10:46 nodes.h1.devices.eth1.mtu: an MTU is a whole number of bytes from 68 to 65535',
    '11:20 nodes.h1.devices.eth2.mac: "zz" is not a MAC address; write six hex octets, e.g. "02:00:00:00:00:01"',
    // The entry's malformed mac does not hide its master: (it used to, before all fields were read one by one).
    '11:34 nodes.h1.devices.eth2.master: master: nosuch is not a bridge of h1 (its bridges: br0)',
    '12:12 nodes.h1.devices.vx0: a vxlan with a multicast group needs dev: the device to join it on',
    '12:31 nodes.h1.devices.vx0.id: a VNI is 0 to 16777215 (24 bits; got 20000000)',
    '12:67 nodes.h1.devices.vx0.group: a vxlan has remote: (unicast) or group: (multicast), not both',
    '12:78 nodes.h1.devices.vx0.mode: mode: applies to type macvlan only (vx0 is a vxlan)',
    '13:7 nodes.h1.devices.ghost: h1:ghost is not a device of h1 (it has: a1, a2, br0, eth0, eth1, eth2, eth3, eth4, lo, mv0, vl0, vx0, x0); ' +
      'to create it, give it a type (dummy, macvlan, vxlan, vlan, bridge)',
    '14:36 nodes.h1.devices.eth3.vlans: vlans: are a bridge port\'s VLANs; eth3 is not enslaved to a bridge (give it master: BRIDGE)',
    '14:70 nodes.h1.devices.eth3.vlans.1.vid: VLAN 10 is listed twice',
    '14:80 nodes.h1.devices.eth3.vlans.1.pvid: a port has at most one pvid VLAN',
    '15:11 nodes.h1.devices.a1: these devices sit on each other in a circle: a1 → a2 → a1',
    '17:44 nodes.h1.devices.eth4.vlans.0.vid: a VLAN id is a whole number from 1 to 4094',
    '20:6 links.0.0: h1:eth0 is created under nodes.h1.devices.eth0; each device is defined once',
    '27:3 addresses.h1:nope: h1:nope is not a device of h1 (it has: a1, a2, br0, eth0, eth1, eth2, eth3, eth4, lo, mv0, vl0, vx0, x0)',
  ]);
});

t.test('master: names a bridge of the node; a created device counts for probes\' dev', async (t) => {
  const problems = problemsOf(text(
    'name: masters',
    'nodes:',
    '  h1:',
    '    devices:',
    '      eth0: { master: nosuch }',                                                  // 5
    '      dum0: { type: dummy }',
    '  h2: { devices: { eth0: { master: none } } }',
    'links:',
    '  - [h1:eth0, h2:eth0]',
    'addresses:',                                                                      // 10
    '  h1:dum0: 192.0.2.1/24',
    'cases:',
    '  - name: c',
    '    probes: [ { udp: { from: h1:192.0.2.1, to: 192.0.2.2, dev: dum0 } } ]',
    '  - name: d',                                                                     // 15
    '    probes: [ { udp: { from: h1:192.0.2.1, to: 192.0.2.2, dev: dum1 } } ]',
  ));
  t.same(problems.map((p) => `${p.line} ${p.message}`), [
    '5 master: nosuch is not a bridge of h1 (it has none; create one with type: bridge)',
    '7 master: none keeps a port out of the node\'s bridge, but h2 has no bridge:',
    '16 h1:dum1 is not a device of h1 (it has: dum0, eth0, lo)',
  ]);
});

t.test('a macvlan on a bridge port is refused, as the kernel does (EBUSY)', async (t) => {
  const problems = problemsOf(text(
    'name: busy',
    'nodes:',
    '  h1:',
    '    bridge: br0',
    '    devices:',                                                                     // 5
    '      mv0: { type: macvlan, link: eth0 }',
    '      mv1: { type: macvlan, link: eth1 }',
    '      mv2: { type: macvlan, link: br0 }',
    '      eth1: { master: none }',
    '  h2: {}',                                                                         // 10
    'links:',
    '  - [h1:eth0, h2:eth0]',
    '  - [h1:eth1, h2:eth1]',
    'addresses:',
    '  h1:mv1: 192.0.2.1/24',
    ...CASE,
  ));
  t.same(problems.map((p) => `${p.line}:${p.col} ${p.message}`), [
    '6:35 eth0 is a port of br0; the kernel refuses a macvlan on a bridge port (Device or resource busy): ' +
      'give the port master: none, or put the macvlan on the bridge',
  ]);
});
