// Which devices share a link with a device: the frames one of them sends at the link layer (an ARP
// request, a neighbour solicitation) can reach the others without a router. Pure: from the
// topology's wiring only, the same wiring src/probes/path.ts follows for a probe's datagram.
import type { Topology, TopologyDevice } from '../types/plan.js';

const keyOf = (d: { node: string; dev: string }): string => `${d.node}:${d.dev}`;

/** The devices one frame can pass to in one step, in either direction, without being routed. */
const adjacent = (d: TopologyDevice, topology: Topology): string[] => {
  const sameNode = topology.devices.filter((o) => o.node === d.node && o.dev !== d.dev);
  const out: string[] = [];
  if (d.peer) out.push(keyOf(d.peer));
  // A bridge and its ports are one link; so are a macvlan or vlan and its lower device.
  if (d.kind === 'bridge') out.push(...sameNode.filter((o) => o.master === d.dev).map(keyOf));
  if (d.master) out.push(...sameNode.filter((o) => o.dev === d.master || o.master === d.master).map(keyOf));
  if (d.lower) out.push(`${d.node}:${d.lower}`);
  out.push(...sameNode.filter((o) => o.lower === d.dev && (o.kind === 'macvlan' || o.kind === 'vlan')).map(keyOf));
  if (d.kind === 'vxlan') out.push(...topology.devices.filter((o) => o.kind === 'vxlan' && o.vni === d.vni).map(keyOf));
  if (d.kind === 'radio') out.push(...topology.devices.filter((o) => o.kind === 'radio' && o.medium === d.medium).map(keyOf));
  return out;
};

/**
 * The devices on the link of `node:dev`, the device itself included (a set of `node:dev`). A
 * loopback device shares its link with nobody; an unknown device gives the device alone.
 */
export const linkSegment = (topology: Topology, node: string, dev: string): Set<string> => {
  const byKey = new Map(topology.devices.map((d) => [keyOf(d), d]));
  const start = `${node}:${dev}`;
  const seen = new Set([start]);
  const todo = [start];
  for (let key = todo.pop(); key !== undefined; key = todo.pop()) {
    const d = byKey.get(key);
    if (!d || d.kind === 'loopback') continue;
    for (const next of adjacent(d, topology)) {
      if (!seen.has(next)) {
        seen.add(next);
        todo.push(next);
      }
    }
  }
  return seen;
};
