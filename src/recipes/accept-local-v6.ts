import { z } from 'zod';
import type { Op } from '../types/plan.js';
import { ACCEPT_LOCAL_TABLE } from './accept-local.js';
import { checkNicPair, ifname, iifLoDirection, moveLocalRule, nodeParam, nicPairAddresses } from './common.js';
import type { Recipe, RecipeSteps } from '../types/recipe.js';

export const acceptLocalV6Params = z.strictObject({
  node: nodeParam,
  out: ifname.describe('The sending NIC.'),
  in: ifname.describe('The receiving NIC.'),
  both: z.boolean().default(false).describe('Also route the reverse direction over the wire.'),
  out_addr: z.ipv6().optional().describe("The sending NIC's address (default: its first IPv6 address)."),
  in_addr: z.ipv6().optional().describe("The receiving NIC's address (default: its first IPv6 address)."),
});

export type AcceptLocalV6Params = z.output<typeof acceptLocalV6Params>;

export const acceptLocalV6: Recipe<AcceptLocalV6Params> = {
  name: 'accept-local-v6',
  summary: 'The IPv6 accept-local: the same iif-lo policy rules with ip -6; there is no sysctl to set.',
  description:
    'IPv6 has the same short-cut: both NICs\' addresses are in the local table, so a datagram from ' +
    'one to the other goes through lo. The cure is the same policy routing as accept-local, with ' +
    'ip -6: a table that routes the receiving NIC\'s address out of the sending NIC, a rule that ' +
    'uses it for locally generated packets only (iif lo), and the local table lookup moved behind ' +
    'that rule. IPv6 has neither accept_local nor rp_filter, and on kernel 6.18 the receiving NIC ' +
    'answers the neighbour solicitation and accepts the datagram without further settings. Give ' +
    'the addresses nodad so that duplicate address detection does not hold them tentative.',
  params: acceptLocalV6Params,

  check: (p, scenario) => checkNicPair(scenario, p, 6),

  steps(p, ctx): RecipeSteps {
    const { outAddr, inAddr, variables } = nicPairAddresses(p, ctx, 6);
    const { out, reverse, localPref } = ACCEPT_LOCAL_TABLE;
    const ops: Op[] = [
      ...iifLoDirection(p.node, p.out, inAddr, outAddr, out, `${outAddr} → ${inAddr}`, 6),
      ...(p.both ? iifLoDirection(p.node, p.in, outAddr, inAddr, reverse, `${inAddr} → ${outAddr}`, 6) : []),
      ...moveLocalRule(p.node, localPref, 6),
    ];
    return { ops, variables };
  },
};
