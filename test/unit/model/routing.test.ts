// Routing keys of nodes and of cases' node overrides: every problem at once, at its key.
import t from 'tap';
import { parseScenario } from '../../../src/recipes/scenario.js';
import { FILE, problem, problemsOf, text } from './fixtures/helpers.js';

/** Every check of the routing keys, one mistake per line (lines are 1-based as in the file). */
const BAD = text(
  "name: bad",
  "nodes:",
  "  h1:",
  "    routes:",
  "      - { to: default, via: 198.51.100.1 }",
  "      - { to: 198.51.100.0/24, via: 192.0.2.254, dev: eth1 }",
  "      - { to: 203.0.113.0/24, via: 10.0.0.1, dev: eth0, onlink: true }",
  "      - { to: \"2001:db8:2::/64\", via: 192.0.2.254 }",
  "      - { to: 203.0.113.0/24, type: blackhole, via: 192.0.2.254 }",
  "      - { to: 203.0.113.0/24 }",
  "      - { to: 203.0.113.0/24, dev: wlan9, table: nosuch }",
  "      - { to: 203.0.113.0/24, nexthops: [ { via: 192.0.2.9, weight: 1 }, { via: 10.1.1.1, dev: eth0 } ] }",
  "      - { to: 203.0.113.0/24, dev: eth0, src: 192.0.2.77 }",
  "      - { to: default, via: \"fe80::1\" }",
  "    rules:",
  "      - { pref: 100, from: 192.0.2.0/24 }",
  "      - { pref: 101, lookup: 100, goto: 200 }",
  "      - { pref: 102, goto: 5, suppress_prefixlength: 0 }",
  "      - { pref: 103, iif: eth7, oif: lo, lookup: wan }",
  "      - { pref: 104, from: \"2001:db8::/64\", to: 192.0.2.0/24, lookup: main }",
  "      - { pref: 105, from: 192.0.2.1, family: 6, lookup: main }",
  "      - { pref: 106, tos: 16, dsfield: 16, lookup: main }",
  "      - { pref: 107, sport: 2000-1000, lookup: main }",
  "      - { pref: 108, action: drop }",
  "    setup:",
  "      - []",
  "      - [ip, route, 5]",
  "      - ip route",
  "    default-rules: { local: first }",
  "  r1: {}",
  "links: [[h1:eth0, r1:eth0]]",
  "addresses: { h1:eth0: 192.0.2.1/24, r1:eth0: 192.0.2.254/24 }",
  "tables: { wan: 100, main: 5 }",
  "cases:",
  "  - name: c",
  "    nodes:",
  "      r9: { forwarding: true }",
  "      r1: { routes: [ { to: default, via: 198.51.100.9 } ], replace: [routes, addresses] }",
  "    probes: [ { udp: { from: h1:192.0.2.1, to: 192.0.2.254 } } ]",
);

t.test('every routing problem is reported at once, at its key', async (t) => {
  t.strictSame(problemsOf(BAD), [
    problem(5, 29, "nodes.h1.routes.0.via", "via 198.51.100.1 is not in the subnet of any address of h1 (its addresses: 192.0.2.1/24 on eth0); the gateway must be directly reachable, or say onlink: true"),
    problem(6, 55, "nodes.h1.routes.1.dev", "h1:eth1 is not a device of h1 (it has: eth0, lo)"),
    problem(8, 39, "nodes.h1.routes.3.via", "192.0.2.254 is an IPv4 address but 2001:db8:2::/64 is IPv6; a route is of one family"),
    problem(9, 9, "nodes.h1.routes.4", "a blackhole route has no next hop: remove via"),
    problem(10, 9, "nodes.h1.routes.5", "a unicast route needs via, dev or nexthops"),
    problem(11, 36, "nodes.h1.routes.6.dev", "h1:wlan9 is not a device of h1 (it has: eth0, lo)"),
    problem(11, 50, "nodes.h1.routes.6.table", "unknown table \"nosuch\" (known tables: wan, main, local, default); define it under tables: { nosuch: NUMBER }"),
    problem(12, 81, "nodes.h1.routes.7.nexthops.1.via", "via 10.1.1.1 is not in the subnet of any address of h1:eth0 (its addresses: 192.0.2.1/24 on eth0); the gateway must be directly reachable, or say onlink: true"),
    problem(13, 47, "nodes.h1.routes.8.src", "192.0.2.77 is not an address of h1 (its addresses: 192.0.2.1/24 on eth0)"),
    problem(14, 29, "nodes.h1.routes.9.via", "fe80::1 is a link-local address: name the device it is on with dev"),
    problem(16, 9, "nodes.h1.rules.0", "a rule needs an action: lookup TABLE, goto PREF, or action: blackhole|unreachable|prohibit"),
    problem(17, 9, "nodes.h1.rules.1", "a rule has exactly one action; this one has lookup and goto"),
    problem(18, 54, "nodes.h1.rules.2.suppress_prefixlength", "suppress_prefixlength applies to a lookup: add lookup TABLE"),
    problem(19, 27, "nodes.h1.rules.3.iif", "h1:eth7 is not a device of h1 (it has: eth0, lo)"),
    problem(20, 49, "nodes.h1.rules.4.to", "192.0.2.0/24 is an IPv4 address but 2001:db8::/64 is IPv6; a rule is of one family"),
    problem(21, 47, "nodes.h1.rules.5.family", "family: 6 but 192.0.2.1 is an IPv4 address"),
    problem(22, 40, "nodes.h1.rules.6.dsfield", "tos and dsfield are the same selector: give one of them"),
    problem(23, 29, "nodes.h1.rules.7.sport", "sport 2000-1000: the range's start is above its end"),
    problem(24, 30, "nodes.h1.rules.8.action", "must be one of \"blackhole\", \"unreachable\", \"prohibit\", not the text \"drop\""),
    problem(26, 9, "nodes.h1.setup.0", "a setup command is a non-empty list of text, e.g. [ip, route, add, unreachable, 203.0.113.9]"),
    problem(27, 21, "nodes.h1.setup.1.2", "an argument must be text: quote it (\"5\")"),
    problem(28, 9, "nodes.h1.setup.2", "a setup command is a non-empty list of text, e.g. [ip, route, add, unreachable, 203.0.113.9]"),
    problem(29, 29, "nodes.h1.default-rules.local", "local is a pref to move the rule to, or delete"),
    problem(33, 21, "tables.main", "table main (254) is always known and cannot be redefined"),
    problem(37, 7, "cases.0.nodes.r9", "node \"r9\" is not declared (declared nodes: h1, r1)"),
    problem(38, 43, "cases.0.nodes.r1.routes.0.via", "via 198.51.100.9 is not in the subnet of any address of r1 (its addresses: 192.0.2.254/24 on eth0); the gateway must be directly reachable, or say onlink: true"),
    problem(38, 79, "cases.0.nodes.r1.replace.1", "must be one of \"routes\", \"rules\", \"setup\", not the text \"addresses\""),
  ]);
});

const GOOD = text(
  'name: good',
  'nodes:',
  '  h1:',
  '    forwarding: true',
  '    sysctl: { net.ipv4.conf.all.rp_filter: 0, net.ipv4.conf.all.accept_local: true }',
  '    routes:',
  '      - { to: default, via: 192.0.2.254 }',
  '      - { to: 198.51.100.0/24, dev: eth0, src: 192.0.2.1, table: wan, metric: 10, mtu: 1400 }',
  '      - { to: 203.0.113.0/24, type: blackhole }',
  '      - { to: 192.0.2.128/25, via: 10.0.0.1, dev: eth0, onlink: true }',
  '      - { to: 203.0.113.0/24, table: 7, nexthops: [ { via: 192.0.2.3, weight: 1 }, { via: 192.0.2.4, dev: eth0, weight: 2 } ] }',
  '      - { to: "2001:db8:2::/64", via: "2001:db8:1::fe" }',
  '      - { to: default, family: 6, dev: eth0 }',
  '      - { to: default, via: "fe80::1", dev: eth0 }',
  '    rules:',
  '      - { pref: 100, from: 192.0.2.0/24, lookup: wan }',
  '      - { pref: 120, fwmark: 0x1/0xff, lookup: 200 }',
  '      - { pref: 130, tos: 0x10, lookup: 300 }',
  '      - { pref: 140, ipproto: udp, sport: 1000-2000, dport: 53, lookup: 400 }',
  '      - { pref: 150, uidrange: 1000, lookup: 500 }',
  '      - { pref: 160, not: true, from: 198.51.100.0/24, action: prohibit }',
  '      - { pref: 170, to: 203.0.113.0/24, goto: 180 }',
  '      - { pref: 180, lookup: main, suppress_prefixlength: 0 }',
  '      - { pref: 190, oif: eth0, lookup: 100, family: both }',
  '      - { pref: 195, iif: lo, lookup: local, family: 6 }',
  '    default-rules: { local: 1000, default: delete }',
  '    setup: [ [ip, route, add, unreachable, 203.0.113.9] ]',
  '  r1: {}',
  'links: [[h1:eth0, r1:eth0]]',
  'addresses: { h1:eth0: [192.0.2.1/24, "2001:db8:1::1/64"], r1:eth0: 192.0.2.254/24 }',
  'tables: { wan: 100 }',
  'cases:',
  '  - name: c',
  '    nodes:',
  '      h1: { forwarding: false, routes: [ { to: 198.51.100.0/24, via: 192.0.2.254 } ], replace: [rules], sysctl: { net.ipv4.conf.all.rp_filter: 2 } }',
  '      r1:',
  '    probes: [ { udp: { from: h1:192.0.2.1, to: 192.0.2.254 } } ]',
);

t.test('a node\'s routing resolves: families inferred, table names to numbers, selectors as ip writes them', async (t) => {
  const s = parseScenario(GOOD, FILE);
  t.same(s.tables, { wan: 100 });
  const r = s.nodes[0]?.routing;
  if (!r) throw new Error('no routing');
  t.equal(r.forwarding, true);
  t.same(r.sysctls, [{ key: 'net.ipv4.conf.all.rp_filter', value: '0' }, { key: 'net.ipv4.conf.all.accept_local', value: '1' }]);
  t.same(r.routes.map((x) => [x.to, x.family, x.type]), [
    ['default', 4, 'unicast'], ['198.51.100.0/24', 4, 'unicast'], ['203.0.113.0/24', 4, 'blackhole'],
    ['192.0.2.128/25', 4, 'unicast'], ['203.0.113.0/24', 4, 'unicast'], ['2001:db8:2::/64', 6, 'unicast'],
    ['default', 6, 'unicast'], ['default', 6, 'unicast'],
  ]);
  t.same(r.routes[1]?.table, { id: 100, name: 'wan' });
  t.same(r.routes[4]?.nexthops, [{ via: '192.0.2.3', weight: 1 }, { via: '192.0.2.4', dev: 'eth0', weight: 2 }]);
  t.same(r.rules.map((x) => x.families), [[4], [4], [4], [4], [4], [4], [4], [4], [4, 6], [6]]);
  t.same(r.rules[0]?.action, { kind: 'lookup', table: { id: 100, name: 'wan' } });
  t.equal(r.rules[4]?.uidrange, '1000-1000', 'one uid is a range of one');
  t.same(r.rules[5]?.action, { kind: 'prohibit' });
  t.same(r.rules[8]?.action, { kind: 'lookup', table: { id: 100 } });
  t.same(r.rules[9]?.action, { kind: 'lookup', table: { id: 255, name: 'local' } });
  t.same(r.defaultRules, { local: 1000, default: 'delete' });
  t.same(r.setup.map((x) => x.argv), [['ip', 'route', 'add', 'unreachable', '203.0.113.9']]);
  const over = s.cases[0]?.nodes;
  t.equal(over?.h1?.forwarding, false);
  t.same(over?.h1?.replace, ['rules']);
  t.same(over?.h1?.sysctls, [{ key: 'net.ipv4.conf.all.rp_filter', value: '2' }]);
  t.same(over?.r1, { sysctls: [], routes: [], rules: [], defaultRules: {}, setup: [], replace: [] }, 'an empty entry changes nothing');
});

t.test('negative control: the good scenario with one gateway moved out of the subnet fails', async (t) => {
  const bad = GOOD.replace('{ to: default, via: 192.0.2.254 }', '{ to: default, via: 192.0.3.254 }');
  t.same(problemsOf(bad).map((p) => [p.line, p.path]), [[7, 'nodes.h1.routes.0.via']]);
});

t.test('tos and dsfield are written in hex (ip reads them as hex) and may not set the ECN bits', async (t) => {
  const rules = (...lines: string[]) => text(
    'name: tos', 'nodes:', '  a:', '    rules:', ...lines, '  b: {}', 'links: [[a:eth0, b:eth0]]',
    'addresses: { a:eth0: 192.0.2.1/24 }', 'cases:', '  - name: c', '    probes: [ { udp: { from: a:192.0.2.1, to: 192.0.2.2 } } ]',
  );
  const s = parseScenario(rules('      - { tos: 16, lookup: main }', '      - { dsfield: "0x28", lookup: main }'), FILE);
  t.same(s.nodes[0]?.routing?.rules.map((r) => [r.tos, r.dsfield]), [['0x10', undefined], [undefined, '0x28']]);
  t.strictSame(problemsOf(rules('      - { tos: 0x16, lookup: main }')), [
    problem(5, 16, 'nodes.a.rules.0.tos', 'tos 0x16: the low two bits (ECN) must be 0; the kernel refuses it'),
  ]);
});
