// The resolved scenario model: what the loader hands to the planner. Raw YAML never leaves src/model.
import type { Recipe } from '../recipes/types.js';
import type { KernelRange } from './kernel.js';

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
  /** forwarding, sysctl, routes, rules, default-rules and setup (src/model/routing.ts); absent when none is given. */
  routing?: NodeRouting;
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
  /** mesh point (no daemon), IBSS, or an access point (hostapd) with stations (wpa_supplicant). */
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
export const CAUSES = ['NEIGH_FAILED', 'RPFILTER', 'MARTIAN_SOURCE', 'NO_ROUTE', 'NO_LISTENER', 'FILTERED', 'UNKNOWN'] as const;
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
  /** Probe-level expectations, merged over the case's. */
  expect?: Expectation;
  loc: SourceLoc;
}


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
  loc?: SourceLoc;
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

export const formatRef = (ref: DeviceRef): string => `${ref.node}:${ref.dev}`;

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
