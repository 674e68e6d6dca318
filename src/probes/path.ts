import type { Topology, TopologyDevice } from '../types/plan.js';
import type { DeviceCount } from '../types/observation.js';

export type DeviceCounts = ReadonlyMap<string, DeviceCount>;

/** A passage of the datagram: sent (tx) or received (rx) by one device. */
interface Passage {
  key: string;
  dir: 'tx' | 'rx';
}

const keyOf = (d: { node: string; dev: string }): string => `${d.node}:${d.dev}`;

/**
 * What can follow a passage. The counters say which devices saw the datagram but not when; the
 * order comes from the wiring: a frame sent by a veth end is received by its peer, a frame
 * received by a bridge port leaves through other ports of that bridge (or goes up to the bridge
 * device), and a packet received by a routed device of a node leaves through another device of
 * that node.
 */
const wiredSuccessors = (p: Passage, byKey: Map<string, TopologyDevice>, topology: Topology): Passage[] => {
  const d = byKey.get(p.key);
  if (!d) return [];
  const sameNode = topology.devices.filter((o) => o.node === d.node);
  if (p.dir === 'tx') {
    if (d.kind === 'loopback') return [{ key: p.key, dir: 'rx' }];
    if (d.kind === 'veth' && d.peer) return [{ key: keyOf(d.peer), dir: 'rx' }];
    if (d.kind === 'radio') {
      // Over the air: every other radio of the medium may receive it; an access point relays it (tx again).
      const air = topology.devices.filter((o) => o.kind === 'radio' && o.medium === d.medium && keyOf(o) !== p.key);
      return [...air.filter((o) => o.accessPoint).map((o): Passage => ({ key: keyOf(o), dir: 'tx' })), ...air.map((o): Passage => ({ key: keyOf(o), dir: 'rx' }))];
    }
    if (d.kind === 'bridge') {
      return sameNode.filter((o) => o.master === d.dev).map((o) => ({ key: keyOf(o), dir: 'tx' }));
    }
    if (d.kind === 'macvlan') {
      // Measured (nft netdev hooks, kernel 6.18): a macvlan's transmission is seen on its egress,
      // then on its lower device's egress; in bridge mode a sibling on the same lower may take it.
      const siblings = sameNode.filter((o) => o.kind === 'macvlan' && o.lower === d.lower && o.dev !== d.dev);
      return [...siblings.map((o): Passage => ({ key: keyOf(o), dir: 'rx' })), ...(d.lower ? [{ key: `${d.node}:${d.lower}`, dir: 'tx' } as Passage] : [])];
    }
    if (d.kind === 'vxlan') {
      // Measured: the inner datagram is seen on the sending vxlan's egress and the receiving one's
      // ingress; on the underlay devices it is UDP to the vxlan port, which the probe's rule does not match.
      return topology.devices
        .filter((o) => o.kind === 'vxlan' && o.vni === d.vni && keyOf(o) !== p.key)
        .map((o) => ({ key: keyOf(o), dir: 'rx' }));
    }
    if (d.kind === 'vlan' && d.lower) {
      // Counted in a VM (Debian 6.1; this kernel has no 8021q): the probe on the vlan's egress and
      // on its lower's (the tag travels out of band, so the rule still matches), as for a macvlan.
      return [{ key: `${d.node}:${d.lower}`, dir: 'tx' }];
    }
    // A dummy sends nowhere.
    return [];
  }
  // Measured: a frame received by a macvlan's (or vlan's) lower device is seen on the lower's
  // ingress, then on the upper device's ingress.
  const uppers = sameNode
    .filter((o) => (o.kind === 'macvlan' || o.kind === 'vlan') && o.lower === d.dev)
    .map((o): Passage => ({ key: keyOf(o), dir: 'rx' }));
  if (d.master) {
    return [...uppers, ...sameNode
      .filter((o) => (o.master === d.master && o.dev !== d.dev) || o.dev === d.master)
      .map((o): Passage => ({ key: keyOf(o), dir: o.dev === d.master ? 'rx' : 'tx' }))];
  }
  return [...uppers, ...sameNode.filter((o) => !o.master && o.dev !== d.dev).map((o): Passage => ({ key: keyOf(o), dir: 'tx' }))];
};

/**
 * The wiring, plus tc redirects: an egress redirected to another device (tc mirred) leaves by that
 * device unseen (the redirect skips its netfilter egress hook), so the walk goes on from what that
 * device's transmission reaches.
 */
const successors = (p: Passage, byKey: Map<string, TopologyDevice>, topology: Topology): Passage[] => {
  const d = byKey.get(p.key);
  const redirected = p.dir === 'tx' && d?.redirect
    ? d.redirect.flatMap((dev) => wiredSuccessors({ key: `${d.node}:${dev}`, dir: 'tx' }, byKey, topology))
    : [];
  return [...wiredSuccessors(p, byKey, topology), ...redirected];
};

/**
 * The devices the datagram crossed, in travel order. Starts from what the sending node
 * transmitted and follows the wiring through devices that counted the datagram; devices that
 * counted it but cannot be reached that way are appended, so nothing seen is hidden.
 * Consecutive passages of one device (tx then rx on lo) appear once.
 */
export const derivePath = (topology: Topology, counts: DeviceCounts, senderNode: string): string[] => {
  const byKey = new Map(topology.devices.map((d) => [keyOf(d), d]));
  const seen = (p: Passage): boolean => (counts.get(p.key)?.[p.dir] ?? 0) > 0;
  const id = (p: Passage): string => `${p.key}/${p.dir}`;
  const visited = new Set<string>();
  const order: Passage[] = [];

  const walk = (start: Passage): void => {
    const queue = [start];
    visited.add(id(start));
    while (queue.length > 0) {
      const p = queue.shift() as Passage;
      order.push(p);
      for (const next of successors(p, byKey, topology)) {
        if (seen(next) && !visited.has(id(next))) {
          visited.add(id(next));
          queue.push(next);
        }
      }
    }
  };

  const senderTx = topology.devices
    .filter((d) => d.node === senderNode)
    .map((d): Passage => ({ key: keyOf(d), dir: 'tx' }))
    .filter(seen);
  // A transmission that follows another one of the sender (a macvlan's lower after the macvlan) is
  // not where the walk starts.
  const followers = new Set(senderTx.flatMap((p) => successors(p, byKey, topology)).map(id));
  const starts = [...senderTx.filter((p) => !followers.has(id(p))), ...senderTx.filter((p) => followers.has(id(p)))];
  for (const start of starts) if (!visited.has(id(start))) walk(start);
  for (const d of topology.devices) {
    for (const dir of ['tx', 'rx'] as const) {
      const p = { key: keyOf(d), dir };
      if (seen(p) && !visited.has(id(p))) walk(p);
    }
  }

  const path: string[] = [];
  for (const p of order) if (path[path.length - 1] !== p.key) path.push(p.key);
  return path;
};
