// Whose neighbour entry tells why a datagram never left the sender: the route decision's gateway
// when it has one, the destination itself only on a link route. A datagram routed via a gateway
// waits for the gateway's link-layer address, never the destination's (measured: 2001:db8:3::1
// via the absent 2001:db8:2::3 on eth1: `neigh show to 2001:db8:2::3` is FAILED after the send,
// `neigh show to 2001:db8:3::1` is empty; fib_tests.sh ipv6_rt_add). Pure.
import type { RouteDecision } from '../types/observation.js';

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
