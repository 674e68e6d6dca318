// A node that received the probe for an address that is not (or no longer) its own, and does not
// forward: the kernel drops it as it drops a router's with forwarding off (ip_error(): not local,
// !IN_DEV_FORWARD, EHOSTUNREACH), counting IpInAddrErrors, drop reason IP_INADDRERRORS. The
// receiver's input route then says "No route to host" -- which alone reads like a refused source.
// Measured by hand on 6.18.44 (skb:kfree_skb in an instance of our own, namespaces h-fibpid-*):
// IP_INADDRERRORS for IPv4 forwarding off (ip_forward 0, or only the input device's
// conf.DEV.forwarding 0) whatever the router's route (none, unreachable, blackhole, prohibit),
// and for IPv6 forwarding off (ip6_forward); never with forwarding on (an unreachable route:
// NOT_SPECIFIED in IPv4, IP_INNOROUTES in IPv6; no route: IP_INNOROUTES). Pure.
import type { Cause, Probe } from '../types/scenario.js';
import type { ProbeObservation } from '../types/observation.js';

/** The kernel drop reason of "not for itself, and it does not forward". */
export const NOT_FORWARDED_REASON = 'IP_INADDRERRORS';

/**
 * FORWARDING_OFF at the receiving node itself: the probe reached `receiverNode`, its input route
 * there was refused "No route to host", and the kernel said why (IpInAddrErrors moved on that node,
 * or the drop reason IP_INADDRERRORS during the probe). Undefined otherwise.
 */
export const notForItself = (
  probe: Probe,
  obs: ProbeObservation,
  receiverNode: string,
): { cause: Cause; why: string } | undefined => {
  const input = obs.inputRoute;
  if (!input || input.decision.ok || !/No route to host/.test(input.decision.error)) return undefined;
  const counted = Object.entries(obs.counters[receiverNode] ?? {}).filter(([k, v]) => /^Ip6?InAddrErrors$/.test(k) && v > 0);
  const reason = (obs.dropReasons ?? []).some((d) => d.reason === NOT_FORWARDED_REASON);
  if (!counted.length && !reason) return undefined;
  const said = [...counted.map(([k, v]) => `${k} +${v}`), ...(reason ? [`kfree_skb ${NOT_FORWARDED_REASON}`] : [])].join(', ');
  return {
    cause: 'FORWARDING_OFF',
    why: `${receiverNode} received it on ${input.dev} for ${probe.to.address}, which is not an address of its own there, and does not forward it (${said})`,
  };
};
