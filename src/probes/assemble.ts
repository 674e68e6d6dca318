// The observation of one probe, assembled from what was read around it (src/probes/probe.ts
// gathers that): per-device counts of each leg, the neighbour exchange, route decisions, counter
// deltas, and what the run's tracers saw in the probe's window. Pure: the same evidence always
// gives the same observation, and the verdict is drawn from the observation alone.
import { neighbourRules, probeLegs } from '../plan/observer.js';
import type { ProbePlan, Topology } from '../types/plan.js';
import type {
  Counters,
  DeviceCount,
  DropCount,
  FibLookup,
  HopEvidence,
  LegObservation,
  MediumObservation,
  NeighbourExchange,
  NeighEntry,
  ProbeObservation,
} from '../types/observation.js';
import { counterDeltas, parseNeigh, parseRouteGet, type BatchAnswer } from './evidence.js';
import { entryOnHop, exchangeScope, nextHopOf, ownExchange, type ExchangeScope, type NextHop } from './next-hop.js';
import { derivePath } from './path.js';
import { parseRules } from './rule-list.js';
import type { ProbeSender } from './fib-sender.js';

/** Observer counts: per rule id, per device (`node:dev`), as read after a probe. */
export type ObserverCounts = ReadonlyMap<string, ReadonlyMap<string, DeviceCount>>;

/** What was read around one probe, as read: the input of `assembleObservation`. */
export interface ProbeEvidence {
  /** The receiver could not listen on the destination; its own words. */
  receiverError?: string;
  /** The sender could not send; its own words. */
  sendError?: string;
  /** udp, tcp: the receiver got the datagram (connection data) carrying the probe's marker. */
  received: boolean;
  /** icmp: the echo reply came back; tcp: the connect completed. Absent for udp. */
  answered?: boolean;
  /** The process that sent it (its route lookups are the probe's: src/probes/fib-sender.ts). */
  sender?: ProbeSender;
  /** Every node's kernel counters (nstat's names) before the probe and after it. */
  countersBefore: Record<string, Counters>;
  countersAfter: Record<string, Counters>;
  /** The observer counts after this probe, and after the probe before it in the case (none for the first). */
  counts: ObserverCounts;
  previousCounts?: ObserverCounts;
  /** The sender's `ip -j` answers: `neigh show to DST`, `route get DST from SRC …`, `rule show`. */
  neigh: BatchAnswer;
  route: BatchAnswer;
  rules: BatchAnswer;
  /** Via a gateway: the gateway's neighbour entry, `ip -j neigh show to GW [dev D]` in the sender. */
  gatewayNeigh?: BatchAnswer;
  /** MAC → device of every node, read when the sender's entry has a MAC to name the owner of. */
  macs?: ReadonlyMap<string, ReadonlyMap<string, string>>;
  /** Where the receiving node took the probe in (or heard the ARP/ND request for it): `ip route get … iif DEV` there, and its source-check sysctls (inputSysctlKeys order). */
  input?: { dev: string; route: BatchAnswer; sysctls?: number[] };
  /** What the node where a leg stopped decided about it. */
  hops: HopEvidence[];
  /** The sender's route_localnet, when it sends from 127/8. */
  senderSysctls?: Record<string, number>;
}

/** What the run saw in the probe's window besides the probe's own reading (`--explain`, route expectations, radio media). */
export interface WindowEvidence {
  dropReasons?: DropCount[];
  lookups?: FibLookup[];
  /** What could not be seen in the window (a tracer that could not start), said instead of guessed. */
  limits?: string[];
}

/** The legs of a probe, each with its path and counts. */
export const observedLegs = (topology: Topology, pp: ProbePlan, index: number, counts: ObserverCounts): LegObservation[] =>
  probeLegs(pp, index).map((leg) => {
    const seen = counts.get(leg.id) ?? new Map<string, DeviceCount>();
    const start = leg.name === 'reply' || leg.name === 'syn-ack' ? (pp.receiverNode ?? pp.probe.from.node) : pp.probe.from.node;
    return { name: leg.name, path: derivePath(topology, seen, start), devices: Object.fromEntries(seen) };
  });

/** The next hop the sender resolves: via a gateway, the entry that matters is the gateway's (src/probes/next-hop.ts). */
export const senderNextHop = (pp: ProbePlan, route: BatchAnswer): NextHop =>
  nextHopOf(pp.probe.to.address, parseRouteGet(route.exitCode, route.stdout, route.stderr));

/** The sender's neighbour entries for the next hop. */
export const senderNeighbours = (pp: ProbePlan, e: Pick<ProbeEvidence, 'neigh' | 'route' | 'gatewayNeigh'>): NeighEntry[] => {
  const sender = pp.probe.from.node;
  const hop = senderNextHop(pp, e.route);
  if (hop.address === pp.probe.to.address) return e.neigh.exitCode === 0 ? parseNeigh(sender, e.neigh.stdout, pp.probe.to.address) : [];
  const gw = e.gatewayNeigh;
  // Filtered by device, `ip -j neigh show … dev D` leaves the device out of each entry.
  return gw && gw.exitCode === 0 ? parseNeigh(sender, gw.stdout, hop.address).map((n) => ({ ...n, dev: n.dev ?? hop.dev ?? '?' })) : [];
};

/**
 * Devices whose count of `id` grew since the previous reading: those that sent one of their own
 * and those that received one. A relay (a bridge port, an access point's radio) that both received
 * and sent passed another's on; any other device that sent one sent its own, whatever it received
 * in the same window (the sender's device hears the router's request for it, and answers it).
 */
const grew = (
  counts: ObserverCounts,
  previous: ObserverCounts | undefined,
  id: string,
  relays: ReadonlySet<string>,
): { sent: string[]; received: string[] } => {
  const now = counts.get(id);
  const then = previous?.get(id);
  const delta = [...(now ?? [])].map(([key, c]) => {
    const old = then?.get(key);
    return { key, tx: c.tx - (old?.tx ?? 0), rx: c.rx - (old?.rx ?? 0) };
  });
  return {
    sent: delta.filter((d) => d.tx > 0 && (d.rx === 0 || !relays.has(d.key))).map((d) => d.key),
    received: delta.filter((d) => d.rx > 0).map((d) => d.key),
  };
};

/**
 * Who asked for the next hop's link-layer address during the probe, who heard and who answered;
 * undefined when nobody asked and the sender has no entry. Only the sender's own exchange, on the
 * link its route decision leaves by (`scope`, src/probes/next-hop.ts): the window also counts
 * every other node's requests and replies.
 */
export const neighbourExchange = (
  topology: Topology,
  family: 4 | 6,
  counts: ObserverCounts,
  previous: ObserverCounts | undefined,
  entry: NeighEntry | undefined,
  macs: ReadonlyMap<string, ReadonlyMap<string, string>> | undefined,
  scope: ExchangeScope,
): NeighbourExchange | undefined => {
  const [request, reply] = neighbourRules(family).map((r) => r.id) as [string, string];
  // Bridge ports only forward what others sent: they neither ask nor answer.
  const ports = new Set(topology.devices.filter((d) => d.master).map((d) => `${d.node}:${d.dev}`));
  const relays = new Set([...ports, ...topology.devices.filter((d) => d.accessPoint).map((d) => `${d.node}:${d.dev}`)]);
  const own = (keys: string[]): string[] => keys.filter((k) => !ports.has(k));
  const requests = grew(counts, previous, request, relays);
  const { askedOn, heardBy, answeredBy } = ownExchange(scope, {
    requests: { sent: own(requests.sent), received: own(requests.received) },
    repliesSent: own(grew(counts, previous, reply, relays).sent),
  });
  if (!entry && askedOn.length === 0) return undefined;
  let owner: string | undefined;
  if (entry?.lladdr) {
    for (const [node, byMac] of macs ?? []) {
      const dev = byMac.get(entry.lladdr);
      if (dev) {
        owner = `${node}:${dev}`;
        break;
      }
    }
  }
  return {
    protocol: family === 4 ? 'arp' : 'nd',
    askedOn,
    heardBy,
    answeredBy,
    ...(entry ? { entry: { ...entry, ...(owner ? { owner } : {}) } } : {}),
  };
};

/**
 * A hop with its own exchange for the next hop its decision picked: a router that could not
 * resolve its gateway or the destination, or a destination that could not resolve its gateway for
 * the answer. Only for a decision that sends the leg out of a device.
 */
const withHopExchange = (topology: Topology, e: Pick<ProbeEvidence, 'counts' | 'previousCounts'>, h: HopEvidence): HopEvidence => {
  if (!h.decision.ok || h.decision.type !== 'unicast' || h.decision.dev === 'lo') return h;
  const scope = exchangeScope(topology, h.node, nextHopOf(h.dst, h.decision));
  const exchange = neighbourExchange(topology, h.family, e.counts, e.previousCounts, undefined, undefined, scope);
  return exchange ? { ...h, exchange } : h;
};

/** Which device of the receiving node the probe came in on: the last one that received it. */
const inputDevice = (leg: LegObservation | undefined, node: string): string | undefined => {
  const seen = (leg?.path ?? []).filter((k) => k.startsWith(`${node}:`) && (leg?.devices[k]?.rx ?? 0) > 0);
  return seen.length ? seen[seen.length - 1]?.slice(node.length + 1) : undefined;
};

/**
 * Where the probe came into the receiving node; when it never did, where that node heard the
 * ARP/ND request for it: the kernel applies the same source check to that request. Undefined
 * when neither (or only lo) is known.
 */
export const receivingDevice = (pp: ProbePlan, legs: readonly LegObservation[], exchange: NeighbourExchange | undefined): string | undefined => {
  const rxNode = pp.receiverNode;
  if (!rxNode) return undefined;
  const dev = inputDevice(legs[0], rxNode) ?? exchange?.heardBy.find((k) => k.startsWith(`${rxNode}:`) && !k.endsWith(':lo'))?.slice(rxNode.length + 1);
  return dev === 'lo' ? undefined : dev;
};

/** The receiving device's settings that decide whether a local source is accepted (IPv4 only), as `SCOPE.KEY`. */
export const inputSysctlKeys = (family: 4 | 6, dev: string): string[] =>
  family === 4 ? ['all', dev].flatMap((scope) => ['accept_local', 'rp_filter', 'route_localnet'].map((k) => `${scope}.${k}`)) : [];

/** The observation of the `index`th probe of a case on `topology`, from what was read around it. */
export const assembleObservation = (
  topology: Topology,
  /** Nodes carrying a ruleset of the case's own (a firewall under test). */
  firewalled: readonly string[],
  pp: ProbePlan,
  index: number,
  e: ProbeEvidence,
  window: WindowEvidence = {},
): ProbeObservation => {
  const { probe } = pp;
  const legs = observedLegs(topology, pp, index, e.counts);
  const counters = Object.fromEntries(topology.nodes.map((n) => [n, counterDeltas(e.countersBefore[n] ?? {}, e.countersAfter[n] ?? {})]));
  let delivered = e.received;
  if (probe.kind === 'icmp') {
    // Delivered: the echo request reached the destination's ICMP layer, whether or not an answer got back.
    const echoes = probe.family === 6 ? 'Icmp6InEchos' : 'IcmpInEchos';
    const rx = pp.receiverNode;
    delivered = e.answered === true || (rx !== undefined && (e.countersAfter[rx]?.[echoes] ?? 0) > (e.countersBefore[rx]?.[echoes] ?? 0));
  }
  const neighbours = senderNeighbours(pp, e);
  const hop = senderNextHop(pp, e.route);
  const scope = exchangeScope(topology, probe.from.node, hop);
  const exchange = neighbourExchange(topology, probe.family, e.counts, e.previousCounts, entryOnHop(neighbours, hop), e.macs, scope);
  const { input } = e;
  const keys = input ? inputSysctlKeys(probe.family, input.dev) : [];
  const inputSysctls = input?.sysctls && keys.length ? Object.fromEntries(keys.map((k, i) => [k, input.sysctls?.[i] ?? 0])) : undefined;
  const limits = [
    ...(pp.receiverNode ? [] : [`no node owns ${probe.to.address}, so nothing could receive it`]),
    ...(window.limits ?? []),
  ];
  const [legZero] = legs;
  return {
    delivered,
    path: legZero?.path ?? [],
    devices: legZero?.devices ?? {},
    legs,
    ...(e.sendError ? { sendError: e.sendError } : {}),
    ...(e.receiverError ? { receiverError: e.receiverError } : {}),
    neighbours,
    ...(exchange ? { exchange } : {}),
    prediction: parseRouteGet(e.route.exitCode, e.route.stdout, e.route.stderr),
    ...(e.rules.exitCode === 0 ? { rules: parseRules(e.rules.stdout) } : {}),
    ...(input ? { inputRoute: { dev: input.dev, decision: parseRouteGet(input.route.exitCode, input.route.stdout, input.route.stderr) } } : {}),
    ...(inputSysctls ? { inputSysctls } : {}),
    ...(e.senderSysctls ? { senderSysctls: e.senderSysctls } : {}),
    counters,
    firewalled: [...firewalled],
    limits,
    ...(e.answered === undefined ? {} : { answered: e.answered }),
    ...(e.hops.length ? { hops: e.hops.map((h) => withHopExchange(topology, e, h)) } : {}),
    ...(window.dropReasons ? { dropReasons: window.dropReasons } : {}),
    ...(window.lookups ? { lookups: window.lookups } : {}),
  };
};

/** The observation with what the radio media saw of the probe (known only once the case's captures stop): a new observation. */
export const withMedium = (observation: ProbeObservation, medium: MediumObservation | undefined): ProbeObservation =>
  medium ? { ...observation, medium } : observation;
