// A malformed entry (a wrong type, an unknown key) is reported at its key and left out of the
// later checks, while every other entry still gets its own: one run of `lab validate` shows every
// problem, and none is a follow-on of the dropped entry (issue 14 item 6).
import t from 'tap';
import { FILE, problemsOf, text, withCases } from './fixtures/helpers.js';

/** `LINE:COL PATH: MESSAGE`, the way lab validate prints it (without the file). */
const lines = (source: string): string[] => problemsOf(source).map((p) => `${p.line}:${p.col} ${p.path}: ${p.message}`);

const ONE_CASE = ['cases:', '  - name: c', '    probes: [ { udp: { from: h1:192.0.2.1, to: 192.0.2.2 } } ]'];

t.test('devices: a malformed entry keeps what the rest of the node is checked against', async (t) => {
  t.strictSame(lines(text(
    'name: devs',                                                       // 1
    'nodes:',
    '  h1:',
    '    devices:',
    '      br1: { type: bridge, vlan_filtering: yes please }',          // 5: still a bridge
    '      eth0: { master: br1 }',
    '      mv0: { type: macvlan, link: 5 }',                            // link given, malformed: not "needs link"
    '      vl0: { type: vlan, link: eth0, id: ten }',                   // id given, malformed: not "needs id"
    '      eht1: { mtu: 1400, colour: red }',                           // an unknown key: still not a device
    '      x0: { type: 5, link: eth0 }',                                // 10: a type: key creates it
    '      odd: 7',
    '      eth2: { master: odd, mac: "zz" }',                           // odd may be a bridge: not questioned
    '  h2: {}',
    'links:',
    '  - [h1:eth0, h2:eth0]',                                           // 15
    '  - [h1:eth2, h2:eth2]',
    'addresses:',
    '  h1:eth0: 192.0.2.1/24',
    '  h1:x0: 198.51.100.1/24',                                         // x0 exists
    '  h1:odd: 198.51.100.2/24',                                        // 20: odd may exist
    '  h1:eth5: 203.0.113.1/24',                                        // still checked: h1's devices are known
    ...ONE_CASE,
  )), [
    '5:44 nodes.h1.devices.br1.vlan_filtering: must be true or false, not the text "yes please"',
    '7:35 nodes.h1.devices.mv0.link: must be text, not the number 5',
    '8:42 nodes.h1.devices.vl0.id: id must be a whole number',
    '9:7 nodes.h1.devices.eht1: h1:eht1 is not a device of h1 (it has: br1, eth0, eth2, lo, mv0, vl0, x0); ' +
      'to create it, give it a type (dummy, macvlan, vxlan, vlan, bridge)',
    '9:26 nodes.h1.devices.eht1.colour: unknown key "colour" (allowed here: type, link, mode, id, local, remote, group, dev, ' +
      'dstport, vlan_filtering, mtu, mac, up, master, vlans)',
    '10:19 nodes.h1.devices.x0.type: type must be one of: dummy, macvlan, vxlan, vlan, bridge',
    '11:12 nodes.h1.devices.odd: must be a mapping (key: value), not the number 7',
    '12:33 nodes.h1.devices.eth2.mac: "zz" is not a MAC address; write six hex octets, e.g. "02:00:00:00:00:01"',
    '21:3 addresses.h1:eth5: h1:eth5 is not a device of h1 (it has: br1, eth0, eth2, lo, mv0, vl0, x0)',
  ]);
});

t.test('devices: the other fields of a malformed entry are still checked', async (t) => {
  t.strictSame(lines(text(
    'name: devs',
    'nodes:',
    '  h1:',
    '    devices:',
    '      eth0: { mtu: 10, master: nosuch }',                           // 5
    '      mv0: { type: macvlan, link: eth9, mode: fast }',
    'links: [[h1:eth0, h2:eth0]]',
    'addresses: { h1:eth0: 192.0.2.1/24 }',
    ...ONE_CASE,
  ).replace('nodes:\n', 'nodes:\n  h2: {}\n')), [
    '6:20 nodes.h1.devices.eth0.mtu: an MTU is a whole number of bytes from 68 to 65535',
    '6:32 nodes.h1.devices.eth0.master: master: nosuch is not a bridge of h1 (it has none; create one with type: bridge)',
    '7:35 nodes.h1.devices.mv0.link: h1:eth9 is not a device of h1 (it has: eth0, lo, mv0)',
    '7:47 nodes.h1.devices.mv0.mode: a macvlan mode is one of: private, vepa, bridge, passthru, source',
  ]);
});

t.test('routes and rules: a malformed entry leaves the others and the cases checked', async (t) => {
  t.strictSame(lines(text(
    'name: routing',
    'nodes:',
    '  h1:',
    '    routes:',
    '      - { to: 198.51.100.0/24, via: 192.0.2.254, metrik: 5 }',      // 5
    '      - { to: 203.0.113.0/24, via: 203.0.113.1 }',
    '      - { to: 203.0.113.0/25, dev: eth9 }',
    '    rules:',
    '      - { from: 192.0.2.0/24, lookup: wan, pref: first }',
    '      - { from: 192.0.2.0/24, lookup: lan }',                       // 10
    '      - { from: 192.0.2.1 }',
    '  h2: {}',
    'links: [[h1:eth0, h2:eth0]]',
    'addresses: { h1:eth0: 192.0.2.1/24 }',
    'cases:',                                                            // 15
    '  - name: c',
    '    nodes:',
    '      h1: { routes: [ { to: default, via: 192.0.2.254, wieght: 1 }, { to: default, via: 198.51.100.1 } ] }',
    '    probes: [ { udp: { from: h1:192.0.2.1, to: 192.0.2.2, dev: eth7 } } ]',
  )), [
    '5:50 nodes.h1.routes.0.metrik: unknown key "metrik" (allowed here: to, via, dev, src, table, metric, mtu, type, onlink, nexthops, family)',
    '6:36 nodes.h1.routes.1.via: via 203.0.113.1 is not in the subnet of any address of h1 (its addresses: 192.0.2.1/24 on eth0); ' +
      'the gateway must be directly reachable, or say onlink: true',
    '7:36 nodes.h1.routes.2.dev: h1:eth9 is not a device of h1 (it has: eth0, lo)',
    '9:50 nodes.h1.rules.0.pref: must be a number, not the text "first"',
    '10:39 nodes.h1.rules.1.lookup: unknown table "lan" (known tables: main, local, default); define it under tables: { lan: NUMBER }',
    '11:9 nodes.h1.rules.2: a rule needs an action: lookup TABLE, goto PREF, or action: blackhole|unreachable|prohibit',
    '18:56 cases.0.nodes.h1.routes.0.wieght: unknown key "wieght" (allowed here: to, via, dev, src, table, metric, mtu, type, onlink, nexthops, family)',
    '18:89 cases.0.nodes.h1.routes.1.via: via 198.51.100.1 is not in the subnet of any address of h1 (its addresses: 192.0.2.1/24 on eth0); ' +
      'the gateway must be directly reachable, or say onlink: true',
    '19:64 cases.0.probes.0.udp.dev: h1:eth7 is not a device of h1 (it has: eth0, lo)',
  ]);
});

t.test('tables: a malformed entry is a table still; the other names are checked', async (t) => {
  t.strictSame(lines(text(
    'name: tables',
    'nodes: { h1: { rules: [ { from: 192.0.2.1, lookup: wan }, { from: 192.0.2.1, lookup: lan }, { to: 192.0.2.9, lookup: dmz } ] }, h2: {} }',
    'links: [[h1:eth0, h2:eth0]]',
    'addresses: { h1:eth0: 192.0.2.1/24 }',
    'tables: { wan: 100, lan: many }',                                   // 5
    'cases:',
    '  - name: c',
    '    probes:',
    '      - udp: { from: h1:192.0.2.1, to: 192.0.2.2 }',
    '        expect: { route: { table: lan }, delivered: perhaps }',     // 10
    '      - udp: { from: h1:192.0.2.1, to: 192.0.2.2 }',
    '        expect: { route: { table: wlan }, delivered: perhaps }',
  )), [
    '2:118 nodes.h1.rules.2.lookup: unknown table "dmz" (known tables: wan, main, local, default); define it under tables: { dmz: NUMBER }',
    '5:26 tables.lan: a table is a number from 1 to 4294967295, or a name from tables: (main, local and default are always known)',
    '10:53 cases.0.probes.0.expect.delivered: must be true or false, not the text "perhaps"',
    '12:35 cases.0.probes.1.expect.route.table: unknown table "wlan" (known: default, main, local, wan, or a number)',
    '12:54 cases.0.probes.1.expect.delivered: must be true or false, not the text "perhaps"',
  ]);
});

t.test('tables: not a mapping at all: no table name is questioned', async (t) => {
  t.strictSame(lines(text(
    'name: tables',
    'nodes: { h1: { rules: [ { from: 192.0.2.1, lookup: wan } ] }, h2: {} }',
    'links: [[h1:eth0, h2:eth0]]',
    'addresses: { h1:eth0: 192.0.2.1/24 }',
    'tables: [wan]',                                                     // 5
    'cases:',
    '  - name: c',
    '    probes:',
    '      - udp: { from: h1:192.0.2.1, to: 192.0.2.2 }',
    '        expect: { route: { table: wan } }',                         // 10
  )), ['5:9 tables: must be a mapping (key: value), not a list']);
});

const GW_RECIPE = [
  'recipes:',
  '  gw:',
  '    params: { via: { default: 192.0.2.254 } }',
  '    nodes:',
  '      laptop: { routes: [ { to: default, via: "${via}" } ], colour: blue }',
];

t.test('recipes: a definition that cannot be read is not an unknown recipe where it is used', async (t) => {
  t.strictSame(lines(withCases(
    '  - name: uses',                                                    // 12
    '    recipe: { gw: { via: 192.0.2.9 }, nosuch: {} }',
    '    matrix:',
    '      gw.via: [192.0.2.7]',                                         // 15
    '    probes: [ { udp: { from: laptop:192.0.2.1, to: 192.0.2.9, dev: wlan9 } } ]',
    ...GW_RECIPE,
  )), [
    '13:39 cases.0.recipe.nosuch: unknown recipe "nosuch" (known recipes: accept-local, accept-local-v6, bind-to-device, ' +
      'netns-split, tc-mirred, arp-hygiene, gw)',
    '16:68 cases.0.probes.0.udp.dev: laptop:wlan9 is not a device of laptop (it has: lo, wlan0, wlan1)',
    '21:61 recipes.gw.nodes.laptop.colour: unknown key "colour" (allowed here: forwarding, sysctl, routes, rules, default-rules, setup)',
  ]);
});

t.test('a case with a malformed part still has its matrix and cells checked', async (t) => {
  t.strictSame(lines(withCases(
    '  - name: c',                                                       // 12
    '    sysctl: { laptop: { net.ipv4.conf.all.rp_filter: [1] } }',
    '    recipe: { accept-local: { node: laptop, out: wlan0, in: wlan1, rp_filter: 7 } }',
    '    matrix:',                                                       // 15
    '      rp: { set: laptop:net.ipv4.conf.all.rp_filter, values: [0, 1] }',
    '      al: { set: accept-local.both, values: [true] }',
    '      bd: { set: bind-to-device.out, values: [wlan0] }',
    '    cells:',
    '      - where: { rp: [2] }',                                        // 20
    '        expect: { via: [laptop:wlan9] }',
    '        probes: { fwd: { delivered: true }, back: { delivered: true }, nope: { delivered: true } }',
    '    probes:',
    '      - name: fwd',
    '        udp: { from: laptop:192.0.2.1, to: 192.0.2.2 }',           // 25
    '      - name: back',
    '        udp: { from: laptop:192.0.2.2, to: 192.0.2.1, ttl: 3 }',
  )), [
    '13:54 cases.0.sysctl.laptop.net.ipv4.conf.all.rp_filter: a sysctl value must be a number, text, or true/false',
    '14:79 cases.0.recipe.accept-local.rp_filter: must be one of 0, 1, 2, not the number 7',
    '18:18 cases.0.matrix.bd.set: "bind-to-device" is not a recipe of this case (its recipes: accept-local); ' +
      'a matrix varies parameters of the recipes under recipe:',
    '20:23 cases.0.cells.0.where.rp.0: rp has no value "2" (its values: 0, 1)',
    '21:25 cases.0.cells.0.expect.via.0: laptop:wlan9 is not a device of laptop (it has: lo, wlan0, wlan1)',
    '22:72 cases.0.cells.0.probes.nope: no probe of the case is named "nope" (its probes: "fwd", "back")',
    '27:55 cases.0.probes.1.udp.ttl: unknown key "ttl" (allowed here: from, to, dev, timeout-ms, tos, dscp, mark, sport, uid, flowlabel, listen)',
  ]);
});

t.test('a probe with no name that cannot be read: the names cells: give are not questioned', async (t) => {
  t.strictSame(lines(withCases(
    '  - name: c',                                                       // 12
    '    cells:',
    '      - where: { kernel: ">=6.1" }',
    '        probes: { "udp 192.0.2.1 → 192.0.2.2": { delivered: true } }', // 15
    '    probes:',
    '      - udp: { from: laptop:192.0.2.1, to: 192.0.2.2, colour: red }',
  )), [
    '17:55 cases.0.probes.0.udp.colour: unknown key "colour" (allowed here: from, to, dev, timeout-ms, tos, dscp, mark, sport, uid, flowlabel, listen)',
  ]);
});

t.test('negative control: with the probe readable, the same cells: name is questioned', async (t) => {
  const problems = lines(withCases(
    '  - name: c',
    '    cells:',
    '      - where: { kernel: ">=6.1" }',
    '        probes: { "udp 192.0.2.1 → 192.0.2.3": { delivered: true } }',
    '    probes:',
    '      - udp: { from: laptop:192.0.2.1, to: 192.0.2.2, colour: red }',
  ).replace(', colour: red', ''));
  t.match(problems, [/^15:\d+ cases\.0\.cells\.0\.probes\.udp 192\.0\.2\.1 → 192\.0\.2\.3: no probe of the case is named/]);
});

t.test('the file name is the one given', async (t) => {
  t.equal(problemsOf(text('name: x', 'nodes: { a: { devices: { e: 5 } } }', 'cases: []'))[0]?.file, FILE);
});

t.test('devices: a misspelt type: key is the one problem of its entry', async (t) => {
  t.strictSame(lines(text(
    'name: typ',
    'nodes:',
    '  h1:',
    '    devices:',
    '      mv0: { typ: macvlan, link: eth0 }',                            // 5: the value is a type
    '      vl0: { kind: x, link: eth0, id: 5 }',                          // keys only a created device takes
    '      eht1: { mtu: 1400, colour: red }',                             // an attribute entry: still no device
    '  h2: {}',
    'links: [[h1:eth0, h2:eth0]]',
    'addresses: { h1:eth0: 192.0.2.1/24, h1:mv0: 198.51.100.1/24, h1:vl0: 198.51.100.2/24 }', // 10
    ...ONE_CASE,
  )), [
    '5:14 nodes.h1.devices.mv0.typ: unknown key "typ" (allowed here: type, link, mode, id, local, remote, group, dev, ' +
      'dstport, vlan_filtering, mtu, mac, up, master, vlans)',
    '6:14 nodes.h1.devices.vl0.kind: unknown key "kind" (allowed here: type, link, mode, id, local, remote, group, dev, ' +
      'dstport, vlan_filtering, mtu, mac, up, master, vlans)',
    '7:7 nodes.h1.devices.eht1: h1:eht1 is not a device of h1 (it has: eth0, lo); ' +
      'to create it, give it a type (dummy, macvlan, vxlan, vlan, bridge)',
    '7:26 nodes.h1.devices.eht1.colour: unknown key "colour" (allowed here: type, link, mode, id, local, remote, group, dev, ' +
      'dstport, vlan_filtering, mtu, mac, up, master, vlans)',
  ]);
});
