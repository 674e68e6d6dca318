import t from 'tap';
import { parseScenario } from '../../../src/recipes/scenario.js';
import { topologyGraph } from '../../../src/report/topology-graph.js';
import { FILE, text } from '../model/fixtures/helpers.js';

t.test('lab graph draws created devices, what they sit on, and every bridge port by its master', async (t) => {
  const s = parseScenario(text(
    'name: g',
    'nodes:',
    '  h1:',
    '    bridge: br0',
    '    devices:',
    '      mv0: { type: macvlan, link: eth2 }',
    '      br1: { type: bridge }',
    '      eth1: { master: br1 }',
    '      eth2: { master: none }',
    '  h2: {}',
    'links:',
    '  - [h1:eth0, h2:eth0]',
    '  - [h1:eth1, h2:eth1]',
    '  - [h1:eth2, h2:eth2]',
    'cases:',
    '  - name: c',
    '    probes: [ { udp: { from: h1:192.0.2.1, to: 192.0.2.2 } } ]',
    'addresses:',
    '  h1:mv0: 192.0.2.1/24',
  ), FILE);
  const g = topologyGraph(s);
  t.same(g.edges.filter((e) => e.kind !== 'cable').map((e) => `${e.a} ${e.kind} ${e.b}`).sort(), [
    'h1:eth0 bridge-port h1:br0',
    'h1:eth1 bridge-port h1:br1',
    'h1:mv0 stacked h1:eth2',
  ]);
});
