// The topology as a Mermaid flowchart (GitHub renders ```mermaid blocks in Markdown and job
// summaries), with each drawn probe's path as numbered thick arrows.
import { EXPECTED_COLOUR, hopLabel, nodeTitle, probeColour, topologyGraph, type DrawnProbe, type GraphScenario, type TopologyGraph } from './topology-graph.js';

/** Mermaid's entity for a double quote; nothing else in lab's names needs escaping. */
const label = (text: string): string => `"${text.replaceAll('"', '#quot;')}"`;

const renderMermaid = (g: TopologyGraph): string => {
  const ids = new Map<string, string>();
  const lines = ['flowchart LR'];
  g.nodes.forEach((node, n) => {
    const title = nodeTitle(node);
    lines.push(`  subgraph n${n}[${label(title)}]`);
    for (const d of node.devices) {
      const id = `d${ids.size}`;
      ids.set(d.ref, id);
      lines.push(`    ${id}[${label([d.dev, ...d.addresses].join('<br/>'))}]`);
    }
    lines.push('  end');
  });
  // A medium is a circle that its radios hang from.
  g.media.forEach((m, i) => {
    ids.set(m.id, `m${i}`);
    lines.push(`  m${i}((${label(m.label)}))`);
  });
  const id = (ref: string): string => ids.get(ref) ?? 'unknown';
  for (const e of g.edges) {
    if (e.kind === 'air') lines.push(`  ${id(e.a)} -.-${e.accessPoint ? `|${label('AP')}|` : ''} ${id(e.b)}`);
    else lines.push(`  ${id(e.a)} ${e.kind === 'cable' ? '---' : '-.-'} ${id(e.b)}`);
  }
  // linkStyle addresses edges by their position, hops come after the topology's edges.
  g.hops.forEach((h, i) => {
    const arrow = h.expected ? '-.->' : '==>';
    lines.push(`  ${id(h.from)} ${arrow}|${label(hopLabel(g, h))}| ${id(h.to)}`);
    const style = h.expected
      ? `stroke:${EXPECTED_COLOUR},stroke-width:2px,stroke-dasharray:6 4,color:${EXPECTED_COLOUR}`
      : `stroke:${probeColour(h.probe)},stroke-width:3px,color:${probeColour(h.probe)}`;
    lines.push(`  linkStyle ${g.edges.length + i} ${style}`);
  });
  const onPath = [...g.onPath].filter((r) => !g.lost.has(r)).map(id);
  if (onPath.length) {
    lines.push('  classDef onpath fill:#fff8c5,stroke:#9a6700,stroke-width:2px');
    lines.push(`  class ${onPath.join(',')} onpath`);
  }
  if (g.lost.size) {
    lines.push('  classDef lost fill:#ffebe9,stroke:#d1242f,stroke-width:2px,stroke-dasharray:4 2');
    lines.push(`  class ${[...g.lost].map(id).join(',')} lost`);
  }
  return `${lines.join('\n')}\n`;
};

/** `lab graph --format mermaid`: the scenario's topology, with the probes' paths if given. */
export const mermaidTopology = (scenario: GraphScenario, probes: readonly DrawnProbe[] = []): string =>
  renderMermaid(topologyGraph(scenario, probes));
