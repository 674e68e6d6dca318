// Cases: probe addresses, expectation references, recipes, sysctls, case names.
import t from 'tap';
import { problem, problemsOf, withCases } from './fixtures/helpers.js';

t.test('probe from: node:address of a declared node, assigned to one of its devices; dev is its device', async (t) => {
  t.strictSame(problemsOf(withCases(
    '  - name: sources',                                                     // 12
    '    probes:',
    '      - udp: { from: laptop, to: 192.0.2.2 }',                           // 14
    '      - udp: { from: router:192.0.2.1, to: 192.0.2.2 }',
    '      - udp: { from: laptop:192.0.2.9, to: 192.0.2.2 }',
    '      - udp: { from: laptop:192.0.2.1:53, to: 192.0.2.2 }',
    '      - udp: { from: laptop:192.0.2.1, to: 192.0.2.2, dev: wlan9 }',     // 18
  )), [
    problem(14, 22, 'cases.0.probes.0.udp.from',
      '"laptop" must be written node:address, e.g. laptop:192.0.2.1 or laptop:2001:db8::1'),
    problem(15, 22, 'cases.0.probes.1.udp.from', 'node "router" is not declared (declared nodes: ap, laptop)'),
    problem(16, 22, 'cases.0.probes.2.udp.from', '192.0.2.9 is not assigned to any device of laptop ' +
      '(its addresses: 192.0.2.1 on wlan0, 192.0.2.2 on wlan1, 2001:db8::2 on wlan1)'),
    problem(17, 22, 'cases.0.probes.3.udp.from', '"192.0.2.1:53" is not an IPv4 or IPv6 address ' +
      '(from takes no port or brackets: node:address, e.g. laptop:192.0.2.1 or laptop:2001:db8::1)'),
    problem(18, 60, 'cases.0.probes.4.udp.dev', 'laptop:wlan9 is not a device of laptop (it has: lo, wlan0, wlan1)'),
  ]);
});

t.test('probe to: an address with an optional port 1-65535, brackets around IPv6 with a port', async (t) => {
  t.strictSame(problemsOf(withCases(
    '  - name: targets',                                                           // 12
    '    probes:',
    '      - udp: { from: laptop:192.0.2.1, to: 192.0.2.2:0 }',                     // 14
    '      - udp: { from: laptop:192.0.2.1, to: "[192.0.2.2]:9000" }',
    '      - udp: { from: laptop:2001:db8::2, to: "2001:db8::zz:9000" }',
    '      - udp: { from: laptop:2001:db8::2, to: "[2001:db8::9]:65536" }',
    '      - udp: { from: laptop:192.0.2.1, to: example.org }',                     // 18
  )), [
    problem(14, 44, 'cases.0.probes.0.udp.to', '"192.0.2.2:0": the port must be a number from 1 to 65535'),
    problem(15, 44, 'cases.0.probes.1.udp.to', '"[192.0.2.2]:9000": only IPv6 addresses are written in brackets'),
    problem(16, 46, 'cases.0.probes.2.udp.to',
      '"2001:db8::zz:9000" is not an IPv6 address; an IPv6 address with a port is written [2001:db8::2]:9000'),
    problem(17, 46, 'cases.0.probes.3.udp.to', '"[2001:db8::9]:65536": the port must be a number from 1 to 65535'),
    problem(18, 44, 'cases.0.probes.4.udp.to', '"example.org" is not an IPv4 or IPv6 address'),
  ]);
});

t.test('from and to are of one family', async (t) => {
  t.strictSame(problemsOf(withCases(
    '  - name: mixed',
    '    probes:',
    '      - udp: { from: laptop:2001:db8::2, to: 192.0.2.1 }',
  )), [
    problem(14, 46, 'cases.0.probes.0.udp.to',
      '192.0.2.1 is an IPv4 address but the probe is sent from 2001:db8::2 (IPv6); from and to must be of one family'),
  ]);
});

t.test('expectations name declared nodes and existing devices; lo always exists', async (t) => {
  t.strictSame(problemsOf(withCases(
    '  - name: refs',                                                   // 12
    '    probes:',
    '      - udp: { from: laptop:192.0.2.1, to: 192.0.2.2 }',
    '    expect: { path: [laptop:wlan0, ap:port9], via: [switch:port0], not-via: [laptop:lo, laptop:eth0] }',
  )), [
    problem(15, 36, 'cases.0.expect.path.1', 'ap:port9 is not a device of ap (it has: br0, lo, port0, port1)'),
    problem(15, 53, 'cases.0.expect.via.0', 'node "switch" is not declared (declared nodes: ap, laptop)'),
    problem(15, 89, 'cases.0.expect.not-via.1', 'laptop:eth0 is not a device of laptop (it has: lo, wlan0, wlan1)'),
  ]);
});

t.test('an unknown recipe lists the known ones; recipe.check problems are reported at its parameters', async (t) => {
  t.strictSame(problemsOf(withCases(
    '  - name: recipes',
    '    recipe: { masquerade: {}, accept-local: { node: laptop, out: wlan0, in: wlan9 } }',   // 13
    '    probes:',
    '      - udp: { from: laptop:192.0.2.1, to: 192.0.2.2 }',
  )), [
    problem(13, 15, 'cases.0.recipe.masquerade', 'unknown recipe "masquerade" (known recipes: accept-local, accept-local-v6, bind-to-device, netns-split, tc-mirred, arp-hygiene)'),
    problem(13, 45, 'cases.0.recipe.accept-local', 'in: laptop has no device "wlan9"'),
  ]);
});

t.test("recipe parameters are checked by the recipe's own schema, at their keys", async (t) => {
  t.strictSame(problemsOf(withCases(
    '  - name: params',
    '    recipe: { accept-local: { node: laptop, out: wlan0, rp_filter: 3, both: maybe } }',   // 13
    '    probes:',
    '      - udp: { from: laptop:192.0.2.1, to: 192.0.2.2 }',
  )), [
    problem(13, 29, 'cases.0.recipe.accept-local.in', 'missing required key "in"'),
    problem(13, 68, 'cases.0.recipe.accept-local.rp_filter', 'must be one of 0, 1, 2, not the number 3'),
    problem(13, 77, 'cases.0.recipe.accept-local.both', 'must be true or false, not the text "maybe"'),
  ]);
});

t.test('sysctls: declared nodes, net.ipv4/net.ipv6 keys only, scalar values', async (t) => {
  const refused = (key: string) => `"${key}" cannot be set: only net.ipv4.* and net.ipv6.* keys are allowed, ` +
    "because they belong to the node's own network namespace; other sysctls could change the host itself";
  t.strictSame(problemsOf(withCases(
    '  - name: sysctls',
    '    sysctl:',
    '      router: { net.ipv4.ip_forward: 1 }',                                                    // 14
    '      laptop: { kernel.hostname: evil, net.core.somaxconn: 1, net.ipv4.conf.all.rp_filter: [1] }',
    '    probes:',
    '      - udp: { from: laptop:192.0.2.1, to: 192.0.2.2 }',
  )), [
    problem(14, 7, 'cases.0.sysctl.router', 'node "router" is not declared (declared nodes: ap, laptop)'),
    problem(15, 17, 'cases.0.sysctl.laptop.kernel.hostname', refused('kernel.hostname')),
    problem(15, 40, 'cases.0.sysctl.laptop.net.core.somaxconn', refused('net.core.somaxconn')),
    problem(15, 92, 'cases.0.sysctl.laptop.net.ipv4.conf.all.rp_filter',
      'a sysctl value must be a number, text, or true/false'),
  ]);
});

t.test('case names are unique', async (t) => {
  t.strictSame(problemsOf(withCases(
    '  - name: twice',
    '    probes: [{ udp: { from: laptop:192.0.2.1, to: 192.0.2.2 } }]',
    '  - name: once',
    '    probes: [{ udp: { from: laptop:192.0.2.1, to: 192.0.2.2 } }]',
    '  - name: twice',
    '    probes: [{ udp: { from: laptop:192.0.2.2, to: 192.0.2.1 } }]',
  )), [
    problem(16, 11, 'cases.2.name', 'case name "twice" is already used by cases.0 (line 12); case names must be unique'),
  ]);
});
