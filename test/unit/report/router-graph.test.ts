// lab graph draws a node with forwarding: true as a router.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { parseScenario } from '../../../src/recipes/scenario.js';
import { dotTopology } from '../../../src/report/dot.js';
import { mermaidTopology } from '../../../src/report/mermaid.js';
import { nodeTitle, topologyGraph } from '../../../src/report/topology-graph.js';

const FILE = 'test/integration/fixtures/routing-router.yaml';

t.test('a forwarding node is titled a router in Mermaid and dot; the others are not', async (t) => {
  const s = parseScenario(readFileSync(FILE, 'utf8'), FILE);
  t.same(topologyGraph(s).nodes.map(nodeTitle), ['h1', 'r1 (router)', 'h2']);
  t.match(mermaidTopology(s), /subgraph n1\["r1 \(router\)"\]/);
  t.match(dotTopology(s), /label="r1 \(router\)"/);
  t.equal(nodeTitle({ name: 'sw', bridge: 'br0', router: true, devices: [] }), 'sw (router, bridge br0)');
  t.equal(nodeTitle({ name: 'sw', bridge: 'br0', devices: [] }), 'sw (bridge br0)');
});
