// Why a probe did not arrive, from the evidence only. Pure. The cause comes from a fixed
// vocabulary (CAUSES); UNKNOWN when nothing fits.
import type { Cause, Probe } from '../types/scenario.js';
import { describeRoute } from '../probes/evidence.js';
import type { ProbeObservation } from '../types/observation.js';
import { diagnoseHop, hopEvidenceLine } from './hop.js';
import { lookupEvidence } from './route.js';
import { senderCause } from './sender-causes.js';
import { routeLocalnet, routeLocalnetEvidence } from './route-localnet.js';
import { NOT_FORWARDED_REASON, notForItself } from './not-for-itself.js';

interface Diagnosis {
  /** Undefined when the probe was delivered. */
  cause?: Cause;
  /** One line: what happened, and the main piece of evidence. */
  explanation: string;
  /** Every piece of evidence that was looked at, one line each. */
  evidence: string[];
}

const arrow = (path: readonly string[]): string => (path.length ? path.join(' → ') : 'no device');

/** Kernel drop reasons (skb:kfree_skb) that name one of our causes. */
const DROP_REASON_CAUSE: Record<string, Cause> = {
  NEIGH_FAILED: 'NEIGH_FAILED',
  NEIGH_QUEUEFULL: 'NEIGH_FAILED',
  IP_RPFILTER: 'RPFILTER',
  IP_INVALID_SOURCE: 'MARTIAN_SOURCE',
  IP_LOCAL_SOURCE: 'MARTIAN_SOURCE',
  IP_NOROUTE: 'NO_ROUTE',
  IP_OUTNOROUTES: 'NO_ROUTE',
  NO_SOCKET: 'NO_LISTENER',
  NETFILTER_DROP: 'FILTERED',
  // Not for this node and it does not forward (src/verdict/not-for-itself.ts says where measured).
  [NOT_FORWARDED_REASON]: 'FORWARDING_OFF',
};

const effective = (s: Record<string, number> | undefined, key: string, dev: string): number | undefined => {
  const all = s?.[`all.${key}`];
  const own = s?.[`${dev}.${key}`];
  if (all === undefined || own === undefined) return undefined;
  // accept_local is or-ed, rp_filter takes the maximum: both are max() of the two.
  return Math.max(all, own);
};

/** The evidence lines, whatever the outcome. */
const evidenceLines = (probe: Probe, obs: ProbeObservation, receiverNode?: string): string[] => {
  // The receiver's name: two nodes may both have an eth0.
  const rx = receiverNode ?? '?';
  const lines: string[] = [];
  if (obs.prediction) lines.push(`route get on ${probe.from.node}: ${describeRoute(obs.prediction)}`);
  const lookups = lookupEvidence(probe.from.node, obs.lookups, obs.rules, { src: probe.from.address, dst: probe.to.address });
  if (lookups) lines.push(lookups);
  for (const leg of obs.legs.slice(1)) lines.push(`${leg.name} path: ${arrow(leg.path)}`);
  const ex = obs.exchange;
  if (ex) {
    const who = ex.entry?.lladdr ? `${ex.entry.lladdr}${ex.entry.owner ? ` (${ex.entry.owner})` : ''}` : 'nobody';
    const asked = ex.askedOn.length ? `asked on ${ex.askedOn.join(', ')}` : 'no request seen';
    const answered = ex.answeredBy.length ? `; replies sent by ${ex.answeredBy.join(', ')}` : '';
    lines.push(`${ex.protocol.toUpperCase()} for ${ex.entry?.address ?? probe.to.address}: ${asked}${answered}; answer: ${who}${ex.entry ? ` [${ex.entry.state}]` : ''}`);
  }
  for (const n of obs.neighbours) {
    if (!ex?.entry || n.dev !== ex.entry.dev) lines.push(`neighbour ${n.address} on ${n.node}:${n.dev}: ${n.state}`);
  }
  if (obs.inputRoute) {
    lines.push(`route get on ${rx} input (iif ${obs.inputRoute.dev}): ${describeRoute(obs.inputRoute.decision)}`);
  }
  if (obs.inputSysctls && obs.inputRoute) {
    const dev = obs.inputRoute.dev;
    lines.push(
      `on ${rx}:${dev}: accept_local ${effective(obs.inputSysctls, 'accept_local', dev)} ` +
        `(all ${obs.inputSysctls['all.accept_local']}, ${dev} ${obs.inputSysctls[`${dev}.accept_local`]}), ` +
        `rp_filter ${effective(obs.inputSysctls, 'rp_filter', dev)} ` +
        `(all ${obs.inputSysctls['all.rp_filter']}, ${dev} ${obs.inputSysctls[`${dev}.rp_filter`]})`,
    );
  }
  for (const [node, deltas] of Object.entries(obs.counters)) {
    const moved = Object.entries(deltas).filter(([k]) => INTERESTING_COUNTER.test(k));
    if (moved.length) lines.push(`nstat on ${node}: ${moved.map(([k, v]) => `${k} +${v}`).join(', ')}`);
  }
  for (const h of obs.hops ?? []) lines.push(hopEvidenceLine(h));
  for (const d of obs.dropReasons ?? []) lines.push(`kfree_skb: ${d.reason} ×${d.count}`);
  if (obs.sendError) lines.push(`sender: ${obs.sendError}`);
  if (obs.receiverError) lines.push(`receiver: ${obs.receiverError}`);
  lines.push(...obs.limits);
  return lines;
};

/** Counters worth showing: drops, errors, rejections, unreachables. */
const INTERESTING_COUNTER = /ReversePath|NoPorts|InErrors|InAddrErrors|OutNoRoutes|DestUnreach|Discards|Martian|InNoRoutes|AttemptFails|OutRsts|EstabResets|ArpFilter/;

const moved = (obs: ProbeObservation, node: string | undefined, counter: RegExp): boolean =>
  node !== undefined && Object.entries(obs.counters[node] ?? {}).some(([k, v]) => counter.test(k) && v > 0);

/** The cause the kernel gave at the node where the leg stopped, if it names one. */
export const legCause = (obs: ProbeObservation, leg: 'request' | 'reply') => {
  const hop = obs.hops?.find((h) => h.leg === leg);
  return hop ? diagnoseHop(hop, obs.counters[hop.node]) : undefined;
};

/** The cause, or undefined when delivered. `receiverNode` owns the destination address. */
export const diagnose = (
  probe: Probe,
  obs: ProbeObservation,
  receiverNode: string | undefined,
  port?: number,
  /** The topology's radios (`node:dev`): a path through one went over the air, not a wire. */
  radios: ReadonlySet<string> = new Set(),
): Diagnosis => {
  const evidence = [...evidenceLines(probe, obs, receiverNode), ...routeLocalnetEvidence(probe, obs, receiverNode)];
  const d = (cause: Cause, why: string): Diagnosis => ({ cause, explanation: `not delivered (${cause}): ${why}`, evidence });
  if (obs.delivered) {
    const wire = obs.path.filter((k) => !k.endsWith(':lo'));
    const explanation = wire.length === 0
      ? `delivered through ${arrow(obs.path)}; nothing crossed the wire`
      : `delivered over the ${wire.some((k) => radios.has(k)) ? 'air' : 'wire'}, received on ${wire[wire.length - 1]}`;
    return { explanation, evidence };
  }
  if (obs.receiverError) return d('UNKNOWN', `the receiver could not listen: ${obs.receiverError}`);
  // A router received it and did not pass it on (its ICMP error may have told the sender "unreachable").
  const stopped = legCause(obs, 'request');
  if (stopped) return d(stopped.cause, stopped.why);
  const localnet = routeLocalnet(probe, obs, receiverNode);
  if (localnet) return d('ROUTE_LOCALNET', localnet);
  const refused = senderCause(probe, obs);
  if (refused) return d(refused.cause, refused.why);

  const reasons = (obs.dropReasons ?? []).map((r) => DROP_REASON_CAUSE[r.reason]).filter((c): c is Cause => !!c);
  const last = obs.path[obs.path.length - 1];
  const arrived = receiverNode !== undefined && obs.path.some((k) => k.startsWith(`${receiverNode}:`) && (obs.devices[k]?.rx ?? 0) > 0);

  if (obs.sendError && /unreachable|no route/i.test(obs.sendError)) return d('NO_ROUTE', `the sender was told: ${obs.sendError}`);
  if (obs.prediction && !obs.prediction.ok && /unreachable|no route/i.test(obs.prediction.error)) {
    return d('NO_ROUTE', `route get on ${probe.from.node}: ${obs.prediction.error}`);
  }
  if (obs.sendError && /not permitted/i.test(obs.sendError)) {
    return d('FILTERED', `the sender was refused: ${obs.sendError}${obs.firewalled.length ? ` (nft ruleset on ${obs.firewalled.join(', ')})` : ''}`);
  }
  if (moved(obs, probe.from.node, /OutNoRoutes|InNoRoutes/)) {
    return d('NO_ROUTE', `no route from ${probe.from.node} to ${probe.to.address}`);
  }

  const entry = obs.exchange?.entry ?? obs.neighbours[0];
  if (obs.path.length === 0 && entry && /FAILED|INCOMPLETE/.test(entry.state)) {
    const what = obs.exchange?.protocol === 'nd' ? 'neighbour solicitation' : 'ARP request';
    let why = ' no answer';
    if (obs.inputRoute && receiverNode && !obs.inputRoute.decision.ok) {
      const dev = obs.inputRoute.dev;
      why = ` ${receiverNode}:${dev} heard the ${what} but refuses its sender address ${probe.from.address}` +
        ` (accept_local ${effective(obs.inputSysctls, 'accept_local', dev) ?? '?'}, rp_filter ${effective(obs.inputSysctls, 'rp_filter', dev) ?? '?'})`;
    } else if (obs.exchange?.askedOn.length && !obs.exchange.answeredBy.length) {
      why = ` the ${what} went out on ${obs.exchange.askedOn.join(', ')}, nobody answered`;
    }
    return d('NEIGH_FAILED', `neighbour ${entry.address} on ${entry.node}:${entry.dev} is ${entry.state};${why}`);
  }
  if (reasons[0] === 'NEIGH_FAILED') return d('NEIGH_FAILED', 'the kernel dropped it waiting for a neighbour');

  if (arrived && obs.inputRoute && receiverNode) {
    const dev = obs.inputRoute.dev;
    const refused = !obs.inputRoute.decision.ok;
    // Not an address of the receiver's (any more), and it does not forward: not a refused source.
    const notOwn = notForItself(probe, obs, receiverNode);
    if (notOwn) return d(notOwn.cause, notOwn.why);
    if (moved(obs, receiverNode, /ReversePathFilter/) || reasons.includes('RPFILTER')) {
      return d('RPFILTER', `${receiverNode}:${dev} dropped it on the reverse-path check (rp_filter ${effective(obs.inputSysctls, 'rp_filter', dev) ?? '?'})`);
    }
    if (refused) {
      const al = effective(obs.inputSysctls, 'accept_local', dev);
      const rp = effective(obs.inputSysctls, 'rp_filter', dev);
      if (al === 0 || reasons.includes('MARTIAN_SOURCE')) {
        return d('MARTIAN_SOURCE', `${receiverNode}:${dev} refuses source ${probe.from.address}, an address of its own, with accept_local 0`);
      }
      if (rp !== undefined && rp > 0) {
        return d('RPFILTER', `${receiverNode}:${dev} refuses source ${probe.from.address} on the reverse-path check (rp_filter ${rp})`);
      }
    }
  }
  // The SYN arrived, the SYN-ACK never got back: the connection cannot complete.
  const unanswered = probe.kind === 'tcp' && arrived ? legCause(obs, 'reply') : undefined;
  if (unanswered) return d(unanswered.cause, `the SYN reached ${receiverNode}, but ${unanswered.why}`);
  if (arrived && (!probe.listen || moved(obs, receiverNode, /NoPorts|OutRsts|AttemptFails/) || reasons.includes('NO_LISTENER'))) {
    return d('NO_LISTENER', `it reached ${receiverNode}, where nothing listens on ${probe.kind} port ${port ?? probe.to.port ?? '?'}`);
  }
  // Drop reasons are system-wide: trusted only where the path agrees, or as the last word.
  if (reasons.includes('FILTERED') && obs.path.length > 0) return d('FILTERED', 'the kernel reports a netfilter drop');
  if (obs.firewalled.length && (last === undefined || obs.firewalled.some((n) => last.startsWith(`${n}:`)))) {
    return d('FILTERED', `last seen on ${last ?? 'no device'}, in a node with the case's nft ruleset (${obs.firewalled.join(', ')})`);
  }
  const named = [...new Set(reasons)];
  if (named.length === 1 && named[0]) return d(named[0], `the kernel's drop reason during the probe says so (${(obs.dropReasons ?? []).map((r) => r.reason).join(', ')})`);
  return d('UNKNOWN', obs.path.length ? `last seen on ${last}; the evidence fits no known cause` : 'no device carried it and the evidence fits no known cause');
};
