import { z } from 'zod';
import type { Op } from '../types/plan.js';
import {
  accept0or1, acceptLocalWhy, checkNicPair, confSysctls, ifname, nodeParam, rpFilterValue,
  rpFilterWhy, nicPairAddresses } from './common.js';
import type { Recipe, RecipeSteps } from '../types/recipe.js';

export const tcMirredParams = z.strictObject({
  node: nodeParam,
  out: ifname.describe('The NIC the datagram is redirected to (it leaves by this one).'),
  in: ifname.describe('The receiving NIC.'),
  both: z.boolean().default(false).describe('Also redirect the reverse direction, out of the receiving NIC.'),
  rewrite_mac: z.boolean().default(true)
    .describe('Rewrite the Ethernet addresses to the two NICs\' MACs (tc pedit); lo\'s frame carries all-zero ones.'),
  accept_local: accept0or1.default(1).describe('net.ipv4.conf.{all,OUT,IN}.accept_local'),
  rp_filter: rpFilterValue.default(2).describe('net.ipv4.conf.{all,OUT,IN}.rp_filter'),
  out_addr: z.ipv4().optional().describe("The sending NIC's address (default: its first IPv4 address)."),
  in_addr: z.ipv4().optional().describe("The receiving NIC's address (default: its first IPv4 address)."),
});

export type TcMirredParams = z.output<typeof tcMirredParams>;

export const PEDIT = 'the tc pedit action (CONFIG_NET_ACT_PEDIT)';
export const MIRRED = 'the tc u32 classifier and mirred action (CONFIG_NET_CLS_U32, CONFIG_NET_ACT_MIRRED)';

/** One redirect: lo egress, src → dst, out of `via` (with the MACs of `via` and `peer` when rewriting). */
const redirect = (
  p: TcMirredParams,
  src: string,
  dst: string,
  via: string,
  peer: string,
  pref: number,
): Op[] => {
  const macs: Op[] = [];
  const rewrite: string[] = [];
  if (p.rewrite_mac) {
    const srcMac = `${via.replace(/\W/g, '_').toUpperCase()}_MAC`;
    const dstMac = `${peer.replace(/\W/g, '_').toUpperCase()}_MAC`;
    macs.push(
      { node: p.node, argv: ['cat', `/sys/class/net/${via}/address`], capture: srcMac, why: `the MAC of ${via}` },
      { node: p.node, argv: ['cat', `/sys/class/net/${peer}/address`], capture: dstMac, why: `the MAC of ${peer}` },
    );
    rewrite.push('action', 'pedit', 'ex', 'munge', 'eth', 'src', 'set', `$${srcMac}`,
      'munge', 'eth', 'dst', 'set', `$${dstMac}`, 'pipe');
  }
  return [
    ...macs,
    {
      node: p.node,
      argv: ['tc', 'filter', 'add', 'dev', 'lo', 'egress', 'protocol', 'ip', 'pref', String(pref), 'u32',
        'match', 'ip', 'src', `${src}/32`, 'match', 'ip', 'dst', `${dst}/32`,
        ...rewrite, 'action', 'mirred', 'egress', 'redirect', 'dev', via],
      undo: ['tc', 'filter', 'del', 'dev', 'lo', 'egress', 'pref', String(pref)],
      why: p.rewrite_mac
        ? `${src} → ${dst} is taken off lo, addressed from ${via}'s MAC to ${peer}'s, and sent out of ${via}`
        : `${src} → ${dst} is taken off lo and sent out of ${via} as it is, with lo's all-zero MAC addresses`,
      requires: p.rewrite_mac ? PEDIT : MIRRED,
    },
  ];
};

export const tcMirred: Recipe<TcMirredParams> = {
  name: 'tc-mirred',
  summary: 'Take the datagram off lo with a tc filter and redirect it out of the NIC (mirred), as kernel selftests do.',
  description:
    'The routing is left alone: the datagram to the other NIC\'s address still goes to lo, and a ' +
    'tc filter on lo\'s egress (clsact qdisc, u32 match on the two addresses) redirects it out of ' +
    'the sending NIC with the mirred action. No ARP happens: a frame on lo carries all-zero MAC ' +
    'addresses, so the pedit action rewrites them to the two NICs\' own (rewrite_mac, default). ' +
    'Without the rewrite a bridge or access point drops the frame (an all-zero source is invalid) ' +
    'and a NIC on a direct cable discards it as addressed to another host. The receiving NIC sees ' +
    'a local source address: it needs accept_local=1 and rp_filter 0 or 2. Kernels without ' +
    'act_pedit (the lab kernel here has only u32 and mirred built in) skip the rewriting case. The ' +
    'redirected frame passes no netfilter egress hook on the sending NIC, so lab sees it on lo and ' +
    'next on the far side of the cable.',
  params: tcMirredParams,

  check: (p, scenario) => checkNicPair(scenario, p),

  steps(p, ctx): RecipeSteps {
    const { outAddr, inAddr, variables } = nicPairAddresses(p, ctx);
    const scopes = ['all', p.out, p.in];
    const ops: Op[] = [
      {
        node: p.node,
        argv: ['tc', 'qdisc', 'add', 'dev', 'lo', 'clsact'],
        undo: ['tc', 'qdisc', 'del', 'dev', 'lo', 'clsact'],
        why: 'a clsact qdisc gives lo an egress hook for filters',
        requires: 'the clsact qdisc (CONFIG_NET_SCH_INGRESS)',
      },
      ...redirect(p, outAddr, inAddr, p.out, p.in, 1),
      ...(p.both ? redirect(p, inAddr, outAddr, p.in, p.out, 2) : []),
      ...confSysctls(p.node, 'accept_local', p.accept_local, scopes, acceptLocalWhy(p.accept_local, scopes)),
      ...confSysctls(p.node, 'rp_filter', p.rp_filter, scopes, rpFilterWhy(p.rp_filter, scopes)),
    ];
    const redirects = [
      { node: p.node, from: 'lo', to: p.out },
      ...(p.both ? [{ node: p.node, from: 'lo', to: p.in }] : []),
    ];
    return { ops, variables, topology: { nodes: [], moves: [], redirects } };
  },
};
