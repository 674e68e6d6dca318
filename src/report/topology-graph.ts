// The topology as a graph to draw (Mermaid, dot): nodes with their devices, cables, bridge ports,
// and optionally the paths probes were observed on. Pure; the drawing modules only render it.
import { formatRef } from '../model/refs.js';
import type { Scenario } from '../types/scenario.js';

export interface GraphDevice {
  /** `node:dev`, as reports name it. */
  ref: string;
  dev: string;
  addresses: string[];
}

export interface GraphNode {
  name: string;
  bridge?: string;
  /** The node forwards packets (`forwarding: true` in the topology): drawn as a router. */
  router?: boolean;
  devices: GraphDevice[];
}

/** A node's title in a drawing: its name, and whether it is a router or has a bridge. */
export const nodeTitle = (node: GraphNode): string => {
  const roles = [...(node.router ? ['router'] : []), ...(node.bridge === undefined ? [] : [`bridge ${node.bridge}`])];
  return roles.length ? `${node.name} (${roles.join(', ')})` : node.name;
};

/**
 * A cable (veth pair) between two devices, a port's membership of its node's bridge, or a radio's
 * place on a medium (`b` is the medium's id).
 */
export interface GraphEdge {
  /** stacked: a created device (macvlan, vlan, vxlan) and the device it sits on (`a` on `b`). */
  kind: 'cable' | 'bridge-port' | 'air' | 'stacked';
  a: string;
  b: string;
  /** An air edge of the access point's radio. */
  accessPoint?: boolean;
}

/** A wireless link: the medium its radios share, drawn as a node of its own. */
export interface GraphMedium {
  /** `w0` for the scenario's first wireless link, as in reports and pcap names. */
  id: string;
  /** `mesh lab-mesh, 2412 MHz`; `WPA2` when the access point has a passphrase. */
  label: string;
}

/** A probe to draw: the devices it was seen on, in travel order. */
export interface DrawnProbe {
  name: string;
  path: readonly string[];
  delivered: boolean;
  /** The path the scenario expected, when that expectation failed: drawn dashed beside the real one. */
  expected?: readonly string[];
}

/** One step of a drawn probe, from one device to the next. */
export interface Hop {
  probe: number;
  step: number;
  from: string;
  to: string;
  /** A step of the expected path, not of the observed one. */
  expected: boolean;
}

/** The probes of a case result as drawings: observed paths, and expected ones that did not hold. */
export const drawnProbes = (c: {
  probes: readonly { name: string; path: readonly string[]; delivered: boolean }[];
  expectations: readonly { what: string; expected: unknown; ok: boolean }[];
}): DrawnProbe[] =>
  c.probes.map((p) => {
    const failedPath = c.expectations.find((e) => !e.ok && e.what === `${p.name}: path`);
    const expected = Array.isArray(failedPath?.expected) ? failedPath.expected.map(String) : undefined;
    return { name: p.name, path: p.path, delivered: p.delivered, ...(expected ? { expected } : {}) };
  });

export interface TopologyGraph {
  name: string;
  nodes: GraphNode[];
  media: GraphMedium[];
  edges: GraphEdge[];
  probes: DrawnProbe[];
  hops: Hop[];
  /** Devices on some drawn path. */
  onPath: Set<string>;
  /** The last device of each probe that was not delivered (where it was last seen). */
  lost: Set<string>;
}

export type GraphScenario = Pick<Scenario, 'name' | 'nodes' | 'links' | 'addresses' | 'wireless'>;

const MODE_WORDS = { mesh: 'mesh', ibss: 'IBSS', ap: 'access point' } as const;

const splitRef = (ref: string): { node: string; dev: string } => {
  const colon = ref.indexOf(':');
  return colon < 0 ? { node: ref, dev: ref } : { node: ref.slice(0, colon), dev: ref.slice(colon + 1) };
};

export const topologyGraph = (scenario: GraphScenario, probes: readonly DrawnProbe[] = []): TopologyGraph => {
  const nodes = new Map<string, GraphNode>();
  const nodeOf = (name: string): GraphNode => {
    let node = nodes.get(name);
    if (!node) {
      node = { name, devices: [] };
      nodes.set(name, node);
    }
    return node;
  };
  const device = (ref: string): GraphDevice => {
    const { node, dev } = splitRef(ref);
    const owner = nodeOf(node);
    let d = owner.devices.find((x) => x.dev === dev);
    if (!d) {
      d = { ref, dev, addresses: [] };
      owner.devices.push(d);
    }
    return d;
  };

  const onPath = new Set(probes.flatMap((p) => p.path));
  const hasAddresses = new Set(scenario.addresses.map((a) => a.ref.node));
  for (const spec of scenario.nodes) {
    const node = nodeOf(spec.name);
    if (spec.bridge !== undefined) node.bridge = spec.bridge;
    if (spec.routing?.forwarding) node.router = true;
    // lo matters where datagrams are sent from or seen; on a switch it is noise.
    if (hasAddresses.has(spec.name) || onPath.has(`${spec.name}:lo`)) device(`${spec.name}:lo`);
    if (spec.bridge !== undefined) device(`${spec.name}:${spec.bridge}`);
    for (const d of spec.devices ?? []) if (d.type) device(`${spec.name}:${d.name}`);
  }
  const edges: GraphEdge[] = [];
  for (const link of scenario.links) {
    if (link.kind !== 'veth') continue;
    const [a, b] = link.ends.map(formatRef) as [string, string];
    device(a);
    device(b);
    edges.push({ kind: 'cable', a, b });
  }
  const media: GraphMedium[] = (scenario.wireless ?? []).map((link, l) => {
    const id = `w${l}`;
    for (const r of link.radios) {
      const ref = formatRef(r);
      device(ref);
      const ap = link.ap !== undefined && formatRef(link.ap) === ref;
      edges.push({ kind: 'air', a: ref, b: id, ...(ap ? { accessPoint: true } : {}) });
    }
    const security = link.mode === 'ap' ? (link.passphrase !== undefined ? ' (WPA2)' : ' (open)') : '';
    return { id, label: `${MODE_WORDS[link.mode]} ${link.ssid}${security}, ${link.freq} MHz` };
  });
  // Every linked port of a node with a bridge is enslaved to it (radios are not), unless its
  // `devices:` entry says `master: none` or names another bridge; created devices by their master.
  for (const spec of scenario.nodes) {
    const node = nodeOf(spec.name);
    const entry = (dev: string) => spec.devices?.find((x) => x.name === dev);
    for (const d of node.devices) {
      const e = entry(d.dev);
      const linked = d.dev !== spec.bridge && d.dev !== 'lo' && !e?.type && !edges.some((x) => x.kind === 'air' && x.a === d.ref);
      const master = e?.master === 'none' ? undefined : e?.master ?? (linked ? spec.bridge : undefined);
      if (master !== undefined) edges.push({ kind: 'bridge-port', a: d.ref, b: `${spec.name}:${master}` });
      const lower = e?.type ? e.link ?? e.dev : undefined;
      if (lower !== undefined) edges.push({ kind: 'stacked', a: d.ref, b: `${spec.name}:${lower}` });
    }
  }
  for (const a of scenario.addresses) device(formatRef(a.ref)).addresses.push(a.cidr);

  const hops: Hop[] = [];
  const lost = new Set<string>();
  const walk = (probe: number, path: readonly string[], expected: boolean): void => {
    let step = 0;
    path.forEach((ref, i) => {
      device(ref);
      const next = path[i + 1];
      if (next !== undefined && next !== ref) hops.push({ probe, step: ++step, from: ref, to: next, expected });
    });
  };
  probes.forEach((p, probe) => {
    walk(probe, p.path, false);
    if (p.expected) walk(probe, p.expected, true);
    const last = p.path[p.path.length - 1];
    if (!p.delivered && last !== undefined) lost.add(last);
  });
  return { name: scenario.name, nodes: [...nodes.values()], media, edges, probes: [...probes], hops, onPath, lost };
};

/** A hop's label: its step, prefixed by the probe's letter when several probes are drawn. */
export const hopLabel = (g: TopologyGraph, h: Hop): string =>
  `${h.expected ? 'expected ' : ''}${g.probes.length > 1 ? probeLetter(h.probe) : ''}${h.step}`;

/** The colour of expected-but-not-taken steps. */
export const EXPECTED_COLOUR = '#6e7781';

export const probeLetter = (probe: number): string => String.fromCharCode(65 + (probe % 26));

/** Colours of the drawn probes, in order; readable on GitHub's light and dark themes. */
export const PROBE_COLOURS = ['#d1242f', '#0969da', '#1a7f37', '#bf8700', '#8250df'] as const;

export const probeColour = (probe: number): string => PROBE_COLOURS[probe % PROBE_COLOURS.length] as string;
