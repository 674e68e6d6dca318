// Whose neighbour entry tells why a datagram never left the sender: the route decision's gateway
// when it has one, the destination itself only on a link route. A datagram routed via a gateway
// waits for the gateway's link-layer address, never the destination's (measured: 2001:db8:3::1
// via the absent 2001:db8:2::3 on eth1: `neigh show to 2001:db8:2::3` is FAILED after the send,
// `neigh show to 2001:db8:3::1` is empty; fib_tests.sh ipv6_rt_add). Pure.
import type { RouteDecision } from '../types/observation.js';
import type { Topology } from '../types/plan.js';
import { linkSegment } from './link-segment.js';

export interface NextHop {
  address: string;
  /** The device the decision sends it out of, when there is a decision. */
  dev?: string;
}

/** The neighbour the sender resolves for a probe to `to`, given its route decision. */
export const nextHopOf = (to: string, decision: RouteDecision | undefined): NextHop => {
  if (!decision?.ok) return { address: to };
  return { address: decision.gateway ?? to, ...(decision.dev && decision.dev !== '?' ? { dev: decision.dev } : {}) };
};

/** `neigh show …` for `ip -batch` / argv: the entry of that next hop, on its device when known. */
export const neighShowArgs = (hop: NextHop): string[] => ['neigh', 'show', 'to', hop.address, ...(hop.dev ? ['dev', hop.dev] : [])];

/**
 * Where the sender's own exchange for its next hop can show: the device it asks on (the one its
 * route decision leaves by) and the devices on that device's link, which alone can hear that
 * request or answer it. Without a decision to name the device, any device of the sender's may
 * have asked.
 */
export interface ExchangeScope {
  /** The sender's devices (`node:dev`) the request may leave by. */
  askers: ReadonlySet<string>;
  /** The devices on the askers' links, the askers included. */
  link: ReadonlySet<string>;
}

export const exchangeScope = (topology: Topology, sender: string, hop: NextHop): ExchangeScope => {
  const devs = hop.dev ? [hop.dev] : topology.devices.filter((d) => d.node === sender && d.kind !== 'loopback').map((d) => d.dev);
  return {
    askers: new Set(devs.map((dev) => `${sender}:${dev}`)),
    link: new Set(devs.flatMap((dev) => [...linkSegment(topology, sender, dev)])),
  };
};

/** The devices whose count of neighbour requests or replies grew in the probe's window, bridge ports left out. */
export interface WindowNeighbourCounts {
  /** Devices that sent a request of their own, and devices that received one. */
  requests: { sent: readonly string[]; received: readonly string[] };
  /** Devices that sent a reply of their own. */
  repliesSent: readonly string[];
}

/**
 * The sender's own exchange among every request and reply counted in the window: requests sent by
 * the device it asks on, heard and answered on that device's link. Others' exchanges in the same
 * window (a router resolving the destination on its far side, the destination resolving its own
 * gateway for an answer) are on other links or sent by other devices, and are left out; so is
 * what the sender's device answered or heard of someone else's request.
 */
export const ownExchange = (
  scope: ExchangeScope,
  seen: WindowNeighbourCounts,
): { askedOn: string[]; heardBy: string[]; answeredBy: string[] } => {
  const onLink = (k: string): boolean => scope.link.has(k) && !scope.askers.has(k);
  return {
    askedOn: seen.requests.sent.filter((k) => scope.askers.has(k)),
    heardBy: seen.requests.received.filter(onLink),
    answeredBy: seen.repliesSent.filter(onLink),
  };
};

/**
 * The sender's entry for its next hop: the one on the device its decision leaves by (an entry for
 * the same address on another device is another exchange's); without a device, the first.
 */
export const entryOnHop = <E extends { dev: string }>(entries: readonly E[], hop: NextHop): E | undefined =>
  hop.dev ? entries.find((e) => e.dev === hop.dev) : entries[0];
