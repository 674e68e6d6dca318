import { z } from 'zod';
import type { Op } from '../types/plan.js';
import {
  accept0or1, acceptLocalWhy, checkNicPair, confSysctls, ifname, nodeParam, rpFilterValue,
  rpFilterWhy, nicPairAddresses } from './common.js';
import type { Recipe, RecipeSteps, SenderBinding } from '../types/recipe.js';

export const bindToDeviceParams = z.strictObject({
  node: nodeParam,
  out: ifname.describe('The sending NIC: the sender binds its socket to it.'),
  in: ifname.describe('The receiving NIC.'),
  both: z.boolean().default(false)
    .describe('Also bind the reverse direction: a sender from the receiving NIC\'s address binds to it.'),
  accept_local: accept0or1.default(1).describe('net.ipv4.conf.{all,OUT,IN}.accept_local'),
  rp_filter: rpFilterValue.default(2).describe('net.ipv4.conf.{all,OUT,IN}.rp_filter'),
  out_addr: z.ipv4().optional().describe("The sending NIC's address (default: its first IPv4 address)."),
  in_addr: z.ipv4().optional().describe("The receiving NIC's address (default: its first IPv4 address)."),
});

export type BindToDeviceParams = z.output<typeof bindToDeviceParams>;

const binding = (node: string, from: string, dev: string, to: string): SenderBinding => ({
  node,
  address: from,
  dev,
  why: `a sender from ${from} binds its socket to ${dev} (SO_BINDTODEVICE), so its datagrams to ${to} leave by ${dev}`,
  example: ['socat', '-u', '-', `UDP4-SENDTO:${to}:9000,bind=${from},so-bindtodevice=${dev}`],
});

export const bindToDevice: Recipe<BindToDeviceParams> = {
  name: 'bind-to-device',
  summary: 'The sender binds its socket to the outgoing NIC (SO_BINDTODEVICE); accept_local on the receiver.',
  description:
    'Instead of policy rules, the sending program binds its socket to the sending NIC ' +
    '(SO_BINDTODEVICE, socat so-bindtodevice=, ping -I). The route lookup of a bound socket skips ' +
    'routes through other devices, and the local table entry of the receiving NIC\'s address ' +
    'belongs to that other NIC, so the lookup falls through to the connected route and the ' +
    'datagram leaves by the bound NIC. The receiving NIC then sees a packet (and before it an ARP ' +
    'request) whose source is a local address: it needs accept_local=1 and an rp_filter that ' +
    'allows it (0 or 2; strict 1 refuses it, because the way back to the source is lo). Only ' +
    'programs that bind are affected; everything else still goes through lo. lab applies the ' +
    'binding to the probes sent from the bound address.',
  params: bindToDeviceParams,

  check: (p, scenario) => checkNicPair(scenario, p),

  steps(p, ctx): RecipeSteps {
    const { outAddr, inAddr, variables } = nicPairAddresses(p, ctx);
    const scopes = ['all', p.out, p.in];
    const ops: Op[] = [
      ...confSysctls(p.node, 'accept_local', p.accept_local, scopes, acceptLocalWhy(p.accept_local, scopes)),
      ...confSysctls(p.node, 'rp_filter', p.rp_filter, scopes, rpFilterWhy(p.rp_filter, scopes)),
    ];
    const senders: SenderBinding[] = [
      binding(p.node, outAddr, p.out, inAddr),
      ...(p.both ? [binding(p.node, inAddr, p.in, outAddr)] : []),
    ];
    return { ops, variables, senders };
  },
};
