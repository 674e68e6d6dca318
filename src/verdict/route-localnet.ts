// ROUTE_LOCALNET: a 127/8 address used on a NIC, which the kernel keeps off the wire unless
// net.ipv4.conf.{all,DEV}.route_localnet is 1 (the two are or-ed). Pure.
//
// Measured by hand here (kernel 6.18; scenarios/route-localnet.yaml says how):
// - the receiver ignores an ARP request whose target is 127/8 (arp_process) when route_localnet
//   is 0 on the device it came in on: the sender's neighbour entry stays INCOMPLETE/FAILED, and
//   `ip route get 127.x from SRC iif DEV` there answers "Invalid argument" (a martian
//   destination), which is not about the sender's address, so accept_local and rp_filter are
//   the wrong knobs to name;
// - a sender whose source is 127/8 and whose route leaves through a NIC gets EINVAL from sendto
//   (and from `ip route get DST from 127.x`) when route_localnet is 0 on that NIC and on all.
import { isLoopback4 } from '../model/addresses.js';
import type { Probe } from '../types/scenario.js';
import type { ProbeObservation } from '../types/observation.js';

const either = (s: Record<string, number> | undefined, dev: string | undefined): number | undefined => {
  const all = s?.['all.route_localnet'];
  const own = dev === undefined ? undefined : s?.[`${dev}.route_localnet`];
  if (all === undefined) return undefined;
  return Math.max(all, own ?? 0);
};

/** The route_localnet values that decided, one evidence line; none when no 127/8 address is involved. */
export const routeLocalnetEvidence = (probe: Probe, obs: ProbeObservation, receiverNode: string | undefined): string[] => {
  const lines: string[] = [];
  const s = obs.senderSysctls;
  if (s) {
    const dev = probe.from.dev;
    lines.push(`on ${probe.from.node}: route_localnet ${either(s, dev)} (all ${s['all.route_localnet']}${dev ? `, ${dev} ${s[`${dev}.route_localnet`]}` : ''})`);
  }
  const r = obs.inputSysctls;
  const dev = obs.inputRoute?.dev;
  if (isLoopback4(probe.to.address) && r && dev && r['all.route_localnet'] !== undefined) {
    lines.push(`on ${receiverNode ?? '?'}:${dev}: route_localnet ${either(r, dev)} (all ${r['all.route_localnet']}, ${dev} ${r[`${dev}.route_localnet`]})`);
  }
  return lines;
};

/** Why it did not arrive when route_localnet is the reason; undefined otherwise. */
export const routeLocalnet = (probe: Probe, obs: ProbeObservation, receiverNode: string | undefined): string | undefined => {
  if (obs.delivered || probe.family !== 4) return undefined;
  // The sender refused its own loopback source (EINVAL at sendto, or the route lookup says so).
  const refusedToSend = /invalid argument/i.test(obs.sendError ?? '') || (obs.prediction && !obs.prediction.ok && /invalid argument/i.test(obs.prediction.error));
  if (isLoopback4(probe.from.address) && refusedToSend && either(obs.senderSysctls, probe.from.dev) !== 1) {
    const dev = probe.from.dev ? `${probe.from.dev} or all` : 'the NIC it leaves by or all';
    return `${probe.from.node} refused to send from ${probe.from.address}${obs.sendError ? ` (${obs.sendError})` : ''}: ` +
      `a 127/8 source leaves through a NIC only with route_localnet 1 (net.ipv4.conf.{${dev}}.route_localnet on ${probe.from.node} is 0)`;
  }
  // The receiver would not take a 127/8 destination in: it ignored the ARP request, or dropped the datagram as a martian.
  const dev = obs.inputRoute?.dev;
  if (isLoopback4(probe.to.address) && receiverNode && dev && obs.inputRoute && !obs.inputRoute.decision.ok && either(obs.inputSysctls, dev) === 0) {
    const entry = obs.exchange?.entry ?? obs.neighbours[0];
    const unanswered = obs.path.length === 0 && entry && /FAILED|INCOMPLETE/.test(entry.state);
    const what = unanswered
      ? `neighbour ${entry.address} on ${entry.node}:${entry.dev} is ${entry.state}: ${receiverNode}:${dev} ignores ARP requests for a 127/8 target`
      : `${receiverNode}:${dev} drops a datagram to a 127/8 destination as a martian`;
    return `${what} with route_localnet 0 (net.ipv4.conf.{all,${dev}}.route_localnet on ${receiverNode})`;
  }
  return undefined;
};
