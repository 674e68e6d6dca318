// The raw scenario document: the shape a file must have, before references are resolved.
// The validator and the published JSON Schema (schema/scenario.schema.json) both come from here.
// Checks that need more than one value (does this device exist?) live in resolve.ts.
import { z } from 'zod';
import type { Recipe } from '../types/recipe.js';
import { devicesSchema } from './device-schema.js';
import { unknownRecipeMessage } from './messages.js';
import {
  nodeOverrideSchema, nodeRoutingFields, sysctlKeySchema, sysctlValueSchema, tablesSchema,
} from './routing-schema.js';
import { userRecipesSchema } from './user-recipes.js';
import { CAUSES, PROBE_KINDS, WIRELESS_MODES } from '../types/scenario.js';
import { probeAttributeFields } from './probe-attributes.js';
import { rejectSchema, routeExpectationSchema } from './route-expectation.js';
import {
  DEVICE_NAME, DEVICE_REF, NODE_NAME, SCENARIO_NAME,
  deviceNameProblem, deviceRefProblem, nodeNameProblem, scenarioNameProblem,
} from './names.js';

/** A regex check whose message explains the rejected value. */
const named = (re: RegExp, problem: (s: string) => string | undefined, fallback: string) =>
  z.string().regex(re, { error: (iss) => problem(String(iss.input)) ?? fallback });

export const nodeNameSchema = named(NODE_NAME, nodeNameProblem, 'invalid node name')
  .describe('A node (network namespace): letters, digits, "_" and "-", at most 15 characters.');

const deviceNameSchema = named(DEVICE_NAME, deviceNameProblem, 'invalid device name')
  .describe('A network device name: letters, digits, "_", "." and "-", at most 15 characters (IFNAMSIZ).');

export const deviceRefSchema = named(DEVICE_REF, deviceRefProblem, 'invalid device reference')
  .describe('A device as node:device, e.g. laptop:wlan0. lo exists in every node.');

const TIMEOUT = 'must be a whole number of milliseconds from 10 to 60000';
const timeoutMsSchema = z.int({ error: TIMEOUT }).min(10, { error: TIMEOUT }).max(60000, { error: TIMEOUT })
  .describe('How long to wait for a probe datagram, in milliseconds (default 1000).');

export const nodeSpecSchema = z.strictObject({
  bridge: deviceNameSchema.optional()
    .describe('A bridge inside the node; every linked port of the node is enslaved to it.'),
  devices: devicesSchema.optional(),
  ...nodeRoutingFields,
}).nullable();

const nodesSchema = z.record(nodeNameSchema, nodeSpecSchema)
  .describe('The nodes, by name; each is a network namespace.');

const vethLinkSchema = z.tuple([deviceRefSchema, deviceRefSchema], {
  error: 'a link is a list of exactly two ends, e.g. [laptop:wlan0, ap:port0]',
}).describe('A veth pair; both ends may be in one node.');

/** Channels 1-11: usable for beacons without a regulatory domain (the world domain forbids initiating on 12-13 and 5 GHz). */
const WIRELESS_FREQS = [2412, 2417, 2422, 2427, 2432, 2437, 2442, 2447, 2452, 2457, 2462] as const;
const FREQ = `must be a 2.4 GHz channel frequency from 2412 (channel 1) to 2462 (channel 11), in steps of 5 MHz`;

export const wirelessLinkSchema = z.strictObject({
  type: z.literal('wireless', { error: 'a link written as a mapping is a wireless link: { type: wireless, radios: [node:dev, ...] }' })
    .describe('Radios of mac80211_hwsim on one medium.'),
  radios: z.array(deviceRefSchema).min(2, { error: 'a wireless link needs at least two radios' })
    .describe('The radios, as node:device; each becomes a device of its node under that name.'),
  mode: z.enum(WIRELESS_MODES).optional()
    .describe('mesh (default: mesh point, no daemon), ibss (ad hoc), or ap (hostapd access point; its stations join through the kernel, or with wpa_supplicant when there is a passphrase).'),
  ap: deviceRefSchema.optional().describe('Mode ap: the radio that is the access point; the other radios are its stations.'),
  ssid: z.string().regex(/^[\x20-\x7e]{1,32}$/, { error: 'an SSID is 1 to 32 printable ASCII characters' }).optional()
    .describe('The SSID (ap, ibss) or mesh ID (mesh); default netns-lab.'),
  passphrase: z.string().regex(/^[\x20-\x7e]{8,63}$/, { error: 'a WPA2 passphrase is 8 to 63 printable ASCII characters' }).optional()
    .describe('Mode ap: WPA2-PSK with this passphrase; without it the network is open.'),
  freq: z.int({ error: FREQ }).refine((f) => (WIRELESS_FREQS as readonly number[]).includes(f), { error: FREQ }).optional()
    .describe('The frequency in MHz (default 2412, channel 1).'),
});

export const linkSchema = z.union([vethLinkSchema, wirelessLinkSchema], {
  error: (iss) => Array.isArray(iss.input)
    ? 'a link is a list of exactly two ends, e.g. [laptop:wlan0, ap:port0]'
    : 'a link is a list of exactly two ends, e.g. [laptop:wlan0, ap:port0], or a wireless link { type: wireless, radios: [...] }',
}).describe('A veth pair [a:dev, b:dev], or mac80211_hwsim radios { type: wireless, radios: [...] }.');

const cidrSchema = z.string()
  .describe('An address with its prefix length, e.g. 192.0.2.1/24 or 2001:db8::1/64.');

const addressesSchema = z.record(
  deviceRefSchema,
  z.union([cidrSchema, z.array(cidrSchema).min(1)], {
    error: 'must be an address with prefix length (192.0.2.1/24) or a list of them',
  }),
).describe('Addresses by device (node:device).');

const replyExpectSchema = z.strictObject({
  delivered: z.boolean().optional().describe(
    'Whether the answer reached the sending node: icmp, the echo reply (what ping waits for); tcp, the ' +
      'SYN-ACK (a RST, when nothing listens, is not one).'),
  path: z.array(deviceRefSchema).optional()
    .describe('Exactly these devices, in travel order, from the destination back to the sender.'),
  reason: z.enum(CAUSES).optional()
    .describe('Why the answer did not reach the sender: the request\'s own cause when it never arrived.'),
}).describe('icmp and tcp: the answer to the probe (echo reply, SYN-ACK) on its way back.');

export const expectSchema = z.strictObject({
  delivered: z.boolean().optional().describe(
    'Whether the probe reaches the destination: udp, the receiver got the marker; icmp, the echo request ' +
      'reached the destination node\'s ICMP layer (IcmpInEchos / Icmp6InEchos moved there); tcp, the ' +
      'listener accepted the connection and read the marker.'),
  reason: z.enum(CAUSES).optional()
    .describe('Why the datagram did not arrive, as the verdict finds it from the evidence.'),
  path: z.array(deviceRefSchema).optional().describe('Exactly these devices, in travel order.'),
  via: z.array(deviceRefSchema).optional().describe('Each of these devices must be on the path.'),
  'not-via': z.array(deviceRefSchema).optional().describe('None of these devices may be on the path.'),
  reply: replyExpectSchema.optional(),
  handshake: z.boolean().optional()
    .describe('tcp: the connect completed: SYN, SYN-ACK and the final ACK (the sender\'s connect() returned success).'),
  route: routeExpectationSchema.optional(),
  reject: rejectSchema.optional(),
});

const probeTargetFields = {
  from: z.string().describe('node:address, e.g. laptop:192.0.2.1 or laptop:2001:db8::1.')
    .meta({ examples: ['laptop:192.0.2.1', 'laptop:2001:db8::1'] }),
  to: z.string().describe('address, address:port, or [IPv6 address]:port.')
    .meta({ examples: ['192.0.2.2', '192.0.2.2:9000', '2001:db8::2', '[2001:db8::2]:9000'] }),
  dev: deviceNameSchema.optional().describe('Send out of this device of the sending node (SO_BINDTODEVICE).'),
  'timeout-ms': timeoutMsSchema.optional(),
  ...probeAttributeFields,
};

const listenField = z.boolean().optional()
  .describe('Start a receiver on the destination (default true); false shows what happens with no listener.');

const udpSchema = z.strictObject({ ...probeTargetFields, listen: listenField });
const tcpSchema = z.strictObject({ ...probeTargetFields, listen: listenField });
const icmpSchema = z.strictObject({
  ...probeTargetFields,
  to: z.string().describe('The address to ping (no port).').meta({ examples: ['192.0.2.2', '2001:db8::2'] }),
});

/** The schema of each probe kind's parameters. */
export const probeKindSchemas = { udp: udpSchema, icmp: icmpSchema, tcp: tcpSchema } as const;

export const probeSchema = z.strictObject({
  name: z.string().min(1).optional().describe('Defaults to "KIND FROM → TO".'),
  udp: udpSchema.optional().describe('A UDP datagram carrying a unique marker.'),
  icmp: icmpSchema.optional().describe('An ICMP echo request; its reply is observed too.'),
  tcp: tcpSchema.optional().describe('A TCP connect: the SYN and the SYN-ACK are observed.'),
  expect: expectSchema.optional().describe("Merged over the case's expectations."),
}).refine((p) => PROBE_KINDS.filter((k) => p[k] !== undefined).length === 1, {
  error: `a probe has exactly one of: ${PROBE_KINDS.join(', ')}`,
});

export { sysctlKeySchema, sysctlValueSchema };

const sysctlSchema = z.record(nodeNameSchema, z.record(sysctlKeySchema, sysctlValueSchema))
  .describe('Sysctls per node, applied after the recipes: { NODE: { net.ipv4.KEY: VALUE } }.');

/** `recipe:` — one key per recipe of the catalog, its value that recipe's parameters. */
const recipeUseSchema = (registry: readonly Recipe<any>[]) => {
  const names = registry.map((r) => r.name);
  return z.strictObject(
    Object.fromEntries(registry.map((r) => [r.name, r.params.optional().describe(r.summary)])),
    {
      error: (iss) => iss.code === 'unrecognized_keys'
        ? iss.keys.map((key) => unknownRecipeMessage(key, names)).join('\n')
        : undefined,
    },
  ).describe('Recipes to apply, by name, with their parameters.');
};

/** A value a matrix dimension takes: what a recipe parameter or a sysctl would be given. */
const matrixValueSchema = z.union([z.number(), z.string(), z.boolean()], {
  error: 'a matrix value is a number, text or true/false',
});

/** `RECIPE.PARAM` (accept-local.rp_filter) or `NODE:SYSCTL` (laptop:net.ipv4.conf.all.rp_filter). */
const matrixTargetSchema = z.string().min(1)
  .describe('What the values set: RECIPE.PARAM (a parameter of a recipe of the case) or NODE:KEY (a sysctl).')
  .meta({ examples: ['accept-local.rp_filter', 'laptop:net.ipv4.conf.wlan1.rp_filter'] });

const MATRIX_DIMENSION = 'a matrix dimension is a list of values (its name then says what they set), or ' +
  '{ set: RECIPE.PARAM or NODE:SYSCTL (or a list of them), values: [...] or { LABEL: VALUE, ... } }';

const matrixDimensionSchema = z.union([
  z.array(matrixValueSchema).min(1),
  z.strictObject({
    set: z.union([matrixTargetSchema, z.array(matrixTargetSchema).min(1)], {
      error: (iss) => (iss.input === undefined ? 'missing required key "set"' : 'set: RECIPE.PARAM or NODE:SYSCTL, or a list of them'),
    }),
    values: z.union([z.array(matrixValueSchema).min(1), z.record(z.string().min(1), matrixValueSchema)], {
      error: (iss) => (iss.input === undefined ? 'missing required key "values"' : 'values: a list of values, or a mapping LABEL: VALUE'),
    }),
  }),
], { error: MATRIX_DIMENSION });

const matrixSchema = z.record(z.string().min(1), matrixDimensionSchema)
  .describe('Runs the case once per combination of values (a cell), each in a fresh topology. The last ' +
    'dimension becomes the columns of the matrix table, the others its rows.');

const cellRuleSchema = z.strictObject({
  where: z.record(z.string().min(1), z.union([matrixValueSchema, z.array(matrixValueSchema).min(1)])).optional()
    .describe('The cells it applies to: DIMENSION: value (or a list of values), and kernel: RANGE (e.g. ">=6.1 <6.8").'),
  description: z.string().optional().describe('Why these cells differ.'),
  expect: expectSchema.optional().describe('Merged over the expectations of every probe of these cells.'),
  probes: z.record(z.string().min(1), expectSchema).optional()
    .describe('By probe name: merged over that probe\'s expectations in these cells.'),
});

const cellsSchema = z.array(cellRuleSchema).min(1)
  .describe('Expectations that differ in some cells (or on some kernels); later entries win.');

export const caseFields = (registry: readonly Recipe<any>[]) => ({
  name: z.string().min(1).describe('Unique within the file.'),
  description: z.string().optional(),
  recipe: recipeUseSchema(registry).optional(),
  sysctl: sysctlSchema.optional(),
  nft: z.record(nodeNameSchema, z.string().min(1)).optional()
    .describe('An nftables ruleset per node (nft -f syntax), loaded after the sysctls: a firewall under test.'),
  'timeout-ms': timeoutMsSchema.optional(),
  nodes: z.record(nodeNameSchema, nodeOverrideSchema).optional()
    .describe('Routing of nodes in this case (forwarding, sysctl, routes, rules, default-rules, setup, replace): ' +
      'lists add after the node\'s own unless named in replace; forwarding, default-rules keys and sysctl keys override.'),
  probes: z.array(probeSchema).min(1),
  expect: expectSchema.optional().describe('Expectations for every probe of the case.'),
  matrix: matrixSchema.optional(),
  cells: cellsSchema.optional(),
});

export const scenarioFields = (registry: readonly Recipe<any>[]) => ({
  name: named(SCENARIO_NAME, scenarioNameProblem, 'invalid scenario name')
    .describe('The scenario: letters, digits, "_", "." and "-".'),
  description: z.string().optional(),
  nodes: nodesSchema,
  links: z.array(linkSchema).optional(),
  addresses: addressesSchema.optional(),
  tables: tablesSchema.optional(),
  recipes: userRecipesSchema.optional(),
  cases: z.array(z.strictObject(caseFields(registry))).min(1)
    .describe('Each case runs in a fresh copy of the topology.'),
});

/** The whole raw document; recipe parameters come from the registry (the catalog: src/recipes/scenario.ts). */
export const scenarioSchema = (registry: readonly Recipe<any>[]) =>
  z.strictObject(scenarioFields(registry));

export type RawProbe = z.output<typeof probeSchema>;
export type RawExpect = z.output<typeof expectSchema>;
