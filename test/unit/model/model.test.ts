import t from 'tap';
import { z } from 'zod';
import { parseScenario } from '../../../src/model/load.js';
import type { Recipe } from '../../../src/types/recipe.js';
import { recipes } from '../../../src/recipes/index.js';
import { FILE, problem, problemsOf, text, withCases } from './fixtures/helpers.js';

t.test('IPv6 probes: from splits at the first colon, to takes brackets for a port', async (t) => {
  const scenario = parseScenario(withCases(
    '  - name: six',                                                    // 12
    '    probes:',
    '      - udp: { from: laptop:2001:db8::2, to: "2001:db8::9" }',     // 14
    '      - udp: { from: laptop:2001:DB8:0::2, to: "[2001:db8::9]:9000" }',
    '      - udp: { from: laptop:2001:db8::2, to: "[2001:db8::9]" }',
  ), FILE);
  const probes = scenario.cases[0]!.probes;
  t.strictSame(probes.map((p) => [p.name, p.family, p.from, p.to]), [
    ['udp 2001:db8::2 → 2001:db8::9', 6, { node: 'laptop', address: '2001:db8::2' }, { address: '2001:db8::9' }],
    ['udp 2001:DB8:0::2 → [2001:db8::9]:9000', 6, { node: 'laptop', address: '2001:DB8:0::2' },
      { address: '2001:db8::9', port: 9000 }],
    ['udp 2001:db8::2 → 2001:db8::9', 6, { node: 'laptop', address: '2001:db8::2' }, { address: '2001:db8::9' }],
  ]);
  t.strictSame(probes.map((p) => p.loc), [{ line: 14, col: 9 }, { line: 15, col: 9 }, { line: 16, col: 9 }]);
  t.strictSame(scenario.addresses.map((a) => [a.cidr, a.address, a.prefix, a.family]), [
    ['192.0.2.1/24', '192.0.2.1', 24, 4],
    ['192.0.2.2/24', '192.0.2.2', 24, 4],
    ['2001:db8::2/64', '2001:db8::2', 64, 6],
  ]);
});

t.test('IPv4 to with a port, dev, and timeouts from the probe, the case, or the default', async (t) => {
  const scenario = parseScenario(withCases(
    '  - name: timed',
    '    timeout-ms: 250',
    '    probes:',
    '      - udp: { from: laptop:192.0.2.1, to: 192.0.2.2:9000, dev: wlan0, timeout-ms: 500 }',
    '      - udp: { from: laptop:192.0.2.1, to: 192.0.2.2 }',
    '  - name: untimed',
    '    probes:',
    '      - udp: { from: laptop:192.0.2.2, to: 192.0.2.1 }',
  ), FILE);
  const [timed, untimed] = scenario.cases;
  t.strictSame(timed!.probes.map((p) => [p.name, p.from, p.to, p.timeoutMs]), [
    ['udp 192.0.2.1 → 192.0.2.2:9000', { node: 'laptop', address: '192.0.2.1', dev: 'wlan0' },
      { address: '192.0.2.2', port: 9000 }, 500],
    ['udp 192.0.2.1 → 192.0.2.2', { node: 'laptop', address: '192.0.2.1' }, { address: '192.0.2.2' }, 250],
  ]);
  t.equal(untimed!.probes[0]!.timeoutMs, 1000);
});

t.test('a case without expect has an empty expectation at the case; probe expect only when given', async (t) => {
  const scenario = parseScenario(withCases(
    '  - name: plain',                                                      // 12
    '    description: no expectations',
    '    probes:',
    '      - udp: { from: laptop:192.0.2.1, to: 192.0.2.2 }',
    '      - name: named',                                                 // 16
    '        udp: { from: laptop:192.0.2.1, to: 192.0.2.2 }',
    '        expect: { delivered: false, via: [laptop:lo, ap:br0] }',      // 18
  ), FILE);
  const plain = scenario.cases[0]!;
  t.strictSame(plain.expect, { loc: { line: 12, col: 5 } });
  t.equal(plain.description, 'no expectations');
  t.notOk('expect' in plain.probes[0]!, 'no probe expectation when none is written');
  t.strictSame(plain.probes[1]!.expect, {
    delivered: false,
    via: [{ node: 'laptop', dev: 'lo' }, { node: 'ap', dev: 'br0' }],
    loc: { line: 18, col: 17 },
  });
  t.equal(plain.probes[1]!.name, 'named');
  t.equal(plain.probes[1]!.loc.line, 16);
});

t.test('sysctls are flattened in file order and stored as text; true/false become 1/0', async (t) => {
  const scenario = parseScenario(withCases(
    '  - name: tuned',
    '    sysctl:',
    '      laptop: { net.ipv4.conf.all.rp_filter: 1, net.ipv6.conf.all.forwarding: true, net.ipv4.tcp_rmem: "4096 8192 16384" }',
    '      ap: { net.ipv4.ip_forward: false }',
    '    probes:',
    '      - udp: { from: laptop:192.0.2.1, to: 192.0.2.2 }',
  ), FILE);
  t.strictSame(scenario.cases[0]!.sysctls, [
    { node: 'laptop', key: 'net.ipv4.conf.all.rp_filter', value: '1' },
    { node: 'laptop', key: 'net.ipv6.conf.all.forwarding', value: '1' },
    { node: 'laptop', key: 'net.ipv4.tcp_rmem', value: '4096 8192 16384' },
    { node: 'ap', key: 'net.ipv4.ip_forward', value: '0' },
  ]);
});

t.test('recipes keep the order they are written in, with defaults filled in', async (t) => {
  const mtu: Recipe<{ node: string; mtu: number }> = {
    name: 'mtu',
    summary: 'Set an MTU.',
    description: 'Sets an MTU.',
    params: z.strictObject({ node: z.string(), mtu: z.int().default(1280) }),
    check: () => [],
    steps: () => ({ ops: [], variables: [] }),
  };
  const scenario = parseScenario(withCases(
    '  - name: two recipes',
    '    recipe:',
    '      mtu: { node: ap }',                                                   // 14
    '      accept-local: { node: laptop, out: wlan1, in: wlan0, both: true }',  // 15
    '    probes:',
    '      - udp: { from: laptop:192.0.2.2, to: 192.0.2.1 }',
  ), FILE, { recipes: [...recipes, mtu] });
  t.strictSame(scenario.cases[0]!.recipes, [
    { name: 'mtu', params: { node: 'ap', mtu: 1280 }, loc: { line: 14, col: 12 } },
    {
      name: 'accept-local',
      params: { node: 'laptop', out: 'wlan1', in: 'wlan0', both: true, accept_local: 1, rp_filter: 2 },
      loc: { line: 15, col: 21 },
    },
  ]);
});

t.test('a link may join two NICs of one node; lo may carry an address and be expected', async (t) => {
  const scenario = parseScenario(text(
    'name: cable',
    'nodes: { host: null }',
    'links: [[host:eth0, host:eth1]]',
    'addresses: { host:lo: 10.0.0.1/32, host:eth0: 192.0.2.1/24 }',
    'cases:',
    '  - name: loop',
    '    probes: [{ udp: { from: host:10.0.0.1, to: 192.0.2.1 } }]',
    '    expect: { via: [host:lo], not-via: [host:eth0, host:eth1] }',
  ), 'cable.yaml');
  t.strictSame(scenario.nodes, [{ name: 'host' }]);
  t.strictSame(scenario.links, [{ kind: 'veth', ends: [{ node: 'host', dev: 'eth0' }, { node: 'host', dev: 'eth1' }] }]);
  t.equal(scenario.file, 'cable.yaml');
  t.notOk('description' in scenario);
});

t.test('links may be left out; the same address on two nodes is fine', async (t) => {
  t.strictSame(problemsOf(text(
    'name: apart',
    'nodes: { a: {}, b: {} }',
    'addresses: { a:lo: 192.0.2.1/32, b:lo: 192.0.2.1/32 }',
    'cases: [{ name: c, probes: [{ udp: { from: a:192.0.2.1, to: 192.0.2.1 } }] }]',
  )), []);
});

t.test('one bad reference in one case keeps the whole scenario from loading', async (t) => {
  t.strictSame(problemsOf(withCases(
    '  - name: ok',
    '    probes: [{ udp: { from: laptop:192.0.2.1, to: 192.0.2.2 } }]',
    '  - name: bad',
    '    probes: [{ udp: { from: laptop:192.0.2.1, to: 192.0.2.2 }, expect: { via: [ap:nope] } }]',
  )), [problem(15, 80, 'cases.1.probes.0.expect.via.0', 'ap:nope is not a device of ap (it has: br0, lo, port0, port1)')]);
});
