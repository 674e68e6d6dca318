// The shape of a node's routing keys (forwarding, sysctl, routes, rules, default-rules, setup),
// of a case's per-node overrides and of `tables:`. A leaf: schema.ts spreads these fields into the
// node and case schemas; checks that need the topology (devices, subnets, table names) are in routing.ts.
import { z } from 'zod';
import { DEVICE_NAME, SYSCTL_KEY, deviceNameProblem, sysctlKeyProblem } from './names.js';
import { REPLACEABLE_LISTS, ROUTE_TYPES, RULE_ACTION_TYPES } from '../types/scenario.js';

const U32 = 4294967295;

const deviceName = z.string()
  .regex(DEVICE_NAME, { error: (iss) => deviceNameProblem(String(iss.input)) ?? 'invalid device name' });

export const sysctlKeySchema = z.string()
  .regex(SYSCTL_KEY, { error: (iss) => sysctlKeyProblem(String(iss.input)) ?? 'sysctl key not allowed' });

export const sysctlValueSchema = z.union([z.number(), z.string(), z.boolean()], {
  error: 'a sysctl value must be a number, text, or true/false',
}).refine((v) => typeof v !== 'string' || !/[\u0000-\u001f\u007f]/.test(v), {
  // It becomes an argv element: a NUL cannot be passed at all, a newline would be a second write.
  error: 'a sysctl value may not contain control characters (NUL, newline, tab)',
});

/** A name usable in `tables:`; main, local and default are always known. */
export const TABLE_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/;
const TABLE = 'a table is a number from 1 to 4294967295, or a name from tables: (main, local and default are always known)';

export const tableIdSchema = z.int({ error: TABLE }).min(1, { error: TABLE }).max(U32, { error: TABLE });

export const tableRefSchema = z.union([tableIdSchema, z.string().regex(TABLE_NAME, { error: TABLE })], { error: TABLE })
  .describe('A routing table: a number, or a name defined under tables: (main, local and default are always known).');

export const tablesSchema = z.record(
  z.string().regex(TABLE_NAME, { error: 'a table name starts with a letter and has letters, digits, "_" and "-" (at most 32)' }),
  tableIdSchema,
).describe('Names for routing tables, usable wherever a table is: { wan: 100, lan: 200 }. main (254), local (255) ' +
  'and default (253) are always known and cannot be redefined.');

const address = (what: string) => z.string().describe(what);

export const nextHopSchema = z.strictObject({
  via: address('The gateway of this next hop (an address in the subnet of an address of the node, unless onlink).').optional(),
  dev: deviceName.optional().describe('The device of this next hop.'),
  weight: z.int().min(1).max(256).optional().describe('Relative weight, 1 to 256 (default 1).'),
  onlink: z.boolean().optional().describe('Treat via as directly reachable on dev even outside its subnets.'),
});

export const routeSchema = z.strictObject({
  to: z.string().min(1).describe('default, a prefix (198.51.100.0/24, 2001:db8:2::/64), or an address (a host route).'),
  via: address('The gateway: an address in the subnet of an address of the node (of dev when dev is given), unless onlink.').optional(),
  dev: deviceName.optional().describe('The device the route goes out of (a device of the node; lo always exists).'),
  src: address('The preferred source address (an address of the node).').optional(),
  table: tableRefSchema.optional().describe('The table to add the route to (default: main).'),
  metric: z.int().min(0).max(U32).optional().describe('The route metric (priority); lower wins.'),
  mtu: z.int().min(68).max(65535).optional().describe('The path MTU of the route.'),
  type: z.enum(ROUTE_TYPES).optional()
    .describe('unicast (default), local, blackhole, unreachable, prohibit or throw; only unicast and local have next hops.'),
  onlink: z.boolean().optional().describe('Treat via as directly reachable on dev even outside its subnets (needs dev).'),
  nexthops: z.array(nextHopSchema).min(1).optional()
    .describe('Multipath: several next hops { via, dev, weight, onlink } instead of via/dev.'),
  family: z.union([z.literal(4), z.literal(6)]).optional()
    .describe('4 or 6; needed only when no address says (to: default with no via).'),
}).describe('A static route; IPv4 or IPv6 as its addresses say.');

const HEX_OR_DEC = /^(0x[0-9A-Fa-f]+|[0-9]+)$/;
const MARK = /^(0x[0-9A-Fa-f]+|[0-9]+)(\/(0x[0-9A-Fa-f]+|[0-9]+))?$/;
const RANGE = /^[0-9]+(-[0-9]+)?$/;

const byteValue = (what: string) => z.union([z.int().min(0).max(255), z.string().regex(HEX_OR_DEC)], {
  error: `${what} is a number from 0 to 255, decimal or hex (0x10)`,
});
const portRange = (what: string) => z.union([z.int().min(0).max(65535), z.string().regex(RANGE)], {
  error: `${what} is a port (53) or a range "A-B" (1000-2000)`,
}).describe(`Match the ${what}: a port or a range "A-B".`);

export const ruleSchema = z.strictObject({
  pref: z.int().min(0).max(U32).optional().describe('The priority; rules are tried from the lowest.'),
  not: z.boolean().optional().describe('Invert the selectors.'),
  from: z.string().min(1).optional().describe('Match the source: a prefix or an address.'),
  to: z.string().min(1).optional().describe('Match the destination: a prefix or an address.'),
  iif: deviceName.optional().describe('Match the input device (lo: locally generated packets).'),
  oif: deviceName.optional().describe('Match the output device (sockets bound to it).'),
  fwmark: z.union([z.int().min(0).max(U32), z.string().regex(MARK)], {
    error: 'fwmark is a number, or "MARK/MASK" in decimal or hex (0x1/0xff)',
  }).optional().describe('Match the firewall mark: MARK or MARK/MASK, decimal or hex.'),
  tos: byteValue('tos').optional().describe('Match the TOS byte (the same as dsfield).'),
  dsfield: byteValue('dsfield').optional().describe('Match the DS field byte (the same as tos).'),
  ipproto: z.union([z.int().min(0).max(255), z.string().regex(/^[a-z][a-z0-9-]*$/)], {
    error: 'ipproto is a protocol name (udp, tcp, icmp) or number',
  }).optional().describe('Match the IP protocol: a name (udp, tcp, icmp, ...) or number.'),
  sport: portRange('source port').optional(),
  dport: portRange('destination port').optional(),
  uidrange: z.union([z.int().min(0).max(U32), z.string().regex(RANGE)], {
    error: 'uidrange is a user id (1000) or a range "A-B" (1000-2000)',
  }).optional().describe('Match the socket\'s user id: a uid or a range "A-B".'),
  lookup: tableRefSchema.optional().describe('Action: look up this table.'),
  goto: z.int().min(1).max(U32).optional().describe('Action: go on with the rule of this pref.'),
  action: z.enum(RULE_ACTION_TYPES).optional().describe('Action: refuse with blackhole, unreachable or prohibit.'),
  suppress_prefixlength: z.int().min(0).max(128).optional()
    .describe('With lookup only: ignore answers whose prefix length is this or less (0: ignore the default route).'),
  family: z.union([z.literal(4), z.literal(6), z.literal('both')]).optional()
    .describe('4, 6 or both; default: the family of from/to, else 4.'),
}).describe('A policy rule: selectors and exactly one action (lookup, goto or action).');

const defaultRule = (name: string, pref: number) => z.union([z.int().min(0).max(U32), z.literal('delete')], {
  error: `${name} is a pref to move the rule to, or delete`,
}).optional().describe(`The "${name}" rule (pref ${pref}): a pref number to move it to, or delete.`);

export const defaultRulesSchema = z.strictObject({
  local: defaultRule('local', 0),
  main: defaultRule('main', 32766),
  default: defaultRule('default', 32767),
}).describe('Move or delete the kernel\'s own rules, IPv4 and IPv6 (IPv6 has no default rule: that key is IPv4 only).');

const SETUP = 'a setup command is a non-empty list of text, e.g. [ip, route, add, unreachable, 203.0.113.9]';
export const setupSchema = z.array(
  z.array(
    z.string({ error: (iss) => `an argument must be text: quote it (${JSON.stringify(String(iss.input))})` })
      .min(1, { error: 'an argument may not be empty' }),
    { error: SETUP },
  ).min(1, { error: SETUP }),
  { error: 'setup is a list of commands, each a list of text' },
).describe('Commands (argv lists) run inside the node last, after topology, recipes, sysctls and nft; no shell ' +
  'unless written [sh, -c, ...]. A failing command is a case error naming it, its exit code and stderr.');

/** The routing keys of a node entry in `nodes:` (the topology's). */
export const nodeRoutingFields = {
  forwarding: z.boolean().optional()
    .describe('net.ipv4.ip_forward and net.ipv6.conf.all.forwarding (default: the kernel\'s, off).'),
  sysctl: z.record(sysctlKeySchema, sysctlValueSchema).optional()
    .describe('Sysctls of this node, applied before its routes: { net.ipv4.KEY: VALUE }.'),
  routes: z.array(routeSchema).optional().describe('Static routes, added after the addresses.'),
  rules: z.array(ruleSchema).optional().describe('Policy rules, added after the routes and default-rules.'),
  'default-rules': defaultRulesSchema.optional(),
  setup: setupSchema.optional(),
};

/** A case's `nodes: { NODE: ... }` entry. */
export const nodeOverrideSchema = z.strictObject({
  forwarding: nodeRoutingFields.forwarding.describe('Overrides the node\'s forwarding.'),
  sysctl: nodeRoutingFields.sysctl.describe('Added to the node\'s sysctls; a key the node sets too is overridden.'),
  routes: nodeRoutingFields.routes.describe('Added after the node\'s routes (replaced when replace names routes).'),
  rules: nodeRoutingFields.rules.describe('Added after the node\'s rules (replaced when replace names rules).'),
  'default-rules': defaultRulesSchema.optional().describe('Each key overrides the node\'s same key.'),
  setup: nodeRoutingFields.setup.describe('Added after the node\'s setup commands (replaced when replace names setup).'),
  replace: z.array(z.enum(REPLACEABLE_LISTS)).optional()
    .describe('Lists (routes, rules, setup) this case replaces instead of adding to: [routes] drops the node\'s routes.'),
}).nullable().describe('This case\'s routing of the node: lists add after the node\'s unless named in replace; ' +
  'forwarding, default-rules keys and sysctl keys override.');
