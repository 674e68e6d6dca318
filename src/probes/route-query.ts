// The sender's routing decision for a probe, asked the way the probe's socket asks it: `ip route
// get` with the same source, device, tos, mark, protocol, ports and uid (a policy rule can match
// any of them). Pure.
import type { Case, Probe } from '../types/scenario.js';
import type { LookupSelector } from './fib-trace.js';

/** The protocol number of a probe kind in its family. */
export const probeProto = (probe: Pick<Probe, 'kind' | 'family'>): number =>
  probe.kind === 'udp' ? 17 : probe.kind === 'tcp' ? 6 : probe.family === 6 ? 58 : 1;

/**
 * `route get …` for `ip -batch`: the probe's destination from its source, and every selector the
 * kernel's rules could match on. The flow label has no `ip route get` keyword (iproute2 6.1).
 */
export const routeGetCommand = (probe: Probe, port: number): string => {
  const a = probe.attributes ?? {};
  const proto = probe.kind === 'icmp' ? (probe.family === 6 ? 'ipv6-icmp' : 'icmp') : probe.kind;
  return [
    'route get', probe.to.address, 'from', probe.from.address,
    ...(probe.from.dev ? ['oif', probe.from.dev] : []),
    ...(a.tos === undefined ? [] : ['tos', `0x${a.tos.toString(16)}`]),
    ...(a.mark === undefined ? [] : ['mark', `0x${a.mark.toString(16)}`]),
    'ipproto', proto,
    ...(probe.kind === 'icmp' ? [] : [...(a.sport === undefined ? [] : ['sport', String(a.sport)]), 'dport', String(port)]),
    ...(a.uid === undefined ? [] : ['uid', String(a.uid)]),
  ].join(' ');
};

/** What picks this probe's lookups out of the fib tracepoints' (src/probes/fib-trace.ts). */
export const lookupSelector = (probe: Probe, port: number, sport?: number): LookupSelector => ({
  proto: probeProto(probe),
  src: probe.from.address,
  dst: probe.to.address,
  ...(probe.kind === 'icmp' ? {} : { dport: port }),
  ...(probe.kind === 'icmp' || sport === undefined ? {} : { sport }),
});

/** Whether any expectation of these cases is about the sender's routing decision (then lab traces lookups). */
export const needsRouteTrace = (cases: readonly Case[]): boolean =>
  cases.some((c) =>
    [c.expect, ...c.probes.map((p) => p.expect), ...(c.overrides ?? []).flatMap((o) => [o.expect, ...Object.values(o.probes ?? {})])]
      .some((e) => e?.route !== undefined || e?.reject !== undefined));
