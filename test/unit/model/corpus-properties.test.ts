// Property-based tests of the loader (fast-check): whatever the text, it returns a scenario or
// throws a ScenarioError whose problems are located in the file; nothing unsafe ever loads; and
// valid generated topologies do load.
import fc from 'fast-check';
import t from 'tap';
import { parse as parseYaml, stringify } from 'yaml';
import { ScenarioError } from '../../../src/errors.js';
import { parseScenario } from '../../../src/model/load.js';
import { DEVICE_NAME, NODE_NAME } from '../../../src/model/names.js';
import type { Scenario } from '../../../src/types/scenario.js';
import { planCase } from '../../../src/plan/plan.js';
import { baseText } from './corpus.js';

const FILE = 'prop.yaml';

/** The loader's contract for one text; returns the scenario when it loaded. */
const loadOrProblems = (text: string): Scenario | undefined => {
  try {
    return parseScenario(text, FILE);
  } catch (err) {
    if (!(err instanceof ScenarioError)) throw err;
    const lines = text.split('\n').length;
    if (err.problems.length === 0) throw new Error('a ScenarioError without problems');
    for (const p of err.problems) {
      if (p.file !== FILE || p.line < 1 || p.line > lines + 1 || p.col < 1 || !p.message.trim()) {
        throw new Error(`badly located problem: ${JSON.stringify(p)}`);
      }
    }
    return undefined;
  }
};

/** Names are letters, digits and a few marks; values (sysctl) may have spaces but no control characters. */
const SAFE_ARG = /^[A-Za-z0-9_.:/=,@%+ -]*$|^net\.ipv[46]\.[A-Za-z0-9_.-]+=[^\u0000-\u001f\u007f]*$/;

/** Nothing that loads can smuggle unsafe text into namespace names, device names or argv. */
const assertSafe = (s: Scenario): void => {
  for (const n of s.nodes) {
    if (!NODE_NAME.test(n.name)) throw new Error(`unsafe node name loaded: ${JSON.stringify(n.name)}`);
    if (n.bridge !== undefined && !DEVICE_NAME.test(n.bridge)) throw new Error(`unsafe bridge loaded: ${n.bridge}`);
  }
  for (const l of s.links) {
    for (const end of l.ends) {
      if (!NODE_NAME.test(end.node) || !DEVICE_NAME.test(end.dev)) throw new Error(`unsafe link end loaded: ${JSON.stringify(end)}`);
    }
  }
  s.cases.forEach((_, i) => {
    const plan = planCase(s, i, 'lab-abc123');
    for (const { netns } of plan.namespaces) {
      if (!/^lab-abc123-c\d+-[A-Za-z0-9_-]+$/.test(netns)) throw new Error(`unsafe namespace name ${netns}`);
    }
    for (const op of plan.ops) {
      for (const arg of op.argv) {
        if (!SAFE_ARG.test(arg)) throw new Error(`unsafe argv element ${JSON.stringify(arg)} in ${op.argv.join(' ')}`);
      }
    }
  });
};

const check = (text: string): boolean => {
  const s = loadOrProblems(text);
  if (s) assertSafe(s);
  return true;
};

t.test('any text at all: a scenario or located problems, never a crash', async (t) => {
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 400 }), check), { numRuns: 300 });
  t.pass('300 arbitrary texts');
});

const TOKENS = [
  'name: x', 'nodes:', 'links:', 'addresses:', 'cases:', 'probes:', 'recipe:', 'sysctl:', 'expect:',
  '  ', '    ', '- ', '[', ']', '{', '}', ': ', ', ', '\n', '\t', '"', "'", '#', '&a ', '*a', '!!str ',
  '|', '>', '---', '? ', 'laptop', 'ap', 'laptop:wlan0', 'ap:port0', '192.0.2.1/24', '192.0.2.2',
  'udp: ', 'from: laptop:192.0.2.1', 'to: 192.0.2.2', 'accept-local', 'bridge: br0', 'name: c',
  'true', 'null', '0', '-1', '1e999', '.nan', '\\u0000', '%YAML 1.2', '~', '<<: *a',
];

t.test('YAML-like token soup: a scenario or located problems, never a crash', async (t) => {
  const soup = fc.array(fc.constantFrom(...TOKENS), { maxLength: 60 }).map((parts) => parts.join(''));
  fc.assert(fc.property(soup, check), { numRuns: 600 });
  t.pass('600 token soups');
});

/** Arbitrary values where the schema expects names, lists and mappings. */
const scenarioShaped = fc.record(
  {
    name: fc.oneof(fc.string(), fc.anything()),
    nodes: fc.oneof(fc.dictionary(fc.string({ maxLength: 20 }), fc.oneof(fc.constant({}), fc.record({ bridge: fc.string() }), fc.anything())), fc.anything()),
    links: fc.oneof(fc.array(fc.array(fc.string({ maxLength: 20 }), { maxLength: 3 })), fc.anything()),
    addresses: fc.oneof(fc.dictionary(fc.string({ maxLength: 20 }), fc.oneof(fc.string(), fc.array(fc.string()))), fc.anything()),
    cases: fc.oneof(
      fc.array(fc.record({ name: fc.string(), probes: fc.anything(), expect: fc.anything(), recipe: fc.anything(), sysctl: fc.anything() }, { requiredKeys: [] }), { maxLength: 3 }),
      fc.anything(),
    ),
  },
  { requiredKeys: [] },
);

t.test('arbitrary values in a scenario-shaped document: a scenario or located problems', async (t) => {
  fc.assert(fc.property(scenarioShaped, (doc) => check(stringify(doc))), { numRuns: 400 });
  t.pass('400 documents');
});

/** Every path of a JSON value: where a mutation can go. */
const pathsOf = (value: unknown, prefix: (string | number)[] = []): (string | number)[][] => {
  const here = [prefix];
  if (Array.isArray(value)) return [...here, ...value.flatMap((v, i) => pathsOf(v, [...prefix, i]))];
  if (value !== null && typeof value === 'object') {
    return [...here, ...Object.entries(value).flatMap(([k, v]) => pathsOf(v, [...prefix, k]))];
  }
  return here;
};

const withValueAt = (doc: unknown, path: (string | number)[], value: unknown): unknown => {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  const copy: any = Array.isArray(doc) ? [...doc] : { ...(doc as object) };
  copy[head as string] = withValueAt(copy[head as string], rest, value);
  return copy;
};

t.test('the base scenario with any one value replaced: a scenario or located problems, and nothing unsafe loads', async (t) => {
  const base: unknown = parseYaml(baseText());
  const paths = pathsOf(base);
  const replacement = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.string({ unit: 'binary', maxLength: 30 }),
    fc.constantFrom('a'.repeat(16), '../x', 'a b', '$(id)', 'lo', 'all', 'laptop:lo', 'laptop:wlan0', '192.0.2.1/24', ''),
  );
  fc.assert(
    fc.property(fc.nat({ max: paths.length - 1 }), replacement, (i, value) => check(stringify(withValueAt(base, paths[i]!, value)))),
    { numRuns: 800 },
  );
  t.pass(`800 mutations over ${paths.length} places`);
});

/** `value` with `from` replaced by `to` in every key and string. */
const renamed = (value: unknown, from: string, to: string): unknown => {
  if (typeof value === 'string') return value.replaceAll(from, to);
  if (Array.isArray(value)) return value.map((v) => renamed(v, from, to));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.replaceAll(from, to), renamed(v, from, to)]));
  }
  return value;
};

t.test('a node or device name loads only if it is safe and fits IFNAMSIZ', async (t) => {
  const base: unknown = parseYaml(baseText());
  const name = fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }), fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,16}$/));
  let loaded = 0;
  fc.assert(
    fc.property(name, (n) => {
      if (loadOrProblems(stringify(renamed(base, 'laptop', n)))) {
        loaded++;
        if (!NODE_NAME.test(n)) throw new Error(`node name ${JSON.stringify(n)} loaded`);
      }
      if (loadOrProblems(stringify(renamed(base, 'wlan0', n)))) {
        loaded++;
        if (!DEVICE_NAME.test(n)) throw new Error(`device name ${JSON.stringify(n)} loaded`);
      }
      return true;
    }),
    { numRuns: 400 },
  );
  t.ok(loaded > 0, `${loaded} of 800 renamed scenarios loaded: the property is not vacuous`);
});

/** A valid topology: chains of nodes linked in a line, addresses from 192.0.2.0/24. */
const validScenario = fc
  .uniqueArray(fc.stringMatching(/^[a-z][a-z0-9_-]{0,9}$/), { minLength: 2, maxLength: 6 })
  .chain((nodes) => fc.record({ nodes: fc.constant(nodes), bridges: fc.array(fc.boolean(), { minLength: nodes.length, maxLength: nodes.length }) }))
  .map(({ nodes, bridges }) => {
    const links = nodes.slice(1).map((n, i) => [`${nodes[i]}:r${i}`, `${n}:l${i}`] as const);
    const addresses = Object.fromEntries(links.flatMap(([a, b], i) => [[a, `192.0.2.${2 * i + 1}/31`], [b, `192.0.2.${2 * i + 2}/31`]]));
    const first = links[0]!;
    return {
      doc: {
        name: 'generated',
        nodes: Object.fromEntries(nodes.map((n, i) => [n, bridges[i] ? { bridge: 'br0' } : {}])),
        links: links.map(([a, b]) => [a, b]),
        addresses,
        cases: [{ name: 'first hop', probes: [{ udp: { from: `${nodes[0]}:192.0.2.1`, to: '192.0.2.2' } }], expect: { via: [first[0]] } }],
      },
      nodes,
      links: links.length,
    };
  });

t.test('valid generated topologies load, with every node and link', async (t) => {
  fc.assert(
    fc.property(validScenario, ({ doc, nodes, links }) => {
      const s = parseScenario(stringify(doc), FILE);
      assertSafe(s);
      return s.nodes.map((n) => n.name).join() === nodes.join() && s.links.length === links;
    }),
    { numRuns: 200 },
  );
  t.pass('200 topologies');
});
