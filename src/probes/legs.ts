// What each probe kind puts on the wire, as nft matches: the legs whose paths are reported, and
// the ARP/ND exchange that precedes them. Pure.
import type { ProbePlan } from '../types/plan.js';
import type { ObserverRule } from './observe.js';
import type { LegName } from '../types/observation.js';
// moved to src/types/observation.ts (re-exported here during the move only)
export type { LegName } from '../types/observation.js';

export interface Leg {
  name: LegName;
  /** The observer rule id: `p<index>:<leg>`. */
  id: string;
  match: string;
}

/** The ICMP echo identifier of a probe: fixed per probe so its request and reply can be told apart. */
export const echoId = (pp: ProbePlan): number => pp.port;

export const probeLegs = (pp: ProbePlan, index: number): Leg[] => {
  const id = (leg: LegName): string => `p${index}:${leg}`;
  const { kind, family } = pp.probe;
  // The source port too when lab knows it: another probe of the case may go to the same port.
  const out = (proto: string): string => `${pp.sport === undefined ? '' : `${proto} sport ${pp.sport} `}${proto} dport ${pp.port}`;
  const back = (proto: string): string => `${proto} sport ${pp.port}${pp.sport === undefined ? '' : ` ${proto} dport ${pp.sport}`}`;
  if (kind === 'udp') {
    return [{ name: 'datagram', id: id('datagram'), match: `meta l4proto udp ${out('udp')}` }];
  }
  if (kind === 'tcp') {
    return [
      { name: 'syn', id: id('syn'), match: `meta l4proto tcp ${out('tcp')} tcp flags & (syn | ack) == syn` },
      // The answer to the SYN: a SYN-ACK from a listener, or a RST when there is none.
      { name: 'syn-ack', id: id('syn-ack'), match: `meta l4proto tcp ${back('tcp')} tcp flags & (syn | rst) != 0` },
    ];
  }
  const icmp = family === 6 ? 'icmpv6' : 'icmp';
  return [
    { name: 'request', id: id('request'), match: `meta l4proto ${icmp} ${icmp} type echo-request ${icmp} id ${echoId(pp)}` },
    { name: 'reply', id: id('reply'), match: `meta l4proto ${icmp} ${icmp} type echo-reply ${icmp} id ${echoId(pp)}` },
  ];
};

/** ARP (IPv4) or neighbour discovery (IPv6) rules: requests and replies on every device. */
export const neighbourRules = (family: 4 | 6): ObserverRule[] =>
  family === 4
    ? [
        { id: 'arp:request', match: 'meta protocol arp arp operation request' },
        { id: 'arp:reply', match: 'meta protocol arp arp operation reply' },
      ]
    : [
        { id: 'nd:solicit', match: 'meta l4proto ipv6-icmp icmpv6 type nd-neighbor-solicit' },
        { id: 'nd:advert', match: 'meta l4proto ipv6-icmp icmpv6 type nd-neighbor-advert' },
      ];

/** Every observer rule of a case: the legs of each probe, and the neighbour exchanges. */
export const observerRules = (probes: readonly ProbePlan[]): ObserverRule[] => {
  const rules: ObserverRule[] = probes.flatMap((pp, i) => probeLegs(pp, i).map(({ id, match }) => ({ id, match })));
  for (const family of [4, 6] as const) {
    if (probes.some((pp) => pp.probe.family === family)) rules.push(...neighbourRules(family));
  }
  return rules;
};
