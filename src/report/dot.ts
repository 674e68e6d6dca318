// The topology in Graphviz dot (`lab graph --format dot | dot -Tsvg`), with each drawn probe's
// path as numbered coloured arrows. Devices are named `node:dev`, nodes are clusters.
import { EXPECTED_COLOUR, hopLabel, nodeTitle, probeColour, topologyGraph, type DrawnProbe, type GraphScenario, type TopologyGraph } from './topology-graph.js';

/** A dot double-quoted string. */
const q = (text: string): string => `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')}"`;

const renderDot = (g: TopologyGraph): string => {
  const lines = [
    `digraph ${q(g.name)} {`,
    '  graph [rankdir=LR, fontname="Helvetica"];',
    '  node [shape=box, style="rounded,filled", fillcolor="white", fontname="Helvetica"];',
    '  edge [fontname="Helvetica"];',
  ];
  g.nodes.forEach((node, n) => {
    const title = nodeTitle(node);
    lines.push(`  subgraph cluster_${n} {`, `    label=${q(title)};`);
    for (const d of node.devices) {
      const style = g.lost.has(d.ref)
        ? ', color="#d1242f", fillcolor="#ffebe9", penwidth=2, style="rounded,filled,dashed"'
        : g.onPath.has(d.ref)
          ? ', color="#9a6700", fillcolor="#fff8c5", penwidth=2'
          : '';
      lines.push(`    ${q(d.ref)} [label=${q([d.dev, ...d.addresses].join('\n'))}${style}];`);
    }
    lines.push('  }');
  });
  // A medium is an ellipse that its radios hang from.
  for (const m of g.media) lines.push(`  ${q(m.id)} [label=${q(m.label)}, shape=ellipse, style="dashed"];`);
  for (const e of g.edges) {
    const style = e.kind === 'bridge-port' ? ', style=dashed' : e.kind === 'stacked' ? ', style=bold, label="on"' : e.kind === 'air' ? `, style=dotted${e.accessPoint ? ', label="AP"' : ''}` : '';
    lines.push(`  ${q(e.a)} -> ${q(e.b)} [dir=none${style}];`);
  }
  for (const h of g.hops) {
    const colour = q(h.expected ? EXPECTED_COLOUR : probeColour(h.probe));
    const style = h.expected ? 'style=dashed, penwidth=1.5' : 'penwidth=2.5';
    lines.push(`  ${q(h.from)} -> ${q(h.to)} [label=${q(hopLabel(g, h))}, color=${colour}, fontcolor=${colour}, ${style}, constraint=false];`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
};

/** `lab graph --format dot`: the scenario's topology, with the probes' paths if given. */
export const dotTopology = (scenario: GraphScenario, probes: readonly DrawnProbe[] = []): string =>
  renderDot(topologyGraph(scenario, probes));
