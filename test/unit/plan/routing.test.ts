// The routing ops of a case: plan data only (no root). Order per node: forwarding and sysctls,
// routes, default rules, rules; recipes and case sysctls/nft after them; setup commands last.
import t from 'tap';
import { parseScenario } from '../../../src/recipes/scenario.js';
import { planCase } from '../../../src/plan/plan.js';
import { mergeRouting } from '../../../src/plan/routing.js';

const show = (ops: { node: string; argv: string[] }[]) => ops.map((o) => `${o.node}: ${o.argv.join(' ')}`);

const SCENARIO = [
  'name: plan',
  'nodes:',
  '  h1:',
  '    forwarding: true',
  '    sysctl: { net.ipv4.conf.all.rp_filter: 0 }',
  '    routes:',
  '      - { to: default, via: 192.0.2.254 }',
  '      - { to: 198.51.100.0/24, dev: eth0, src: 192.0.2.1, table: wan, metric: 10, mtu: 1400 }',
  '      - { to: 203.0.113.0/24, type: blackhole }',
  '      - { to: 192.0.2.128/25, via: 10.0.0.1, dev: eth0, onlink: true }',
  '      - { to: 203.0.113.0/24, table: 7, nexthops: [ { via: 192.0.2.3, weight: 1 }, { via: 192.0.2.4, dev: eth0, weight: 2, onlink: true } ] }',
  '      - { to: "2001:db8:2::/64", via: "2001:db8:1::fe", type: unicast }',
  '      - { to: default, family: 6, type: unreachable, table: 9 }',
  '    rules:',
  '      - { pref: 100, from: 192.0.2.0/24, lookup: wan }',
  '      - { pref: 110, iif: lo, to: 192.0.2.2, lookup: main }',
  '      - { pref: 120, fwmark: 0x1/0xff, lookup: 200 }',
  '      - { pref: 130, tos: 0x10, lookup: 300 }',
  '      - { pref: 131, dsfield: 16, lookup: 300 }',
  '      - { pref: 140, ipproto: udp, sport: 1000-2000, dport: 53, lookup: 400 }',
  '      - { pref: 150, uidrange: 1000-2000, lookup: 500 }',
  '      - { pref: 160, not: true, from: 198.51.100.0/24, action: prohibit }',
  '      - { pref: 170, to: 203.0.113.0/24, goto: 180 }',
  '      - { pref: 180, lookup: main, suppress_prefixlength: 0 }',
  '      - { pref: 190, oif: eth0, lookup: 100, family: both }',
  '    default-rules: { local: 1000, main: 2000, default: delete }',
  '    setup: [ [ip, route, add, unreachable, 203.0.113.9], [sh, -c, "echo hi"] ]',
  '  r1: { forwarding: false }',
  'links: [[h1:eth0, r1:eth0], [h1:eth1, r1:eth1]]',
  'addresses: { h1:eth0: [192.0.2.1/24, "2001:db8:1::1/64"], h1:eth1: 192.0.2.9/24, r1:eth0: 192.0.2.254/24 }',
  'tables: { wan: 100 }',
  'cases:',
  '  - name: as the topology says',
  '    probes: [ { udp: { from: h1:192.0.2.1, to: 192.0.2.254 } } ]',
  '  - name: overridden',
  '    recipe: { accept-local: { node: h1, out: eth0, in: eth1 } }',
  '    sysctl: { h1: { net.ipv4.conf.all.rp_filter: 1 } }',
  '    nft: { r1: "table inet t { }" }',
  '    nodes:',
  '      h1:',
  '        forwarding: false',
  '        sysctl: { net.ipv4.conf.all.rp_filter: 2, net.ipv4.conf.all.accept_local: 1 }',
  '        routes: [ { to: 198.51.100.0/24, via: 192.0.2.254, table: wan } ]',
  '        rules: [ { pref: 300, to: 198.51.100.0/24, lookup: wan } ]',
  '        default-rules: { main: delete }',
  '        setup: [ [ip, rule, show] ]',
  '        replace: [rules]',
  '      r1: { forwarding: true }',
  '    probes: [ { udp: { from: h1:192.0.2.1, to: 192.0.2.254 } } ]',
].join('\n');

const routing = (ops: { node: string; argv: string[]; wave?: number }[]) =>
  show(ops.filter((o) => o.wave === undefined));

t.test('every key becomes an unambiguous ip or sysctl command, in the plan order of the spec', async (t) => {
  const plan = planCase(parseScenario(SCENARIO, 'plan.yaml'), 0, 'lab-x');
  t.same(routing(plan.ops), [
    'h1: sysctl -q -w net.ipv4.ip_forward=1',
    'h1: sysctl -q -w net.ipv6.conf.all.forwarding=1',
    'h1: sysctl -q -w net.ipv4.conf.all.rp_filter=0',
    'h1: ip route add default via 192.0.2.254',
    'h1: ip route add 198.51.100.0/24 dev eth0 src 192.0.2.1 table 100 metric 10 mtu 1400',
    'h1: ip route add blackhole 203.0.113.0/24',
    'h1: ip route add 192.0.2.128/25 via 10.0.0.1 dev eth0 onlink',
    'h1: ip route add 203.0.113.0/24 nexthop via 192.0.2.3 weight 1 nexthop via 192.0.2.4 dev eth0 onlink weight 2 table 7',
    'h1: ip -6 route add 2001:db8:2::/64 via 2001:db8:1::fe',
    'h1: ip -6 route add unreachable default table 9',
    'h1: ip rule add pref 1000 lookup local',
    'h1: ip rule del pref 0 lookup local',
    'h1: ip -6 rule add pref 1000 lookup local',
    'h1: ip -6 rule del pref 0 lookup local',
    'h1: ip rule add pref 2000 lookup main',
    'h1: ip rule del pref 32766 lookup main',
    'h1: ip -6 rule add pref 2000 lookup main',
    'h1: ip -6 rule del pref 32766 lookup main',
    'h1: ip rule del pref 32767 lookup default',
    'h1: ip rule add pref 100 from 192.0.2.0/24 lookup 100',
    'h1: ip rule add pref 110 to 192.0.2.2 iif lo lookup 254',
    'h1: ip rule add pref 120 fwmark 0x1/0xff lookup 200',
    'h1: ip rule add pref 130 tos 0x10 lookup 300',
    'h1: ip rule add pref 131 dsfield 0x10 lookup 300',
    'h1: ip rule add pref 140 ipproto udp sport 1000-2000 dport 53 lookup 400',
    'h1: ip rule add pref 150 uidrange 1000-2000 lookup 500',
    'h1: ip rule add pref 160 not from 198.51.100.0/24 prohibit',
    'h1: ip rule add pref 170 to 203.0.113.0/24 goto 180',
    'h1: ip rule add pref 180 lookup 254 suppress_prefixlength 0',
    'h1: ip rule add pref 190 oif eth0 lookup 100',
    'h1: ip -6 rule add pref 190 oif eth0 lookup 100',
    'r1: sysctl -q -w net.ipv4.ip_forward=0',
    'r1: sysctl -q -w net.ipv6.conf.all.forwarding=0',
    'h1: ip route add unreachable 203.0.113.9',
    'h1: sh -c echo hi',
  ]);
});

t.test('every op says why, routes and rules say how they are undone', async (t) => {
  const ops = planCase(parseScenario(SCENARIO, 'plan.yaml'), 0, 'lab-x').ops.filter((o) => o.wave === undefined);
  for (const op of ops) t.ok(op.why, `${op.argv.join(' ')} has a why`);
  const find = (text: string) => ops.find((o) => o.argv.join(' ') === text);
  t.same(find('ip route add 198.51.100.0/24 dev eth0 src 192.0.2.1 table 100 metric 10 mtu 1400')?.undo,
    ['ip', 'route', 'del', '198.51.100.0/24', 'table', '100', 'metric', '10']);
  t.equal(find('ip route add 198.51.100.0/24 dev eth0 src 192.0.2.1 table 100 metric 10 mtu 1400')?.why,
    'route of h1 in table wan (100): 198.51.100.0/24 out of eth0 (line 8)');
  t.same(find('ip rule add pref 160 not from 198.51.100.0/24 prohibit')?.undo,
    ['ip', 'rule', 'del', 'pref', '160', 'not', 'from', '198.51.100.0/24', 'prohibit']);
  t.equal(find('ip rule add pref 100 from 192.0.2.0/24 lookup 100')?.why,
    'rule of h1 at pref 100 (IPv4): packets matching from 192.0.2.0/24 look up table wan (100) (line 15)');
  t.same(find('ip rule del pref 0 lookup local')?.undo, ['ip', 'rule', 'add', 'pref', '0', 'lookup', 'local']);
  t.equal(find('sh -c echo hi')?.why, 'setup command of h1 (line 27)');
});

t.test('a case adds to the node\'s lists, replaces those it names, overrides scalars and sysctl keys', async (t) => {
  const plan = planCase(parseScenario(SCENARIO, 'plan.yaml'), 1, 'lab-x');
  const ops = routing(plan.ops);
  const h1 = ops.filter((o) => o.startsWith('h1: '));
  t.same(h1.slice(0, 4), [
    'h1: sysctl -q -w net.ipv4.ip_forward=0',
    'h1: sysctl -q -w net.ipv6.conf.all.forwarding=0',
    'h1: sysctl -q -w net.ipv4.conf.all.rp_filter=2',
    'h1: sysctl -q -w net.ipv4.conf.all.accept_local=1',
  ], 'forwarding and the sysctl key overridden, the new key added');
  t.ok(ops.indexOf('h1: ip route add 198.51.100.0/24 via 192.0.2.254 table 100') > ops.indexOf('h1: ip -6 route add unreachable default table 9'),
    'the case\'s route comes after the node\'s');
  t.notOk(ops.includes('h1: ip rule add pref 100 from 192.0.2.0/24 lookup 100'), 'replace: [rules] drops the node\'s rules');
  t.ok(ops.includes('h1: ip rule add pref 300 to 198.51.100.0/24 lookup 100'));
  t.ok(ops.includes('h1: ip rule add pref 1000 lookup local'), 'default-rules keys the case does not name stay');
  t.ok(ops.includes('h1: ip rule del pref 32766 lookup main') && !ops.includes('h1: ip rule add pref 2000 lookup main'),
    'main: delete overrides main: 2000');
  t.ok(ops.includes('r1: sysctl -q -w net.ipv4.ip_forward=1'));
  const at = (text: string) => ops.indexOf(text);
  t.ok(at('h1: ip rule add pref 300 to 198.51.100.0/24 lookup 100') < at('h1: ip route add 192.0.2.9/32 dev eth0 src 192.0.2.1 table 100'),
    'rules before the recipe');
  t.ok(at('h1: sysctl -q -w net.ipv4.conf.all.rp_filter=1') > at('h1: ip route add 192.0.2.9/32 dev eth0 src 192.0.2.1 table 100'),
    'case sysctls after the recipe');
  t.same(ops.slice(-4), [
    'r1: nft -f -',
    'h1: ip route add unreachable 203.0.113.9',
    'h1: sh -c echo hi',
    'h1: ip rule show',
  ], 'setup last, after nft: the node\'s commands, then the case\'s');
});

t.test('mergeRouting without an override is the node\'s own; without a node entry the override alone', async (t) => {
  const base = { forwarding: true, sysctls: [], routes: [], rules: [], defaultRules: {}, setup: [] };
  t.equal(mergeRouting(base, undefined), base);
  t.equal(mergeRouting(undefined, undefined), undefined);
  const over = { ...base, forwarding: false, replace: [] };
  t.same(mergeRouting(undefined, over), { forwarding: false, sysctls: [], routes: [], rules: [], defaultRules: {}, setup: [] });
});
