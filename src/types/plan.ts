// Plans are data: what will be run, where, and how to take it back (built by src/plan/).
import type { SenderBinding } from './recipe.js';
import type { Case, Probe } from './scenario.js';

/** One command, run inside the namespace of `node`. Never in the root namespace. */
export interface Op {
  node: string;
  argv: string[];
  /** Given to the command on stdin (an nft ruleset). */
  input?: string;
  /** The command that takes this one back on a live host (namespaces are simply deleted). */
  undo?: string[];
  /** Why the step is there, for `lab recipe show` and `--explain`. */
  why?: string;
  /**
   * The command reads a value (a MAC address): its trimmed stdout becomes `$NAME` in the tokens of
   * later ops of the case. `lab recipe show` renders it as `NAME=$(command)`.
   */
  capture?: string;
  /** The kernel feature the command needs; when it fails, the case is skipped naming it. */
  requires?: string;
  /**
   * Ops of one wave (consecutive in the plan, same number) depend on nothing else in the wave:
   * the nodes' batches of a wave run side by side. Ops without a wave run in plan order.
   */
  wave?: number;
}

/** A device of the case's topology, as the observer and path derivation see it. */
export interface TopologyDevice {
  node: string;
  dev: string;
  kind: 'loopback' | 'veth' | 'bridge' | 'radio' | 'dummy' | 'macvlan' | 'vxlan' | 'vlan';
  /** macvlan, vlan: the lower device it sits on; vxlan: its underlay device (dev). */
  lower?: string;
  /** vxlan: its VNI (vxlan devices of one VNI reach each other over their underlay). */
  vni?: number;
  /** For a veth end: the other end. */
  peer?: { node: string; dev: string };
  /** For a bridge port: the bridge it is enslaved to. */
  master?: string;
  /** Devices of the node its egress is redirected to (tc mirred, set by a recipe). */
  redirect?: string[];
  /** For a radio: its medium (radios of one wireless link hear each other). */
  medium?: string;
  /** For a radio: it is the access point, which relays between its stations. */
  accessPoint?: boolean;
}

export interface Topology {
  nodes: string[];
  devices: TopologyDevice[];
}

export interface ProbePlan {
  probe: Probe;
  /** The UDP port that identifies this probe's datagrams to the observers. */
  port: number;
  /**
   * udp and tcp: the source port the sender binds (the probe's `sport`, or one lab picked), which
   * with `port` tells this probe's packets from another's to the same destination port.
   */
  sport?: number;
  /** Carried in the payload; the receiver only counts a datagram that carries it. */
  marker: string;
  /** The node that owns the destination address; undefined when no node does. */
  receiverNode: string | undefined;
  /**
   * The device of receiverNode that holds the destination address: where the probe is expected to
   * come in. Its input route is read beside the rest of the evidence, before the counts say where
   * the probe did come in (and read again when that was another device).
   */
  receiverDev?: string;
  /** The recipe binding that set the probe's `from.dev` (SO_BINDTODEVICE), when one did. */
  binding?: SenderBinding;
}

export interface CasePlan {
  scenario: string;
  caseIndex: number;
  case: Case;
  /** node → namespace, in node order. Every namespace carries the run's prefix. */
  namespaces: { node: string; netns: string }[];
  topology: Topology;
  /** Topology, node routing, recipes, case sysctls and nft rulesets, setup commands; each inside its node's namespace. */
  ops: Op[];
  probes: ProbePlan[];
  /** The nft observers counting the probes' packets (src/plan/observer.ts): applied once the agents run, side by side. */
  observers: Op[];
  /** The observer of each radio medium (wireless link); none without wireless links. */
  media: MediumMonitor[];
}

/**
 * Where the frames of one medium are observed: a monitor interface on a radio of its own, in the
 * namespace the link's radios are created from. Measured on Debian's 6.1 kernel: the module's
 * hwsim0 monitor sits in the root namespace and sees the frames of every medium (so parallel
 * cases would mix, and on a host it is the root namespace); a monitor-only radio created next to
 * the link's radios hears exactly that medium, its own radios' frames included, and sends nothing.
 */
export interface MediumMonitor {
  /** The medium's id, as in TopologyDevice.medium. */
  medium: string;
  node: string;
  /** Not a valid scenario device name (they start with a letter or digit), so it cannot clash. */
  dev: string;
  freq: number;
  /** Frames are encrypted (WPA2): their content cannot be matched to a probe. */
  encrypted: boolean;
}
