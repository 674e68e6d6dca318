import { isIPv6 } from 'node:net';
import { z } from 'zod';
import { parseCidr } from '../model/addresses.js';
import { IFNAME_MAX, NODE_NAME, nodeNameProblem } from '../model/names.js';
import type { Op } from '../types/plan.js';
import { ifname, nodeParam } from './common.js';
import type { Recipe, RecipeSteps, RecipeVariable } from '../types/recipe.js';

export const netnsSplitParams = z.strictObject({
  node: nodeParam,
  nic: ifname.describe('The NIC that moves into a namespace of its own.'),
  to: z.string().regex(NODE_NAME, { error: (iss) => nodeNameProblem(String(iss.input)) ?? 'invalid node name' })
    .optional()
    .describe('The new namespace (a node of the scenario from then on); default NODE-NIC.'),
  addr: z.string()
    .check((ctx) => {
      const parsed = parseCidr(ctx.value);
      if (!parsed.ok) ctx.issues.push({ code: 'custom', message: parsed.error, input: ctx.value });
    })
    .optional()
    .describe('The address to give the NIC again after the move (the kernel flushes it), e.g. 192.0.2.2/24; default: the ones the scenario assigns.'),
});

export type NetnsSplitParams = z.output<typeof netnsSplitParams>;

/** The new node's name: `to`, or NODE-NIC. */
export const splitTarget = (p: NetnsSplitParams): string => p.to ?? `${p.node}-${p.nic}`;

export const netnsSplit: Recipe<NetnsSplitParams> = {
  name: 'netns-split',
  summary: 'Move one NIC into a namespace of its own: its address is no longer local, no sysctl needed.',
  description:
    'The clean alternative: move one NIC (with its address) into its own network namespace. The ' +
    'two addresses then live in different namespaces, neither is local to the other, and a datagram ' +
    'between them takes the ordinary connected route over the wire; no policy rule, accept_local or ' +
    'rp_filter is involved, and ARP behaves as between two hosts. The kernel flushes a device\'s ' +
    'addresses when it changes namespace and leaves it down, so the recipe gives the address back ' +
    'and brings the NIC up inside. Programs that use the NIC must run in the namespace (ip netns ' +
    'exec). A wireless NIC moves with its phy (iw phy PHY set netns name NS), not with ip link. ' +
    'In lab the namespace is a new node, named NODE-NIC unless `to` says otherwise: write ' +
    'expectations with that name (laptop-wlan1:wlan1).',
  params: netnsSplitParams,

  check(p, scenario) {
    if (!scenario.hasNode(p.node)) return [`node "${p.node}" is not declared`];
    const problems: string[] = [];
    const to = splitTarget(p);
    if (!scenario.hasDevice(p.node, p.nic)) problems.push(`nic: ${p.node} has no device "${p.nic}"`);
    else if (p.addr === undefined && scenario.addressesOf(p.node, p.nic).length === 0) {
      problems.push(`nic: ${p.node}:${p.nic} has no address to take along (give one with addr)`);
    }
    if (p.to === undefined && to.length > IFNAME_MAX) {
      problems.push(`the default namespace name "${to}" is longer than ${IFNAME_MAX} characters; name it with to`);
    } else if (scenario.hasNode(to)) {
      problems.push(`to: "${to}" is already a node of the scenario; the NIC needs a namespace of its own`);
    }
    return problems;
  },

  steps(p, ctx): RecipeSteps {
    const variables: RecipeVariable[] = [];
    const to = splitTarget(p);
    const known = ctx.addressesOf(p.node, p.nic);
    const cidrs: { cidr: string; family: 4 | 6 }[] = p.addr !== undefined
      ? [{ cidr: p.addr, family: isIPv6(p.addr.split('/')[0] ?? '') ? 6 : 4 }]
      : known.map((a) => ({ cidr: a.cidr, family: a.family }));
    if (cidrs.length === 0) {
      variables.push({ name: 'NIC_CIDR', derive: `$(ip -4 -o addr show dev ${p.nic} | awk '{print $4; exit}')` });
      cidrs.push({ cidr: '$NIC_CIDR', family: 4 });
    }
    const ops: Op[] = [
      ...cidrs.map((a, i): Op => ({
        node: to,
        // nodad: duplicate address detection would hold an IPv6 address tentative for a while.
        argv: ['ip', 'addr', 'add', a.cidr, 'dev', p.nic, ...(a.family === 6 ? ['nodad'] : [])],
        ...(i === 0 ? { why: `the move flushed ${p.nic}'s address${cidrs.length > 1 ? 'es' : ''}: give ${cidrs.length > 1 ? 'them' : 'it'} back inside ${to}` } : {}),
      })),
      { node: to, argv: ['ip', 'link', 'set', 'dev', p.nic, 'up'], why: `the move left ${p.nic} down` },
    ];
    return {
      ops,
      variables,
      topology: {
        nodes: [to],
        moves: [{
          device: { node: p.node, dev: p.nic },
          to,
          why: `${p.nic} leaves ${p.node}: its address is no longer local there, so traffic to it takes the wire`,
        }],
      },
    };
  },
};
