import { Graphviz } from '@hpcc-js/wasm-graphviz';
import t from 'tap';
import { dotTopology } from '../../../src/report/dot.js';
import { seedScenario } from '../fixtures.js';

const WIRE = ['laptop:wlan0', 'ap:port0', 'ap:port1', 'laptop:wlan1'];

t.test('the topology in dot, laid out by Graphviz itself', async (t) => {
  const graphviz = await Graphviz.load();
  const dot = dotTopology(seedScenario());
  // Graphviz's JSON output names every node and edge it laid out.
  const laid = JSON.parse(graphviz.dot(dot, 'json')) as { objects: { name: string; label?: string }[]; edges?: { tail: number; head: number }[] };
  const names = laid.objects.map((o) => o.name);
  t.same(names.filter((n) => n.startsWith('cluster_')).length, 2, 'a cluster per node');
  for (const d of ['laptop:lo', 'laptop:wlan0', 'laptop:wlan1', 'ap:br0', 'ap:port0', 'ap:port1']) t.ok(names.includes(d), `${d} is drawn`);
  t.notOk(names.includes('ap:lo'), 'a switch without addresses has no lo drawn');
  const edge = (e: { tail: number; head: number }) => `${laid.objects[e.tail]?.name} ${laid.objects[e.head]?.name}`;
  t.same(laid.edges?.map(edge), ['laptop:wlan0 ap:port0', 'laptop:wlan1 ap:port1', 'ap:port0 ap:br0', 'ap:port1 ap:br0']);
});

t.test('the observed path is drawn as numbered arrows; a failed expected path dashed', async (t) => {
  const graphviz = await Graphviz.load();
  const dot = dotTopology(seedScenario(), [
    { name: 'there', path: ['laptop:wlan0'], delivered: false, expected: WIRE },
  ]);
  t.match(dot, /"laptop:wlan0" \[label="wlan0\\n192\.0\.2\.1\/24", color="#d1242f", fillcolor="#ffebe9"/, 'last seen here, not delivered');
  const svg = graphviz.dot(dot, 'svg');
  t.match(svg, /<title>laptop:wlan0&#45;&gt;ap:port0<\/title>[\s\S]*?stroke-dasharray/, 'the expected step is dashed');
  t.match(svg, />expected 3</);

  const delivered = dotTopology(seedScenario(), [{ name: 'p', path: WIRE, delivered: true }]);
  const hops = [...delivered.matchAll(/^ {2}"([^"]+)" -> "([^"]+)" \[label="(\d)"/gm)].map((m) => `${m[3]} ${m[1]}→${m[2]}`);
  t.same(hops, ['1 laptop:wlan0→ap:port0', '2 ap:port0→ap:port1', '3 ap:port1→laptop:wlan1']);
  t.doesNotThrow(() => graphviz.dot(delivered, 'svg'));
});

t.test('names are quoted, so dot syntax in them cannot break the graph', async (t) => {
  const graphviz = await Graphviz.load();
  const s = { ...seedScenario(), name: 'a "quoted" {name}; -> x' };
  t.doesNotThrow(() => graphviz.dot(dotTopology(s), 'svg'));
  t.match(dotTopology(s), /^digraph "a \\"quoted\\" \{name\}; -> x" \{/);
});
