import { z } from 'zod';
import type { Op } from '../plan/types.js';
import type { Recipe, RecipeContext, RecipeSteps, RecipeVariable } from './types.js';

const ifname = z.string().min(1);

export const acceptLocalParams = z.strictObject({
  node: z.string().min(1).describe('The host that owns both NICs.'),
  out: ifname.describe('The sending NIC.'),
  in: ifname.describe('The receiving NIC.'),
  both: z.boolean().default(false).describe('Also route the reverse direction over the wire.'),
  accept_local: z.union([z.literal(0), z.literal(1)]).default(1)
    .describe('net.ipv4.conf.{all,OUT,IN}.accept_local'),
  rp_filter: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(2)
    .describe('net.ipv4.conf.{all,OUT,IN}.rp_filter'),
  out_addr: z.ipv4().optional().describe("The sending NIC's address (default: its first IPv4 address)."),
  in_addr: z.ipv4().optional().describe("The receiving NIC's address (default: its first IPv4 address)."),
});

export type AcceptLocalParams = z.output<typeof acceptLocalParams>;

/** Routing tables and rule priorities the recipe uses; kept clear of the kernel's 0/32766/32767. */
export const ACCEPT_LOCAL_TABLE = { out: 100, reverse: 101, localPref: 1000 } as const;

const firstV4 = (ctx: RecipeContext, node: string, dev: string): string | undefined =>
  ctx.addressesOf(node, dev).find((a) => a.family === 4)?.address;

/** The address given, the one the scenario assigns, or a shell variable derived on the host. */
const addressOrVariable = (
  given: string | undefined,
  ctx: RecipeContext,
  node: string,
  dev: string,
  varName: string,
  variables: RecipeVariable[],
): string => {
  const known = given ?? firstV4(ctx, node, dev);
  if (known) return known;
  variables.push({
    name: varName,
    derive: `$(ip -4 -o addr show dev ${dev} | awk '{split($4, a, "/"); print a[1]; exit}')`,
  });
  return `$${varName}`;
};

const direction = (
  node: string,
  via: string,
  dst: string,
  src: string,
  table: number,
  label: string,
): Op[] => [
  {
    node,
    argv: ['ip', 'route', 'add', `${dst}/32`, 'dev', via, 'src', src, 'table', String(table)],
    undo: ['ip', 'route', 'del', `${dst}/32`, 'dev', via, 'table', String(table)],
    why: `table ${table} sends ${label} out of ${via}, with ${src} as source`,
  },
  {
    node,
    argv: ['ip', 'rule', 'add', 'pref', String(table), 'iif', 'lo', 'to', `${dst}/32`, 'lookup', String(table)],
    undo: ['ip', 'rule', 'del', 'pref', String(table)],
    why: `locally generated packets (iif lo) to ${dst} use table ${table}; packets arriving on a NIC do not, so they are not sent back out`,
  },
];

const RP_FILTER_MODE = ['off', 'strict', 'loose'] as const;

/** One sysctl per scope (conf.all and both NICs); the reason is given once, on the first. */
const sysctlOps = (node: string, key: 'accept_local' | 'rp_filter', value: number, devs: string[]): Op[] => {
  const scopes = ['all', ...devs];
  const why =
    key === 'accept_local'
      ? `accept_local=${value} on ${scopes.join(', ')}: ${value ? 'accept' : 'refuse'} packets whose source is a local address`
      : `rp_filter=${value} (${RP_FILTER_MODE[value] ?? value}) on ${scopes.join(', ')}: the value in force on a NIC is max(all, NIC)`;
  return scopes.map((dev, i) => ({
    node,
    argv: ['sysctl', '-q', '-w', `net.ipv4.conf.${dev}.${key}=${value}`],
    ...(i === 0 ? { why } : {}),
  }));
};

export const acceptLocal: Recipe<AcceptLocalParams> = {
  name: 'accept-local',
  summary: 'Send between two local NICs over the wire: iif-lo policy rules, local table moved back, accept_local.',
  description:
    'Two NICs of one host on one network cannot reach each other over the wire by default: both ' +
    'addresses are in the local table, so the kernel delivers the datagram through lo. This recipe ' +
    'adds a policy rule for locally generated packets (iif lo) to the receiving NIC\'s address that ' +
    'looks up a table routing it out of the sending NIC, moves the local table lookup (priority 0) ' +
    'behind that rule, and sets accept_local on the receiving side so that a packet carrying a ' +
    'local source address is accepted; rp_filter must allow it too. With both=true the reverse ' +
    'direction is routed over the wire as well.',
  params: acceptLocalParams,

  check(p, scenario) {
    if (!scenario.hasNode(p.node)) return [`node "${p.node}" is not declared`];
    const problems: string[] = [];
    for (const [role, dev, given] of [['out', p.out, p.out_addr], ['in', p.in, p.in_addr]] as const) {
      if (!scenario.hasDevice(p.node, dev)) {
        problems.push(`${role}: ${p.node} has no device "${dev}"`);
      } else if (!given && !scenario.addressesOf(p.node, dev).some((a) => a.family === 4)) {
        problems.push(`${role}: ${p.node}:${dev} has no IPv4 address`);
      }
    }
    if (p.out === p.in) problems.push('out and in must be two different NICs');
    return problems;
  },

  steps(p, ctx): RecipeSteps {
    const variables: RecipeVariable[] = [];
    const outAddr = addressOrVariable(p.out_addr, ctx, p.node, p.out, 'OUT_ADDR', variables);
    const inAddr = addressOrVariable(p.in_addr, ctx, p.node, p.in, 'IN_ADDR', variables);
    const { out, reverse, localPref } = ACCEPT_LOCAL_TABLE;
    const ops: Op[] = [
      ...direction(p.node, p.out, inAddr, outAddr, out, `${outAddr} → ${inAddr}`),
      ...(p.both ? direction(p.node, p.in, outAddr, inAddr, reverse, `${inAddr} → ${outAddr}`) : []),
      {
        node: p.node,
        argv: ['ip', 'rule', 'add', 'pref', String(localPref), 'lookup', 'local'],
        undo: ['ip', 'rule', 'del', 'pref', String(localPref), 'lookup', 'local'],
        why: 'the local table is looked up again, after the rules above',
      },
      {
        node: p.node,
        argv: ['ip', 'rule', 'del', 'pref', '0', 'lookup', 'local'],
        undo: ['ip', 'rule', 'add', 'pref', '0', 'lookup', 'local'],
        why: 'otherwise the local table (priority 0) answers first and the packet goes through lo',
      },
      ...sysctlOps(p.node, 'accept_local', p.accept_local, [p.out, p.in]),
      ...sysctlOps(p.node, 'rp_filter', p.rp_filter, [p.out, p.in]),
    ];
    return { ops, variables };
  },
};
