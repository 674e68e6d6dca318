// Every problem of a file is reported in one go, in file order, without follow-up noise.
import t from 'tap';
import { ScenarioError } from '../../../src/errors.js';
import { parseScenario } from '../../../src/recipes/scenario.js';
import { FILE, problem, problemsOf, text } from './fixtures/helpers.js';

const MANY = text(
  'name: many',
  'nodes:',
  '  laptop: { colour: red }',
  '  ap: { bridge: br0 }',
  'links:',
  '  - [laptop:wlan0, ap:port0]',
  '  - [laptop:wlan1, "ap:port 1"]',
  'addresses:',
  '  laptop:wlan0: 192.0.2.1/24',
  '  laptop:wlan5: 192.0.2.5',
  'cases:',
  '  - name: one',
  '    probes:',
  '      - udp: { from: laptop:192.0.2.1, to: 192.0.2.2, dev: wlan3 }',
  '    expect: { via: [ghost:eth0, ap:port7, laptop:wlan7] }',
  '  - name: one',
  '    probes:',
  '      - udp: { from: laptop:192.0.2.7, to: 2001:db8::1 }',
);

t.test('shape and reference problems all at once, sorted by position', async (t) => {
  t.strictSame(problemsOf(MANY), [
    problem(3, 13, 'nodes.laptop.colour', 'unknown key "colour" (allowed here: bridge, devices, forwarding, sysctl, routes, rules, default-rules, setup)'),
    problem(7, 20, 'links.1.1', 'device name "port 1" may contain only letters, digits, "_", "." and "-" ' +
      'and must start with a letter or digit'),
    problem(10, 3, 'addresses.laptop:wlan5', 'laptop:wlan5 is not a device of laptop (it has: lo, wlan0, wlan1)'),
    problem(10, 17, 'addresses.laptop:wlan5', '"192.0.2.5" has no prefix length; write it as 192.0.2.5/24'),
    problem(14, 60, 'cases.0.probes.0.udp.dev', 'laptop:wlan3 is not a device of laptop (it has: lo, wlan0, wlan1)'),
    problem(15, 21, 'cases.0.expect.via.0', 'node "ghost" is not declared (declared nodes: ap, laptop)'),
    // ap:port7 is not questioned: ap's devices are unknown while "ap:port 1" is misspelt.
    problem(15, 43, 'cases.0.expect.via.2', 'laptop:wlan7 is not a device of laptop (it has: lo, wlan0, wlan1)'),
    problem(16, 11, 'cases.1.name', 'case name "one" is already used by cases.0 (line 12); case names must be unique'),
    // 192.0.2.7 is not questioned: laptop's addresses are unknown while 192.0.2.5 lacks its prefix.
    problem(18, 44, 'cases.1.probes.0.udp.to', '2001:db8::1 is an IPv6 address but the probe is sent from ' +
      '192.0.2.7 (IPv4); from and to must be of one family'),
  ]);
});

t.test('the error message lists every problem as file:line:col: path: message', async (t) => {
  const error = t.throws(() => parseScenario(text('name: x', 'nodes: { a: {} }', 'cases: []', 'extra: 1'), FILE));
  t.type(error, ScenarioError);
  t.equal((error as Error).message, [
    'test.yaml:3:8: cases: must have at least 1 item',
    'test.yaml:4:1: extra: unknown key "extra" (allowed here: name, description, nodes, links, addresses, tables, recipes, cases)',
  ].join('\n'));
});

t.test('an unreadable node map does not make every reference a problem', async (t) => {
  t.strictSame(problemsOf(text(
    'name: x',
    'nodes: [laptop]',
    'links: [[laptop:wlan0, ap:port0]]',
    'addresses: { laptop:wlan0: 192.0.2.1/24 }',
    'cases: [{ name: c, probes: [{ udp: { from: laptop:192.0.2.1, to: 192.0.2.2, dev: eth9 } }] }]',
  )), [problem(2, 8, 'nodes', 'must be a mapping (key: value), not a list')]);
});
