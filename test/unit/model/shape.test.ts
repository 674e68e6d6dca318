// YAML syntax, types, required and unknown keys: what the schema finds, at the right place.
import t from 'tap';
import { problem, problemsOf, text, withCases, TOPOLOGY, VALID_CASE } from './fixtures/helpers.js';

t.test('YAML syntax errors are reported at their line and column, with no key path', async (t) => {
  t.strictSame(problemsOf(text('name: test', 'nodes: { laptop: {}', 'cases: []')), [
    problem(3, 1, '', 'Flow map in block collection must be sufficiently indented and end with a }'),
  ]);
  t.strictSame(problemsOf(text('name: a', 'nodes: {}', 'name: b')), [problem(3, 1, '', 'Map keys must be unique')]);
  t.strictSame(problemsOf(text('name: a', '---', 'name: b')), [
    problem(2, 1, '', 'a scenario file holds one YAML document; this --- starts a second one'),
  ]);
  t.strictSame(problemsOf(text('name: a', '? [x, y]', ': 1')), [
    problem(2, 3, '', 'a key must be a plain name, not a list or mapping'),
  ]);
});

t.test('the document must be a mapping', async (t) => {
  t.strictSame(problemsOf(''), [problem(1, 1, '', 'must be a mapping (key: value), not nothing (null)')]);
  t.strictSame(problemsOf(text('- name: a')), [problem(1, 1, '', 'must be a mapping (key: value), not a list')]);
});

t.test('a missing required key is reported at the mapping that lacks it', async (t) => {
  t.strictSame(problemsOf(text('name: empty', 'nodes: {}')), [problem(1, 1, 'cases', 'missing required key "cases"')]);
  t.strictSame(problemsOf(withCases(
    '  - description: no name',
    '    probes:',
    '      - udp: { to: 192.0.2.2 }',
  )), [
    problem(12, 5, 'cases.0.name', 'missing required key "name"'),
    problem(14, 14, 'cases.0.probes.0.udp.from', 'missing required key "from"'),
  ]);
});

t.test('wrong types say what was expected and what was found', async (t) => {
  t.strictSame(problemsOf(text(
    'name: 42',
    'nodes: [laptop]',
    'links: { laptop: wlan0 }',
    'cases:',
    '  - name: c',
    '    probes: { udp: {} }',
    '    expect: { delivered: yes }',
  )), [
    problem(1, 7, 'name', 'must be text, not the number 42'),
    problem(2, 8, 'nodes', 'must be a mapping (key: value), not a list'),
    problem(3, 8, 'links', 'must be a list, not a mapping'),
    problem(6, 13, 'cases.0.probes', 'must be a list, not a mapping'),
    problem(7, 26, 'cases.0.expect.delivered', 'must be true or false, not the text "yes"'),
  ]);
});

t.test('a key with no value is reported at the key', async (t) => {
  t.strictSame(problemsOf(text('name: x', 'nodes:', 'cases:', ...VALID_CASE)), [
    problem(2, 1, 'nodes', 'must be a mapping (key: value), not nothing (null)'),
  ]);
});

t.test('lists that must not be empty, and links of exactly two ends', async (t) => {
  t.strictSame(problemsOf(text(...TOPOLOGY, 'cases: []')), [problem(11, 8, 'cases', 'must have at least 1 item')]);
  t.strictSame(problemsOf(withCases('  - name: idle', '    probes: []')), [
    problem(13, 13, 'cases.0.probes', 'must have at least 1 item'),
  ]);
  t.strictSame(problemsOf(text(
    'name: x',
    'nodes: { laptop: {}, ap: {} }',
    'links:',
    '  - [laptop:wlan0]',
    '  - [laptop:wlan1, ap:port1, ap:port2]',
    '  - laptop:wlan2',
    'addresses: { laptop:wlan0: 192.0.2.1/24 }',
    'cases:',
    ...VALID_CASE,
  )), [
    problem(4, 5, 'links.0', 'a link is a list of exactly two ends, e.g. [laptop:wlan0, ap:port0]'),
    problem(5, 5, 'links.1', 'a link is a list of exactly two ends, e.g. [laptop:wlan0, ap:port0]'),
    problem(6, 5, 'links.2', 'a link is a list of exactly two ends, e.g. [laptop:wlan0, ap:port0], or a wireless link { type: wireless, radios: [...] }'),
  ]);
});

t.test('timeout-ms is a whole number from 10 to 60000', async (t) => {
  t.strictSame(problemsOf(withCases(
    '  - name: timing',
    '    timeout-ms: 5',
    '    probes:',
    '      - udp: { from: laptop:192.0.2.1, to: 192.0.2.2, timeout-ms: 60001 }',
    '      - udp: { from: laptop:192.0.2.1, to: 192.0.2.2, timeout-ms: 12.5 }',
  )), [
    problem(13, 17, 'cases.0.timeout-ms', 'must be a whole number of milliseconds from 10 to 60000'),
    problem(15, 67, 'cases.0.probes.0.udp.timeout-ms', 'must be a whole number of milliseconds from 10 to 60000'),
    problem(16, 67, 'cases.0.probes.1.udp.timeout-ms', 'must be a whole number of milliseconds from 10 to 60000'),
  ]);
});

t.test('unknown keys are reported at the key, with the keys allowed there, at every depth', async (t) => {
  t.strictSame(problemsOf(text(
    'name: deep',
    'colour: blue',
    'nodes:',
    '  laptop: { bridge: br0, vlan: 7 }',
    'addresses: { laptop:br0: 192.0.2.1/24 }',
    'cases:',
    '  - name: c',
    '    when: always',
    '    recipe: { accept-local: { node: laptop, out: br0, in: br0, speed: fast } }',
    '    probes:',
    '      - udp: { from: laptop:192.0.2.1, to: 192.0.2.1, port: 9 }',
    '        sctp: {}',
    '        expect: { delivered: true, not_via: [] }',
  )), [
    problem(2, 1, 'colour', 'unknown key "colour" (allowed here: name, description, nodes, links, addresses, tables, recipes, cases)'),
    problem(4, 26, 'nodes.laptop.vlan', 'unknown key "vlan" (allowed here: bridge, devices, forwarding, sysctl, routes, rules, default-rules, setup)'),
    problem(8, 5, 'cases.0.when',
      'unknown key "when" (allowed here: name, description, recipe, sysctl, nft, timeout-ms, nodes, probes, expect, matrix, cells)'),
    problem(9, 64, 'cases.0.recipe.accept-local.speed',
      'unknown key "speed" (allowed here: node, out, in, both, accept_local, rp_filter, out_addr, in_addr)'),
    problem(11, 55, 'cases.0.probes.0.udp.port', 'unknown key "port" (allowed here: from, to, dev, timeout-ms, tos, dscp, mark, sport, uid, flowlabel, listen)'),
    problem(12, 9, 'cases.0.probes.0.sctp', 'unknown key "sctp" (allowed here: name, udp, icmp, tcp, expect)'),
    problem(13, 36, 'cases.0.probes.0.expect.not_via',
      'unknown key "not_via" (allowed here: delivered, reason, path, via, not-via, reply, handshake, route, reject)'),
  ]);
});

t.test('a probe has exactly one kind; icmp has no port; reason is a known cause', async (t) => {
  const probes = (...lines: string[]) => problemsOf(text(
    'name: kinds',
    'nodes: { pc: {} }',
    'links: [[pc:eth0, pc:eth1]]',
    'addresses: { pc:eth0: 192.0.2.1/24, pc:eth1: 192.0.2.2/24 }',
    'cases:',
    '  - name: c',
    '    probes:',
    ...lines,
  ));
  const both = probes(
    '      - udp: { from: pc:192.0.2.1, to: 192.0.2.2 }',
    '        tcp: { from: pc:192.0.2.1, to: 192.0.2.2 }',
  );
  t.equal(both.length, 1);
  t.match(both[0], { line: 8, path: 'cases.0.probes.0', message: 'a probe has exactly one of: udp, icmp, tcp' });
  t.match(probes('      - icmp: { from: pc:192.0.2.1, to: 192.0.2.2:9 }'), [
    { line: 8, path: 'cases.0.probes.0.icmp.to', message: 'an icmp probe has no port: write 192.0.2.2' },
  ]);
  t.match(probes(
    '      - icmp: { from: pc:192.0.2.1, to: 192.0.2.2 }',
    '        expect: { reason: ARP_FAILED }',
  ), [{ line: 9, path: 'cases.0.probes.0.expect.reason', message: /NEIGH_FAILED/ }]);
});
