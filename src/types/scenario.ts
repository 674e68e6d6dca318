// The resolved scenario model: what the loader (src/model/) hands to the planner. Raw YAML never
// leaves src/model. Pure data; the `as const` tables are the vocabularies their types derive from.
import type { Recipe } from './recipe.js';

/** A position in a scenario file, 1-based. */
export interface SourceLoc {
  line: number;
  col: number;
}

/** `node:dev`, the way scenario files and reports name a device. */
export interface DeviceRef {
  node: string;
  dev: string;
}

export interface NodeSpec {
  name: string;
  /** A bridge inside the node; every linked port of the node is enslaved to it. */
  bridge?: string;
  /** `devices:` — created devices and attributes of the node's devices, in file order. */
  devices?: DeviceSpec[];
  /** forwarding, sysctl, routes, rules, default-rules and setup (src/model/routing.ts); absent when none is given. */
  routing?: NodeRouting;
}

export const DEVICE_TYPES = ['dummy', 'macvlan', 'vxlan', 'vlan', 'bridge'] as const;

export type DeviceType = (typeof DEVICE_TYPES)[number];

export const MACVLAN_MODES = ['private', 'vepa', 'bridge', 'passthru', 'source'] as const;

export type MacvlanMode = (typeof MACVLAN_MODES)[number];

/** A bridge port's VLAN (`bridge vlan add dev PORT vid VID [pvid] [untagged]`). */
export interface BridgeVlan {
  vid: number;
  pvid: boolean;
  untagged: boolean;
}

/** One entry of a node's `devices:`: a device to create (`type`) and/or attributes of a device. */
export interface DeviceSpec {
  name: string;
  type?: DeviceType;
  /** macvlan, vlan: the lower device. */
  link?: string;
  mode?: MacvlanMode;
  /** vxlan VNI or vlan id. */
  id?: number;
  local?: string;
  remote?: string;
  group?: string;
  /** vxlan: the underlay device. */
  dev?: string;
  dstport?: number;
  vlanFiltering?: boolean;
  mtu?: number;
  mac?: string;
  /** false: left down. */
  up?: boolean;
  /** A bridge of the node, or 'none' (a port of a `bridge:` node left out of it). */
  master?: string;
  vlans?: BridgeVlan[];
  loc: SourceLoc;
}

/** A veth pair; both ends may sit in one node (a cable between two NICs). */
export interface VethLink {
  kind: 'veth';
  ends: [DeviceRef, DeviceRef];
}

export type Link = VethLink;

export const WIRELESS_MODES = ['mesh', 'ibss', 'ap'] as const;

export type WirelessMode = (typeof WIRELESS_MODES)[number];

/**
 * mac80211_hwsim radios on one medium: each radio becomes a device of its node under the given
 * name. Kept apart from `links` (veth pairs), which the topology, graph and path code read as pairs.
 */
export interface WirelessLink {
  kind: 'wireless';
  radios: DeviceRef[];
  /** mesh point (no daemon), IBSS, or an access point (hostapd) with stations (the kernel's SME; wpa_supplicant with a passphrase). */
  mode: WirelessMode;
  /** Mode ap: the radio that is the access point; the others are its stations. */
  ap?: DeviceRef;
  /** The SSID (ap, ibss) or mesh ID (mesh). */
  ssid: string;
  /** Mode ap: WPA2-PSK with this passphrase; open without it. */
  passphrase?: string;
  /** MHz, e.g. 2412 (channel 1). */
  freq: number;
  loc: SourceLoc;
}

export interface AddressAssignment {
  ref: DeviceRef;
  /** As written: `192.0.2.1/24`. */
  cidr: string;
  address: string;
  prefix: number;
  family: 4 | 6;
}

/** The kinds of probe; each sends one datagram (or exchange) and is observed on every device. */
export const PROBE_KINDS = ['udp', 'icmp', 'tcp'] as const;

export type ProbeKind = (typeof PROBE_KINDS)[number];

/**
 * Why a datagram did not arrive: the documented cause vocabulary (see README). UNKNOWN when the
 * evidence fits none of them; lab never guesses.
 */
export const CAUSES = [
  'NEIGH_FAILED', 'RPFILTER', 'MARTIAN_SOURCE', 'NO_ROUTE', 'NO_LISTENER', 'FILTERED',
  // A router received it and did not forward it (see src/verdict/hop.ts).
  'FORWARDING_OFF',
  // A route or rule of that type refused it: on the sender (src/verdict/sender-causes.ts) or on a router (src/verdict/hop.ts).
  'BLACKHOLE', 'UNREACHABLE', 'PROHIBIT',
  // The sender's own syscall refused it; the explanation names the errno.
  'SEND_ERROR',
  // A 127/8 address on a NIC without route_localnet (src/verdict/route-localnet.ts).
  'ROUTE_LOCALNET',
  'UNKNOWN',
] as const;

export type Cause = (typeof CAUSES)[number];

export interface Probe {
  kind: ProbeKind;
  /** Defaults to `KIND FROM → TO`. */
  name: string;
  from: { node: string; address: string; dev?: string };
  /** No port for icmp. */
  to: { address: string; port?: number };
  family: 4 | 6;
  timeoutMs: number;
  /** Whether lab starts a receiver (udp) or listener (tcp) on the destination. */
  listen: boolean;
  /** What the sending socket carries besides its addresses (src/model/probe-attributes.ts). */
  attributes?: ProbeAttributes;
  /** Probe-level expectations, merged over the case's. */
  expect?: Expectation;
  loc: SourceLoc;
}

/** Socket attributes of a probe; dscp is already its tos byte. */
export interface ProbeAttributes {
  tos?: number;
  mark?: number;
  sport?: number;
  uid?: number;
  flowlabel?: number;
}

/** The sender's routing decision a probe expects (any subset; src/model/route-expectation.ts). */
export interface RouteExpectation {
  table?: TableRef;
  dev?: string;
  via?: string;
  src?: string;
  type?: string;
}

/** How the sender's own decision refuses a probe. */
export const REJECT_KINDS = ['unreachable', 'prohibit', 'blackhole', 'no-route'] as const;

export type RejectKind = (typeof REJECT_KINDS)[number];

export interface Expectation {
  delivered?: boolean;
  /** Exactly these devices, in travel order. */
  path?: DeviceRef[];
  /** Each of these must be on the path. */
  via?: DeviceRef[];
  /** None of these may be on the path. */
  notVia?: DeviceRef[];
  /** The cause of non-delivery the verdict must find. */
  reason?: Cause;
  /** icmp, tcp: the answer (echo reply, SYN-ACK) on its way back to the sender. */
  reply?: ReplyExpectation;
  /** tcp: the connect completed (SYN, SYN-ACK and the final ACK). */
  handshake?: boolean;
  /** The sender's routing decision for the probe. */
  route?: RouteExpectation;
  /** The sender's decision refuses the probe, this way. */
  reject?: RejectKind;
  loc?: SourceLoc;
}

export interface ReplyExpectation {
  /** The echo reply (icmp) or SYN-ACK (tcp) reached the sender. */
  delivered?: boolean;
  /** Exactly these devices, in travel order, from the destination back to the sender. */
  path?: DeviceRef[];
  /** Why the answer did not reach the sender. */
  reason?: Cause;
}

export interface RecipeUse {
  name: string;
  /** Already checked against the recipe's own parameter schema, defaults filled in. */
  params: Record<string, unknown>;
  loc: SourceLoc;
}

export interface SysctlSetting {
  node: string;
  key: string;
  value: string;
}

/** A value a matrix dimension takes, as the scenario writes it. */
export type MatrixValue = number | string | boolean;

/** Which cell of a matrix a case is. */
export interface MatrixCell {
  /** The name the matrix case has in the file (each cell's own name adds its parameters). */
  case: string;
  /** Every dimension in file order, with the labels of its values in order. */
  dimensions: { name: string; labels: string[] }[];
  /** This cell's value per dimension: the label for `{ LABEL: VALUE }` values, the value itself for a list. */
  params: Record<string, MatrixValue>;
}

/** Expectations of a `cells:` entry that apply to a case (its `where` matched the cell's parameters). */
export interface ExpectationOverride {
  /** Only on kernels in this range. */
  kernel?: KernelRange;
  /** For every probe. */
  expect?: Expectation;
  /** By probe name, after `expect`. */
  probes?: Record<string, Expectation>;
  loc: SourceLoc;
}

export interface Case {
  name: string;
  description?: string;
  recipes: RecipeUse[];
  sysctls: SysctlSetting[];
  /** nftables rulesets per node, loaded after the sysctls (firewalls under test). */
  nft: { node: string; ruleset: string }[];
  probes: Probe[];
  expect: Expectation;
  /** Set when the case is one cell of a `matrix:`. */
  matrix?: MatrixCell;
  /** `cells:` entries for this case, in file order (later ones win). */
  overrides?: ExpectationOverride[];
  /** Per-node routing of this case over the topology's (`nodes:` of the case); see NodeOverride. */
  nodes?: Record<string, NodeOverride>;
  loc: SourceLoc;
}

export interface Scenario {
  name: string;
  description?: string;
  /** The path it was loaded from, as given. */
  file: string;
  nodes: NodeSpec[];
  links: Link[];
  /** hwsim radios; absent or empty for a wired scenario. */
  wireless?: WirelessLink[];
  addresses: AddressAssignment[];
  /** `tables:` as written (name → number); names are already resolved in routes and rules. */
  tables?: Record<string, number>;
  /** Recipes the file defines (`recipes:`), used by its cases like the built-in ones (model/user-recipes.ts). */
  recipes?: Recipe<any>[];
  cases: Case[];
}

// Routing of a node (issue 14): resolved by src/model/routing.ts, planned by src/plan/routing.ts.

export const ROUTE_TYPES = ['unicast', 'local', 'blackhole', 'unreachable', 'prohibit', 'throw'] as const;

export type RouteType = (typeof ROUTE_TYPES)[number];

export const RULE_ACTION_TYPES = ['blackhole', 'unreachable', 'prohibit'] as const;

export type RuleActionType = (typeof RULE_ACTION_TYPES)[number];

/** A routing table: its number, and the name the scenario used for it (tables:, main, local, default). */
export interface TableRef {
  id: number;
  name?: string;
}

export interface NextHop {
  via?: string;
  dev?: string;
  weight?: number;
  onlink?: boolean;
}

export interface Route {
  /** `default`, or a prefix (an address without a prefix length is a host route). */
  to: string;
  family: 4 | 6;
  type: RouteType;
  via?: string;
  dev?: string;
  src?: string;
  table?: TableRef;
  metric?: number;
  mtu?: number;
  onlink?: boolean;
  /** Multipath: several next hops instead of via/dev. */
  nexthops?: NextHop[];
  loc: SourceLoc;
}

export type RuleAction =
  | { kind: 'lookup'; table: TableRef; suppressPrefixlength?: number }
  | { kind: 'goto'; pref: number }
  | { kind: RuleActionType };

/** A policy rule; selectors keep the text ip understands (ranges, fwmark/mask, hex). */
export interface Rule {
  /** One rule per family: `family: both` gives [4, 6]. */
  families: (4 | 6)[];
  pref?: number;
  not?: boolean;
  from?: string;
  to?: string;
  iif?: string;
  oif?: string;
  fwmark?: string;
  tos?: string;
  dsfield?: string;
  ipproto?: string;
  sport?: string;
  dport?: string;
  uidrange?: string;
  action: RuleAction;
  loc: SourceLoc;
}

/** The kernel's own rules (local 0, main 32766, default 32767): moved to a pref, or deleted. */
export interface DefaultRules {
  local?: number | 'delete';
  main?: number | 'delete';
  default?: number | 'delete';
}

export interface SetupCommand {
  argv: string[];
  loc: SourceLoc;
}

export interface NodeRouting {
  forwarding?: boolean;
  /** Per-node sysctls, in file order (true/false already 1/0). */
  sysctls: { key: string; value: string }[];
  routes: Route[];
  rules: Rule[];
  defaultRules: DefaultRules;
  setup: SetupCommand[];
}

export const REPLACEABLE_LISTS = ['routes', 'rules', 'setup'] as const;

export type ReplaceableList = (typeof REPLACEABLE_LISTS)[number];

/** A case's `nodes: { NODE: ... }`: lists add after the node's unless named in `replace`; scalars and sysctl keys override. */
export interface NodeOverride extends NodeRouting {
  replace: ReplaceableList[];
}


export type KernelVersion = [number, number, number];

export interface KernelComparator {
  op: '>=' | '<=' | '>' | '<' | '=';
  /** The version as written: 1 to 3 numbers. `=` with fewer than 3 matches every later number. */
  version: number[];
}

/** A parsed range: alternatives (`||`), each a conjunction of comparators. */
export interface KernelRange {
  text: string;
  alternatives: KernelComparator[][];
}
