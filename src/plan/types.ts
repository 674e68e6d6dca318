// Plans are data: what will be run, where, and how to take it back.

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
