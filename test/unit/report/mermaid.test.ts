import t from 'tap';
import { mermaidTopology } from '../../../src/report/mermaid.js';
import { topologyGraph } from '../../../src/report/topology-graph.js';
import { seedScenario } from '../fixtures.js';
import { golden } from './golden.js';
import { parseMermaid } from './mermaid-parse.js';

const WIRE = ['laptop:wlan0', 'ap:port0', 'ap:port1', 'laptop:wlan1'];

t.test('the topology: a subgraph per node, cables solid, bridge ports dotted', async (t) => {
  const text = mermaidTopology(seedScenario());
  t.equal(await parseMermaid(text), 'flowchart-v2', 'the flowchart grammar accepts it');
  t.equal(text, golden('seed.mmd', text), 'as in the golden file');
  t.match(text, /^flowchart LR\n {2}subgraph n0\["laptop"\]\n {4}d0\["lo"\]\n {4}d1\["wlan0<br\/>192\.0\.2\.1\/24"\]/);
  t.match(text, /subgraph n1\["ap \(bridge br0\)"\]/);
  t.match(text, /^ {2}d1 --- d4$/m, 'wlan0 is cabled to port0');
  t.match(text, /^ {2}d4 -\.- d3$/m, 'port0 is a port of br0');
  t.notMatch(text, /==>|linkStyle|classDef/, 'no path drawn without probes');
});

t.test('two probes, one lost, with its expected path: every part parses', async (t) => {
  const back = [...WIRE].reverse();
  const text = mermaidTopology(seedScenario(), [
    { name: 'there', path: WIRE, delivered: true },
    { name: 'back', path: ['laptop:wlan1', 'ap:port1'], delivered: false, expected: back },
  ]);
  t.equal(await parseMermaid(text), 'flowchart-v2');
  t.equal(text, golden('two-probes-one-lost.mmd', text));
  const hops = [...text.matchAll(/^ {2}(d\d) (==>|-\.->)\|"([^"]+)"\| (d\d)$/gm)].map((m) => m[3]);
  t.same(hops, ['A1', 'A2', 'A3', 'B1', 'expected B1', 'expected B2', 'expected B3']);
  // linkStyle counts every edge: 4 of the topology, then the hops in order.
  t.match(text, /linkStyle 4 stroke:#d1242f/);
  t.match(text, /linkStyle 7 stroke:#0969da/, "B's colour differs from A's");
  t.match(text, /linkStyle 8 stroke:#6e7781,stroke-width:2px,stroke-dasharray:6 4/);
  t.match(text, /class d5 lost$/m, 'ap:port1, where the lost probe was last seen');
});

t.test('devices only the observation knows, IPv6 addresses and a node without bridge', async (t) => {
  const s = seedScenario();
  s.addresses.push({ ref: { node: 'laptop', dev: 'wlan0' }, cidr: '2001:db8::1/64', address: '2001:db8::1', prefix: 64, family: 6 });
  const text = mermaidTopology(s, [{ name: 'p', path: ['laptop:wlan0', 'ap:port0', 'ap:tap9'], delivered: false }]);
  t.equal(await parseMermaid(text), 'flowchart-v2');
  t.equal(text, golden('ipv6-unknown-device.mmd', text));
  t.match(text, /wlan0<br\/>192\.0\.2\.1\/24<br\/>2001:db8::1\/64/);
  const g = topologyGraph(s, [{ name: 'p', path: ['laptop:wlan0', 'ap:port0', 'ap:tap9'], delivered: false }]);
  t.ok(g.nodes.find((n) => n.name === 'ap')?.devices.some((d) => d.ref === 'ap:tap9'), 'a device seen on the path is drawn in its node');
});

t.test('the grammar check is strict enough to catch a broken diagram', async (t) => {
  const ok = 'flowchart LR\n  subgraph n0["a"]\n    d0["lo"]\n    d1["x"]\n  end\n  d0 --- d1\n  linkStyle 0 stroke:red\n';
  t.equal(await parseMermaid(ok), 'flowchart-v2', 'the well-formed base of the broken ones below');
  await t.rejects(parseMermaid('flowchart LR\n  d0["lo] --- d1\n'), 'an unclosed label');
  await t.rejects(parseMermaid(ok.replace('stroke:red', 'stroke:red,,')), 'an empty style');
  await t.rejects(parseMermaid(ok.replace('linkStyle 0', 'linkStyle 1')), 'a linkStyle past the last edge');
  await t.rejects(parseMermaid(ok.replace('  end\n', '')), 'an open subgraph');
  await t.rejects(parseMermaid(ok.replace('d0 --- d1', 'd0 --- d9')), 'an edge to an undefined node');
  await t.rejects(parseMermaid(ok.replace('flowchart LR', 'flowchart XY')), 'a bad header');
  await t.rejects(parseMermaid(`${ok}  class d0 lost\n`), 'a class without classDef');
  await t.rejects(parseMermaid(ok.replace('d0 --- d1', 'd0 -- d1')), 'an unknown arrow');
});
