import t from 'tap';
import { parseScenario } from '../../../src/recipes/scenario.js';
import { locateCases, locationKey } from '../../../src/report/locate.js';
import { FILE, LINES, locations, scenario, YAML } from './fixtures.js';

t.test('each expectation key is located on its own line, block or flow style', async (t) => {
  const l = locations();
  const over = l.get(locationKey(FILE, 'over the wire'))!;
  t.same(over.loc, { line: LINES.overTheWire, col: 5 });
  t.same(over.expectations.get('udp 192.0.2.1 → 192.0.2.2: delivered'), { line: 17, col: 7 });
  t.same(over.expectations.get('udp 192.0.2.1 → 192.0.2.2: path'), { line: 18, col: 7 });

  const flow = l.get(locationKey(FILE, 'expects the wire # but gets lo <&>'))!;
  // `expect: { delivered: true, not-via: [laptop:lo] }`: the column of `not-via`.
  t.same(flow.expectations.get('udp 192.0.2.1 → 192.0.2.2: not-via'), { line: LINES.notVia, col: 32 });
  t.same(flow.expectations.get('udp 192.0.2.1 → 192.0.2.2: delivered'), { line: LINES.notVia, col: 15 });
});

t.test('a probe-level key is found under the probe, the rest under the case', async (t) => {
  const two = locations().get(locationKey(FILE, 'two probes'))!;
  t.equal(two.expectations.get('back: path')?.line, LINES.backPath);
  t.equal(two.expectations.get('back: delivered')?.line, LINES.backDelivered);
  t.equal(two.expectations.get('there: delivered')?.line, LINES.backDelivered);
  t.notOk(two.expectations.has('there: path'), 'the case itself expects no path');
});

t.test('without the file text, keys fall back to their expect: mapping', async (t) => {
  const yaml = `name: s
nodes: { a: {} }
links: [[a:x, a:y]]
addresses: { a:x: 192.0.2.1/24, a:y: 192.0.2.2/24 }
cases:
  - name: c
    probes: [ { udp: { from: a:192.0.2.1, to: 192.0.2.2 } } ]
    expect:
      delivered: false
`;
  const s = parseScenario(yaml, 's.yaml');
  const exact = locateCases(s, yaml).get(locationKey('s.yaml', 'c'))!;
  t.same(exact.expectations.get('udp 192.0.2.1 → 192.0.2.2: delivered'), { line: 9, col: 7 });
  const blind = locateCases(s, undefined).get(locationKey('s.yaml', 'c'))!;
  t.same(blind.expectations.get('udp 192.0.2.1 → 192.0.2.2: delivered'), { line: 9, col: 7 }, 'the mapping starts at its first key');
  const edited = locateCases(s, `# a line added since\n${yaml}`).get(locationKey('s.yaml', 'c'))!;
  t.same(edited.expectations.get('udp 192.0.2.1 → 192.0.2.2: delivered'), { line: 9, col: 7 }, 'a text that no longer matches falls back to the model');
});

t.test("a matrix cell's cells: entry wins over the case's expectation, key by key", async (t) => {
  const s = scenario();
  const c = s.cases[0]!;
  const probe = c.probes[0]!.name;
  // As the matrix expansion attaches it: a `cells:` entry overriding this probe's path. Its
  // mapping is, for this test, the block at line 31 (`path: [...]` under a probe's expect:).
  const cellExpect = { path: [{ node: 'laptop', dev: 'lo' }], loc: { line: LINES.backPath, col: 11 } };
  Object.assign(c, { overrides: [{ probes: { [probe]: cellExpect }, loc: { line: 1, col: 1 } }] });
  const where = locateCases(s, YAML).get(locationKey(FILE, c.name))!;
  t.same(where.expectations.get(`${probe}: path`), { line: LINES.backPath, col: 11 });
  t.same(where.expectations.get(`${probe}: delivered`), { line: 17, col: 7 }, 'a key the cell does not set stays where the case has it');
});
