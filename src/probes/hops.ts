// Gathers HopEvidence at the node where a leg stopped. Measured by hand on kernel 6.18
// (h1 — r — h2, two veth LANs, default gateways via r), `ip route get DST from SRC iif DEV` on r:
//   forwarding off (IPv4)  "No route to host"   (IpInAddrErrors, kfree_skb IP_INADDRERRORS, no ICMP)
//   forwarding off (IPv6)  a route: IPv6 input route lookups ignore forwarding (Ip6InAddrErrors, no ICMP)
//   no route               "Network is unreachable" (IpExtInNoRoutes / Ip6InNoRoutes, ICMP net unreachable)
//   blackhole route        "Invalid argument"   (nothing counted, no drop reason, no ICMP)
//   unreachable route      "No route to host"   (ICMP host unreachable / IPv6 no route)
//   prohibit route         "Permission denied"  (ICMP admin prohibited)
//   strict rp_filter       "Invalid argument"   (TcpExtIPReversePathFilter)
// "Invalid argument" and "No route to host" each have two causes: the forwarding sysctl and the
// covering routes (`ip route show table all match DST`) tell them apart.
import type { LiveCase } from '../backends/host.js';
import { parseRouteGet, splitJsonBatch, type BatchAnswer } from './evidence.js';
import { parseCoveringRoutes } from './hop-evidence.js';
import type { HopEvidence } from '../types/observation.js';

export interface HopQuery {
  leg: HopEvidence['leg'];
  node: string;
  iif?: string;
  dst: string;
  src: string;
  family: 4 | 6;
}

/** Reads sysctls of a node; undefined when any cannot be read. */
export type SysctlReader = (live: LiveCase, node: string, keys: readonly string[]) => Promise<number[] | undefined>;

/** The sysctls read for an input device, by family: forwarding first, then rp_filter (IPv4). */
export const hopSysctlKeys = (family: 4 | 6, iif: string): string[] =>
  family === 4
    ? [`net.ipv4.conf.${iif}.forwarding`, 'net.ipv4.conf.all.rp_filter', `net.ipv4.conf.${iif}.rp_filter`]
    : ['net.ipv6.conf.all.forwarding'];

export const gatherHop = async (live: LiveCase, q: HopQuery, readSysctls: SysctlReader): Promise<HopEvidence> => {
  const batch = [
    `route get ${q.dst} from ${q.src}${q.iif ? ` iif ${q.iif}` : ''}`,
    `route show table all match ${q.dst}`,
  ];
  const keys = q.iif ? hopSysctlKeys(q.family, q.iif) : [];
  const [answers, values] = await Promise.all([
    live.run(q.node, { argv: ['ip', `-${q.family}`, '-j', '-force', '-batch', '-'], input: `${batch.join('\n')}\n` }),
    readSysctls(live, q.node, keys),
  ]);
  const [decision, routes] = splitJsonBatch(batch.length, answers.stdout, answers.stderr) as [BatchAnswer, BatchAnswer];
  const [forwarding, rpAll, rpDev] = values ?? [];
  return {
    leg: q.leg,
    node: q.node,
    ...(q.iif ? { iif: q.iif } : {}),
    dst: q.dst,
    src: q.src,
    family: q.family,
    decision: parseRouteGet(decision.exitCode, decision.stdout, decision.stderr),
    ...(forwarding !== undefined && keys[0] ? { forwarding, forwardingKey: keys[0] } : {}),
    ...(rpAll !== undefined && rpDev !== undefined ? { rpFilter: Math.max(rpAll, rpDev) } : {}),
    routes: routes.exitCode === 0 ? parseCoveringRoutes(routes.stdout) : [],
  };
};
