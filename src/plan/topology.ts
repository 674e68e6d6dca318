import type { Case, Scenario } from '../types/scenario.js';
import { attributeOps, createOps, isUp, masterOf, vlanOps, withNodeDevices } from './devices.js';
import type { Op, Topology, TopologyDevice } from '../types/plan.js';

/** Every device of the scenario's topology, `lo` included, in declaration order per node. */
export const topologyOf = (scenario: Scenario): Topology => {
  const devices: TopologyDevice[] = [];
  for (const node of scenario.nodes) {
    devices.push({ node: node.name, dev: 'lo', kind: 'loopback' });
    if (node.bridge) devices.push({ node: node.name, dev: node.bridge, kind: 'bridge' });
  }
  for (const link of scenario.links) {
    const [a, b] = link.ends;
    for (const [end, peer] of [[a, b], [b, a]] as const) {
      const bridge = scenario.nodes.find((n) => n.name === end.node)?.bridge;
      devices.push({
        node: end.node,
        dev: end.dev,
        kind: 'veth',
        peer: { node: peer.node, dev: peer.dev },
        ...(bridge ? { master: bridge } : {}),
      });
    }
  }
  const withCreated = withNodeDevices(devices, scenario.nodes);
  const order = new Map(scenario.nodes.map((n, i) => [n.name, i]));
  withCreated.sort((x, y) => (order.get(x.node) ?? 0) - (order.get(y.node) ?? 0));
  return { nodes: scenario.nodes.map((n) => n.name), devices: withCreated };
};

/**
 * Ops that build the topology inside already created namespaces. `netnsOf` names the namespace
 * of a node: a veth's far end is created straight into its peer's namespace, so nothing ever
 * appears in the root namespace. Ops are grouped by node in three waves (node-local devices;
 * veth pairs; enslaving, addresses and links up): each wave is one batch per node, and the
 * nodes' batches of a wave run side by side.
 */
export const topologyOps = (scenario: Scenario, netnsOf: (node: string) => string): Op[] => {
  const ops: Op[] = [];
  const ends = scenario.links.flatMap((l) => l.ends);
  for (const node of scenario.nodes) {
    if (isUp(node, 'lo')) ops.push({ node: node.name, argv: ['ip', 'link', 'set', 'dev', 'lo', 'up'], wave: 1 });
    if (node.bridge) {
      ops.push({ node: node.name, argv: ['ip', 'link', 'add', 'name', node.bridge, 'type', 'bridge'], wave: 1 });
    }
  }
  for (const node of scenario.nodes) {
    for (const link of scenario.links.filter((l) => l.ends[0].node === node.name)) {
      const [a, b] = link.ends;
      const peer = a.node === b.node ? [] : ['netns', netnsOf(b.node)];
      ops.push({ node: a.node, argv: ['ip', 'link', 'add', 'name', a.dev, 'type', 'veth', 'peer', 'name', b.dev, ...peer], wave: 2 });
    }
  }
  ops.push(...noDadOps(scenario));
  for (const node of scenario.nodes) {
    const mine = ends.filter((e) => e.node === node.name);
    const op = (argv: string[]): Op => ({ node: node.name, argv, wave: 3 });
    const inWave = (o: Op): Op => ({ ...o, wave: 3 });
    // devices: created (each after the device it sits on), attributes, enslaving, port VLANs.
    ops.push(...createOps(node).map(inWave), ...attributeOps(node).map(inWave));
    const created = (node.devices ?? []).filter((d) => d.type).map((d) => d.name);
    for (const dev of [...(node.bridge ? [node.bridge] : []), ...mine.map((e) => e.dev), ...created]) {
      const master = masterOf(node, dev, mine.some((e) => e.dev === dev));
      if (master) ops.push(op(['ip', 'link', 'set', 'dev', dev, 'master', master]));
    }
    ops.push(...vlanOps(node).map(inWave));
    for (const a of scenario.addresses.filter((x) => x.ref.node === node.name)) {
      // IPv6 duplicate address detection would hold the address tentative for a second or more.
      const nodad = a.family === 6 ? ['nodad'] : [];
      ops.push(op(['ip', 'addr', 'add', a.cidr, 'dev', a.ref.dev, ...nodad]));
    }
    const up = [...(node.bridge ? [node.bridge] : []), ...mine.map((e) => e.dev), ...created].filter((dev) => isUp(node, dev));
    for (const dev of up) ops.push(op(['ip', 'link', 'set', 'dev', dev, 'up']));
  }
  return ops;
};

/**
 * Duplicate address detection off on every device, before any link comes up, in a scenario that
 * has IPv6 addresses: their link-local addresses are usable at once, as `nodad` makes the others.
 * Measured by hand (h1 — r1 — h2, r1 forwarding, kernel 6.18): with DAD, r1's link-local
 * address on eth1 stayed tentative for ~1.6–2 s after the links came up (optimistic DAD alike),
 * and while it is, the kernel sends no neighbour solicitation for a forwarded packet (its source
 * is not r1's, and a tentative or optimistic link-local address may not be one), so the
 * datagram from h1 to h2 waited until ~2.6 s; with accept_dad=0 set per device before the links
 * came up, r1 solicited h2 and the datagram arrived at once. `default.accept_dad` would have to
 * be set before the devices exist, which are created straight into the namespaces. An op of
 * wave 2 that is not a device runs after the devices exist and before wave 3 (`hostOrder`).
 */
export const noDadOps = (scenario: Scenario): Op[] => {
  if (!scenario.addresses.some((a) => a.family === 6)) return [];
  const topology = topologyOf(scenario);
  return scenario.nodes.flatMap((node) =>
    topology.devices
      .filter((d) => d.node === node.name && d.kind !== 'loopback')
      // sysctl(8) spells a dot of a device name as a slash.
      .map((d) => ({ node: node.name, argv: ['sysctl', '-q', '-w', `net.ipv6.conf.${d.dev.replace(/\./g, '/')}.accept_dad=0`], wave: 2 })),
  );
};

export const sysctlOps = (c: Case): Op[] =>
  c.sysctls.map((s) => ({
    node: s.node,
    argv: ['sysctl', '-q', '-w', `${s.key}=${s.value}`],
    why: 'case-level sysctl, applied after the recipe',
  }));

/** The case's own nftables rulesets (firewalls under test), loaded last. */
export const nftOps = (c: Case): Op[] =>
  c.nft.map((n) => ({ node: n.node, argv: ['nft', '-f', '-'], input: n.ruleset, why: 'case-level nftables ruleset' }));
