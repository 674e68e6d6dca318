// What lab saw of a probe: the data the probes gather (src/probes/ parses it) and the verdict reads.

/** A route decision as `ip -j route get` reports it, or the kernel's refusal. */
export type RouteDecision =
  | { ok: true; type: string; dev: string; table: string; src?: string; gateway?: string }
  | { ok: false; error: string };

export type Counters = Record<string, number>;

/** A neighbour entry, as `ip -j neigh` reports it. */
export interface NeighEntry {
  node: string;
  dev: string;
  address: string;
  state: string;
  lladdr?: string;
}

export interface DeviceCount {
  tx: number;
  rx: number;
}

export type LegName = 'datagram' | 'request' | 'reply' | 'syn' | 'syn-ack';

export interface LegObservation {
  name: LegName;
  path: string[];
  devices: Record<string, DeviceCount>;
}

/**
 * A node's exchange for the link-layer address of its next hop (the gateway its route decision
 * picked, or the destination on a link route): who asked, who heard and who answered, on the link
 * of the device the decision leaves by. A probe's is its sender's; a hop's (HopEvidence) is that
 * node's. Others' exchanges in the probe's window are not in it.
 */
export interface NeighbourExchange {
  protocol: 'arp' | 'nd';
  /** The node's device that sent a request of its own (`node:dev`); bridges forwarding it are not counted. */
  askedOn: string[];
  /** Devices on that device's link that received a request. */
  heardBy: string[];
  /** Devices on that device's link (the asking one left out) that sent a reply of their own. */
  answeredBy: string[];
  /** The sender's entry afterwards, with the answering device when its MAC is known. */
  entry?: NeighEntry & { owner?: string };
}

export interface ProbeObservation {
  delivered: boolean;
  /** The first leg's path and counts (the datagram, request or SYN). */
  path: string[];
  devices: Record<string, DeviceCount>;
  legs: LegObservation[];
  /** The sender could not send; its own words. */
  sendError?: string;
  /** The receiver could not listen on the destination; its own words. */
  receiverError?: string;
  neighbours: NeighEntry[];
  exchange?: NeighbourExchange;
  /** `ip route get` in the sending node: what the kernel predicts for this probe. */
  prediction?: RouteDecision;
  /** `ip route get … iif DEV` in the receiving node, for the device the probe came in on. */
  inputRoute?: { dev: string; decision: RouteDecision };
  /** Settings of the receiving device that decide whether a local source is accepted. */
  inputSysctls?: Record<string, number>;
  /** The sender's route_localnet (`all.route_localnet`, `DEV.route_localnet`) when it sends from 127/8. */
  senderSysctls?: Record<string, number>;
  /** Per node, the kernel counters that moved during the probe. */
  counters: Record<string, Counters>;
  /** The sender's own route lookups (fib tracepoints), when a route expectation asked for them. */
  lookups?: FibLookup[];
  /** The sender's policy rules (`ip rule show`), to name the rule that led to the deciding table. */
  rules?: RuleEntry[];
  /** skb:kfree_skb drop reasons seen during the probe window (with --explain). */
  dropReasons?: { reason: string; count: number }[];
  /** Nodes carrying a ruleset of the case's own (a firewall under test). */
  firewalled: string[];
  /** What lab itself did not get to see; said instead of guessed. */
  limits: string[];
  /**
   * icmp: the echo reply reached the sender (ping got it); tcp: the sender's connect completed
   * (the SYN-ACK reached it and it sent the final ACK). Absent for udp.
   */
  answered?: boolean;
  /** What the node where a leg stopped decided about it (a router that did not forward it; a reply never sent). */
  hops?: HopEvidence[];
  /** What the radio media saw of the probe; only in cases with wireless links. */
  medium?: MediumObservation;
}

/** One table lookup as the tracepoint prints it. */
export interface FibLookup {
  /** The task that caused it (comm as the trace prints it). */
  comm: string;
  /** Its pid as the trace prints it: the kernel's (initial pid namespace), in the task's context. */
  pid?: number;
  table: number;
  oif: number;
  iif: number;
  proto: number;
  src: string;
  sport: number;
  dst: string;
  dport: number;
  tos: number;
  flowlabel?: number;
  /** `-` when the lookup found no device. */
  dev: string;
  gateway?: string;
  /** 0: found; -11 (EAGAIN): nothing in this table, the rules go on; else the route's error. */
  err: number;
}


/** One rule of `ip -j rule show`, as the kernel holds it. */
export interface RuleEntry {
  pref: number;
  /** The table it looks up (`lookup`), as ip names it: local, main, default or a number. */
  table?: string;
  /** Its action when it is neither a lookup nor a goto: blackhole, unreachable, prohibit, nop. */
  action?: string;
  /** How `ip rule show` would print it, after the pref. */
  text: string;
  /** Its `from` and `to` selectors, when not `all`. */
  from?: { address: string; prefix: number };
  to?: { address: string; prefix: number };
  /** `not`: it matches what its selectors do not. */
  not?: boolean;
}

/** A route of the node covering the destination, as `ip -j route show table all match DST` lists it. */
export interface CoveringRoute {
  /** unicast, blackhole, unreachable, prohibit, throw, local, ... */
  type: string;
  /** The prefix as ip prints it: `203.0.113.0/24`, `default`. */
  dst: string;
  table: string;
  dev?: string;
  gateway?: string;
}

/** The kernel's own answer at one node for one leg of a probe. */
export interface HopEvidence {
  /** Which leg stopped here: the probe's request (datagram, SYN) or its answer. */
  leg: 'request' | 'reply';
  node: string;
  /**
   * The device the leg came in on: the decision is the input path's (`route get … iif DEV`).
   * Absent for an answer the node never sent: the decision is then its output path's.
   */
  iif?: string;
  dst: string;
  src: string;
  family: 4 | 6;
  decision: RouteDecision;
  /**
   * Forwarding on the input device: net.ipv4.conf.DEV.forwarding (what net.ipv4.ip_forward sets)
   * or net.ipv6.conf.all.forwarding. Undefined when it could not be read.
   */
  forwarding?: number;
  /** The sysctl named by `forwarding`, for the explanation. */
  forwardingKey?: string;
  /** Effective rp_filter of the input device (IPv4): max(conf.all, conf.DEV). */
  rpFilter?: number;
  /** Routes of every table covering `dst`, most specific first. */
  routes: CoveringRoute[];
  /**
   * The node's own ARP/ND exchange in the probe's window for the next hop its decision picked, on
   * the link of the device the decision leaves by (no entry: the node's table is not read).
   */
  exchange?: NeighbourExchange;
}

/** What the radio media saw of one probe. */
export interface MediumObservation {
  /** Frames on the air that carried the probe's packets (each transmission counts: a relay is two). */
  frames: number;
  /** The same, per medium (`w0` is the scenario's first wireless link). */
  media: Record<string, number>;
  /** WPA2: encrypted data frames on the medium during the probe, which cannot be matched to it. */
  encrypted?: number;
  /** Why a medium could not be observed. */
  unobserved?: string[];
}

export interface DropCount {
  reason: string;
  count: number;
}
