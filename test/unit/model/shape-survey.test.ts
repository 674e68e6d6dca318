// The survey behind issue 14 item 6: one scenario with a problem of meaning in each part (the
// sentinels), and a shape error put into one part at a time. Every sentinel must still be reported,
// and every other problem must be the shape error itself (at or under the key it was put in): no
// part of the file loses its checks, and nothing is a follow-on of the malformed entry.
import t from 'tap';
import { problemsOf, text } from './fixtures/helpers.js';

const BASE = [
  'name: survey',                                                        // 1
  'nodes:',
  '  h1:',
  '    devices:',
  '      dum0: { type: dummy, mtu: 1400 }',                                // 5
  '      eth0: { mtu: 1400 }',
  '    sysctl: { net.ipv4.ip_forward: 1 }',
  '    routes:',
  '      - { to: 198.51.100.0/24, via: 192.0.2.254 }',
  '      - { to: 203.0.113.0/24, via: 203.0.113.1 }',                      // 10 sentinel
  '    rules:',
  '      - { from: 192.0.2.1, lookup: lan }',
  '      - { from: 192.0.2.2, lookup: wan }',                              // sentinel
  '    setup: [ [ip, link] ]',
  '    default-rules: { main: 32766 }',                                    // 15
  '  h2: {}',
  'links:',
  '  - [h1:eth0, h2:eth0]',
  'addresses:',
  '  h1:eth0: 192.0.2.1/24',                                             // 20
  '  h1:eth7: 192.0.2.7/24',                                             // sentinel
  'tables: { lan: 100 }',
  'recipes:',
  '  gw:',
  '    params: { via: { default: 192.0.2.254 } }',                          // 25
  '    nodes: { h1: { routes: [ { to: default, via: "${via}" } ] } }',
  'cases:',
  '  - name: c',
  '    recipe: { gw: {} }',
  '    sysctl: { h1: { net.ipv4.conf.all.rp_filter: 1 } }',               // 30
  '    nft: { h1: "table inet t {}" }',
  '    nodes: { h1: { routes: [ { to: 192.0.2.128/25, dev: eth0 } ] } }',
  '    expect: { delivered: true }',
  '    matrix:',
  '      rp: { set: h1:net.ipv4.conf.all.rp_filter, values: [0, 1] }',     // 35
  '    cells:',
  '      - where: { rp: [2] }',                                          // sentinel
  '        expect: { via: [h1:eth9] }',                                  // sentinel
  '    probes:',
  '      - name: p',                                                       // 40
  '        udp: { from: h1:192.0.2.1, to: 192.0.2.2, dev: eth5 }',         // sentinel
  '        expect: { route: { table: dmz } }',                             // sentinel
  '  - name: d',
  '    nodes: { h1: { routes: [ { to: 198.51.100.128/25, dev: eth8 } ] } }', // sentinel
  '    probes: [ { udp: { from: h1:192.0.2.1, to: 192.0.2.2 } } ]',        // 45
];

/** The paths of the problems of meaning that every variant must still report. */
const SENTINELS = [
  'nodes.h1.routes.1.via',
  'nodes.h1.rules.1.lookup',
  'addresses.h1:eth7',
  'cases.0.cells.0.where.rp.0',
  'cases.0.cells.0.expect.via.0',
  'cases.0.probes.0.udp.dev',
  'cases.0.probes.0.expect.route.table',
  'cases.1.nodes.h1.routes.0.dev',
];

/** A shape error: the line (1-based) of BASE it changes, the text it replaces there and with what, and where it is reported. */
interface Variant {
  part: string;
  line: number;
  from: string;
  to: string;
  at: string;
  /** Sentinels that ask about the malformed entry itself: left out with it. */
  lost?: string[];
}

const VARIANTS: Variant[] = [
  { part: 'devices: a wrong type', line: 5, from: 'mtu: 1400', to: 'mtu: big', at: 'nodes.h1.devices.dum0.mtu' },
  { part: 'devices: an unknown key', line: 6, from: 'mtu: 1400', to: 'mtu: 1400, colour: red', at: 'nodes.h1.devices.eth0.colour' },
  { part: 'devices: a type that does not exist', line: 5, from: 'type: dummy', to: 'type: dumy', at: 'nodes.h1.devices.dum0.type' },
  { part: 'devices: a type that is not text', line: 5, from: 'type: dummy', to: 'type: [dummy]', at: 'nodes.h1.devices.dum0.type' },
  { part: 'devices: an entry that is not a mapping', line: 5, from: '{ type: dummy, mtu: 1400 }', to: '7', at: 'nodes.h1.devices.dum0' },
  { part: 'node sysctl: a list for a value', line: 7, from: ': 1 }', to: ': [1] }', at: 'nodes.h1.sysctl' },
  { part: 'routes: an unknown key', line: 9, from: ' }', to: ', metrik: 5 }', at: 'nodes.h1.routes.0.metrik' },
  { part: 'routes: not a list', line: 16, from: '{}', to: '{ routes: 5 }', at: 'nodes.h2.routes' },
  { part: 'rules: a wrong type', line: 12, from: ' }', to: ', pref: first }', at: 'nodes.h1.rules.0.pref' },
  { part: 'setup: a number for an argument', line: 14, from: '[ip, link]', to: '[ip, 5]', at: 'nodes.h1.setup.0.1' },
  { part: 'default-rules: a word for a pref', line: 15, from: '32766', to: 'later', at: 'nodes.h1.default-rules.main' },
  { part: 'tables: a word for a number', line: 22, from: '100', to: 'many', at: 'tables.lan' },
  { part: 'recipes: an unknown key in a definition', line: 26, from: '] } }', to: '], colour: red } }', at: 'recipes.gw.nodes.h1.colour' },
  { part: 'recipe use: a list for a parameter', line: 29, from: 'gw: {}', to: 'gw: { via: [1] }', at: 'cases.0.recipe.gw.via' },
  { part: 'case sysctl: a list for a value', line: 30, from: ': 1 }', to: ': [1] }', at: 'cases.0.sysctl.h1' },
  { part: 'nft: a number for a ruleset', line: 31, from: '"table inet t {}"', to: '5', at: 'cases.0.nft.h1' },
  { part: 'case nodes: an unknown key in a route', line: 32, from: 'dev: eth0 }', to: 'dev: eth0, wieght: 1 }', at: 'cases.0.nodes.h1.routes.0.wieght' },
  { part: 'case expect: a word for true/false', line: 33, from: 'true', to: 'yes please', at: 'cases.0.expect.delivered' },
  { part: 'matrix: an unknown key in a dimension', line: 35, from: '[0, 1] }', to: '[0, 1], colour: red }', at: 'cases.0.matrix.rp.colour' },
  // The cells' where: names this dimension: with its values unreadable, which values it has is not asked.
  {
    part: 'matrix: a list in the values', line: 35, from: 'values: [0, 1]', to: 'values: [[0]]', at: 'cases.0.matrix.rp',
    lost: ['cases.0.cells.0.where.rp.0'],
  },
  { part: 'probe: an unknown key', line: 41, from: 'dev: eth5 }', to: 'dev: eth5, colour: red }', at: 'cases.0.probes.0.udp.colour' },
  { part: 'probe expect: a word for true/false', line: 42, from: '} }', to: '}, delivered: perhaps }', at: 'cases.0.probes.0.expect.delivered' },
  { part: 'timeout-ms: a word', line: 28, from: 'name: c', to: 'name: c\n    timeout-ms: long', at: 'cases.0.timeout-ms' },
];

const variant = (v: Variant): string => text(...BASE.map((l, i) => {
  if (i + 1 !== v.line) return l;
  if (!l.includes(v.from)) throw new Error(`line ${v.line} has no ${JSON.stringify(v.from)}: ${l}`);
  return l.replace(v.from, v.to);
}));

const within = (path: string, at: string): boolean => path === at || path.startsWith(`${at}.`);

t.test('the file without a shape error: exactly the sentinels', async (t) => {
  t.strictSame(problemsOf(text(...BASE)).map((p) => p.path).sort(), [...SENTINELS].sort());
});

for (const v of VARIANTS) {
  t.test(`${v.part}: every other part still checked, nothing follows on`, async (t) => {
    const problems = problemsOf(variant(v));
    const paths = problems.map((p) => p.path);
    for (const s of SENTINELS) t.equal(paths.includes(s), !v.lost?.includes(s), `${v.lost?.includes(s) ? 'left out' : 'still reported'}: ${s}`);
    const others = problems.filter((p) => !SENTINELS.includes(p.path));
    t.ok(others.some((p) => within(p.path, v.at)), `the shape error is reported at ${v.at}`);
    t.strictSame(others.filter((p) => !within(p.path, v.at)).map((p) => `${p.line}:${p.col} ${p.path}: ${p.message}`), [],
      'no other problem');
  });
}
