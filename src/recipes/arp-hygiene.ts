import { z } from 'zod';
import type { Op } from '../types/plan.js';
import { confSysctls, ifname, nodeParam } from './common.js';
import type { Recipe, RecipeSteps } from '../types/recipe.js';

export const arpHygieneParams = z.strictObject({
  node: nodeParam,
  nics: z.array(ifname).optional()
    .describe('NICs to set as well as conf.all (default: conf.all only, which covers every NIC).'),
  arp_ignore: z.literal([0, 1, 2, 3, 8])
    .default(1)
    .describe('0: answer for any local address on any NIC; 1: only for an address of the NIC asked on; 2: also only from its subnet.'),
  arp_announce: z.literal([0, 1, 2]).default(2)
    .describe("2: a request's sender address is the best local address for the target on the NIC it leaves by."),
  arp_filter: z.literal([0, 1]).default(0)
    .describe('1: answer only if the way back to the asker leaves by the NIC asked on (off by default: it silences every NIC with accept-local one way).'),
});

export type ArpHygieneParams = z.output<typeof arpHygieneParams>;

export const arpHygiene: Recipe<ArpHygieneParams> = {
  name: 'arp-hygiene',
  summary: 'arp_ignore, arp_announce, arp_filter for a host with several NICs on one segment.',
  description:
    'Linux owns addresses per host, not per NIC: by default (arp_ignore=0) every NIC answers ARP ' +
    'for every local address. With three NICs on one segment, a request for the receiving NIC\'s ' +
    'address is answered by the others too, the first answer wins, and the traffic goes to ' +
    'whichever NIC answered first: it arrives, but on the wrong NIC (on kernel 6.18 with a bridge, ' +
    'the port enslaved last hears the broadcast first). arp_ignore=1 makes a NIC answer only for ' +
    'its own addresses; arp_announce=2 makes requests carry a sender address of the NIC they leave ' +
    'by. arp_filter=1 (answer only when the route back to the asker leaves by the NIC asked on) ' +
    'stays off by default: with accept-local one way the route back to the sending NIC\'s address ' +
    'is local (lo), so no NIC would answer at all. Effective values: arp_ignore and arp_announce ' +
    'are max(all, NIC), arp_filter is all OR NIC.',
  params: arpHygieneParams,

  check(p, scenario) {
    if (!scenario.hasNode(p.node)) return [`node "${p.node}" is not declared`];
    return (p.nics ?? []).filter((d) => !scenario.hasDevice(p.node, d)).map((d) => `nics: ${p.node} has no device "${d}"`);
  },

  steps(p): RecipeSteps {
    const scopes = ['all', ...(p.nics ?? [])];
    const on = scopes.join(', ');
    const ops: Op[] = [
      ...confSysctls(p.node, 'arp_ignore', p.arp_ignore, scopes,
        `arp_ignore=${p.arp_ignore} on ${on}: ${p.arp_ignore === 0 ? 'every NIC answers for every local address' : 'a NIC answers only for addresses configured on it'}`),
      ...confSysctls(p.node, 'arp_announce', p.arp_announce, scopes,
        `arp_announce=${p.arp_announce} on ${on}: ${p.arp_announce === 2 ? 'requests carry an address of the NIC they leave by' : 'requests may carry any local address'}`),
      ...confSysctls(p.node, 'arp_filter', p.arp_filter, scopes,
        `arp_filter=${p.arp_filter} on ${on}: ${p.arp_filter ? 'answer only when the route back leaves by the NIC asked on' : 'answer regardless of the route back (1 breaks accept-local one way)'}`),
    ];
    return { ops, variables: [] };
  },
};
