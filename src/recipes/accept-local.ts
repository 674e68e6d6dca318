import { z } from 'zod';
import type { Op } from '../types/plan.js';
import {
  accept0or1, acceptLocalWhy, checkNicPair, confSysctls, ifname, iifLoDirection, moveLocalRule,
  rpFilterValue, rpFilterWhy, nicPairAddresses } from './common.js';
import type { Recipe, RecipeSteps } from '../types/recipe.js';

export const acceptLocalParams = z.strictObject({
  node: z.string().min(1).describe('The host that owns both NICs.'),
  out: ifname.describe('The sending NIC.'),
  in: ifname.describe('The receiving NIC.'),
  both: z.boolean().default(false).describe('Also route the reverse direction over the wire.'),
  accept_local: accept0or1.default(1)
    .describe('net.ipv4.conf.{all,OUT,IN}.accept_local'),
  rp_filter: rpFilterValue.default(2)
    .describe('net.ipv4.conf.{all,OUT,IN}.rp_filter'),
  out_addr: z.ipv4().optional().describe("The sending NIC's address (default: its first IPv4 address)."),
  in_addr: z.ipv4().optional().describe("The receiving NIC's address (default: its first IPv4 address)."),
});

export type AcceptLocalParams = z.output<typeof acceptLocalParams>;

/** Routing tables and rule priorities the recipe uses; kept clear of the kernel's 0/32766/32767. */
export const ACCEPT_LOCAL_TABLE = { out: 100, reverse: 101, localPref: 1000 } as const;

/** One sysctl per scope (conf.all and both NICs); the reason is given once, on the first. */
const sysctlOps = (node: string, key: 'accept_local' | 'rp_filter', value: number, devs: string[]): Op[] => {
  const scopes = ['all', ...devs];
  const why = key === 'accept_local' ? acceptLocalWhy(value, scopes) : rpFilterWhy(value, scopes);
  return confSysctls(node, key, value, scopes, why);
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
    'local source address is accepted; rp_filter must allow it too. Measured on kernel 6.18, one ' +
    'way: accept_local=1 with rp_filter 0 or 2 delivers; accept_local=0, or strict rp_filter=1 (the ' +
    'way back to the source is lo), makes the receiving NIC ignore the ARP request. With both=true ' +
    'the reverse direction is routed over the wire as well, and then every setting delivers: the ' +
    'reverse rule makes the source a unicast route through the receiving NIC, so neither check ' +
    'objects (scenarios/accept-local-matrix.yaml).',
  params: acceptLocalParams,

  check: (p, scenario) => checkNicPair(scenario, p),

  steps(p, ctx): RecipeSteps {
    const { outAddr, inAddr, variables } = nicPairAddresses(p, ctx);
    const { out, reverse, localPref } = ACCEPT_LOCAL_TABLE;
    const ops: Op[] = [
      ...iifLoDirection(p.node, p.out, inAddr, outAddr, out, `${outAddr} → ${inAddr}`),
      ...(p.both ? iifLoDirection(p.node, p.in, outAddr, inAddr, reverse, `${inAddr} → ${outAddr}`) : []),
      ...moveLocalRule(p.node, localPref),
      ...sysctlOps(p.node, 'accept_local', p.accept_local, [p.out, p.in]),
      ...sysctlOps(p.node, 'rp_filter', p.rp_filter, [p.out, p.in]),
    ];
    return { ops, variables };
  },
};
