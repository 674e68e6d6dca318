// Why a node that had a leg of the probe in hand did not pass it on: a router that received the
// request, or the destination that should have answered. Pure: from HopEvidence and the node's
// counter deltas only. The route-get errors per cause were measured by hand (see src/probes/hops.ts).
import type { Cause } from '../types/scenario.js';
import type { Counters, CoveringRoute, HopEvidence, NeighbourExchange } from '../types/observation.js';
import { describeCoveringRoute } from '../probes/hop-evidence.js';
import { nextHopOf } from '../probes/next-hop.js';

interface HopCause {
  cause: Cause;
  /** Names the node and the knob or route at fault. */
  why: string;
}

const movedAny = (counters: Counters | undefined, re: RegExp): string[] =>
  Object.entries(counters ?? {}).filter(([k, v]) => re.test(k) && v > 0).map(([k, v]) => `${k} +${v}`);

/** The most specific covering route of one of `types`, described; or a generic phrase. */
const routeOf = (routes: readonly CoveringRoute[], type: string): CoveringRoute | undefined =>
  routes.find((r) => r.type === type);

const what = (h: HopEvidence): string => (h.leg === 'request' ? 'it' : 'the reply');

const icmpSent = (counters: Counters | undefined): string =>
  movedAny(counters, /^Icmp6?OutDestUnreachs$/).length ? '; it sent an ICMP destination-unreachable back' : '';

/** A route or rule of a refusing type: the route when one covers the destination, else a rule did it. */
const refusal = (h: HopEvidence, type: 'blackhole' | 'unreachable' | 'prohibit', counters: Counters | undefined): string => {
  const route = routeOf(h.routes, type);
  const by = route ? `route ${describeCoveringRoute(route)}` : `a rule or route of type ${type} (route get: ${h.decision.ok ? 'ok' : h.decision.error})`;
  const where = h.iif ? `received ${what(h)} on ${h.iif} and ` : '';
  const drop = type === 'blackhole' ? 'dropped it silently' : `refused it${icmpSent(counters)}`;
  return `${h.node} ${where}${drop}: ${by}`;
};

/**
 * The cause at this node, or undefined when the evidence names none (a decision that looks fine,
 * with nothing counted). `counters` are the node's deltas during the probe.
 */
export const diagnoseHop = (h: HopEvidence, counters: Counters | undefined): HopCause | undefined => {
  const error = h.decision.ok ? '' : h.decision.error;
  const forwardingOff = h.iif !== undefined && h.forwarding === 0;
  const addrErrors = movedAny(counters, /^Ip6?InAddrErrors$/);
  // IPv4 says "No route to host" when forwarding is off; IPv6's input lookup does not look at it.
  if (forwardingOff && (addrErrors.length || /No route to host/.test(error) || h.decision.ok)) {
    const knob = h.family === 4 ? `${h.forwardingKey ?? 'net.ipv4.ip_forward'} is 0 (net.ipv4.ip_forward)` : `${h.forwardingKey ?? 'net.ipv6.conf.all.forwarding'} is 0`;
    return {
      cause: 'FORWARDING_OFF',
      why: `${h.node} received ${what(h)} on ${h.iif} for ${h.dst} but does not forward: ${knob}${addrErrors.length ? ` (${addrErrors.join(', ')})` : ''}`,
    };
  }
  if (/Network is unreachable/.test(error)) {
    return { cause: 'NO_ROUTE', why: `${h.node} has no route to ${h.dst} (route get${h.iif ? ` iif ${h.iif}` : ''}: ${error})${icmpSent(counters)}` };
  }
  if (/Permission denied/.test(error)) return { cause: 'PROHIBIT', why: refusal(h, 'prohibit', counters) };
  if (/No route to host/.test(error)) return { cause: 'UNREACHABLE', why: refusal(h, 'unreachable', counters) };
  if (/Invalid argument/.test(error) && (routeOf(h.routes, 'blackhole') && h.routes[0]?.type === 'blackhole')) {
    return { cause: 'BLACKHOLE', why: refusal(h, 'blackhole', counters) };
  }
  const rp = movedAny(counters, /ReversePathFilter/);
  if (h.iif && (rp.length || (/Invalid argument|cross-device/.test(error) && (h.rpFilter ?? 0) > 0))) {
    return {
      cause: 'RPFILTER',
      why: `${h.node}:${h.iif} dropped ${what(h)} on the reverse-path check: source ${h.src} is not routed back out of ${h.iif} (rp_filter ${h.rpFilter ?? '?'}${rp.length ? `, ${rp.join(', ')}` : ''})`,
    };
  }
  if (h.decision.ok && h.decision.type === 'blackhole') return { cause: 'BLACKHOLE', why: refusal(h, 'blackhole', counters) };
  if (/Invalid argument/.test(error) && routeOf(h.routes, 'blackhole')) return { cause: 'BLACKHOLE', why: refusal(h, 'blackhole', counters) };
  // A decision that sends it on, and the node asked for the next hop's address in vain.
  const ex = h.exchange;
  if (h.decision.ok && ex?.askedOn.length && !ex.answeredBy.length) {
    const where = h.iif ? `received ${what(h)} on ${h.iif} and ` : '';
    return { cause: 'NEIGH_FAILED', why: `${h.node} ${where}asked for ${nextHopOf(h.dst, h.decision).address} on ${ex.askedOn.join(', ')} (${requestName(ex)}), nobody answered` };
  }
  return undefined;
};

const requestName = (ex: NeighbourExchange): string => (ex.protocol === 'nd' ? 'neighbour solicitation' : 'ARP request');

/** The node's own exchange for its next hop, as a clause of its evidence line. */
const exchangeClause = (h: HopEvidence): string => {
  const ex = h.exchange;
  if (!ex) return '';
  const answered = ex.answeredBy.length ? `replies sent by ${ex.answeredBy.join(', ')}` : 'no reply';
  return `; ${ex.protocol.toUpperCase()} for ${nextHopOf(h.dst, h.decision).address}: asked on ${ex.askedOn.join(', ')}, ${answered}`;
};

/** One evidence line per hop. */
export const hopEvidenceLine = (h: HopEvidence): string => {
  const decision = h.decision.ok
    ? `${h.decision.type === 'unicast' ? '' : `${h.decision.type} `}dev ${h.decision.dev} table ${h.decision.table}${h.decision.gateway ? ` via ${h.decision.gateway}` : ''}`
    : `refused: ${h.decision.error}`;
  const knobs = [
    ...(h.forwarding !== undefined ? [`${h.forwardingKey ?? 'forwarding'} ${h.forwarding}`] : []),
    ...(h.rpFilter !== undefined ? [`rp_filter ${h.rpFilter}`] : []),
  ];
  const refusing = h.routes.filter((r) => r.type !== 'unicast' && r.type !== 'local').map(describeCoveringRoute);
  return `${h.leg} at ${h.node}: route get ${h.dst} from ${h.src}${h.iif ? ` iif ${h.iif}` : ''}: ${decision}` +
    `${knobs.length ? `; ${knobs.join(', ')}` : ''}${refusing.length ? `; covering: ${refusing.join(', ')}` : ''}${exchangeClause(h)}`;
};
