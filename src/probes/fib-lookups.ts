// The kernel's route lookups as the fib:fib_table_lookup and fib6:fib6_table_lookup tracepoints
// print them (one line per table looked up: table, oif, iif, proto, src/sport -> dst/dport, the
// device and gateway found, err), one probe's picked out of everyone's, and the lookup that
// decided. Pure: the tracer that gathers them is src/probes/fib-trace.ts.
import type { FibLookup } from '../types/observation.js';

const V4 = /^\s*(.+?)-(\d+)\s+\[\d+\].*?fib_table_lookup: table (\d+) oif (-?\d+) iif (-?\d+) proto (\d+) (\S+)\/(\d+) -> (\S+)\/(\d+) tos (\d+) scope \d+ flags \w+ ==> dev (\S+) gw (\S+)\/(\S+) err (-?\d+)/;
const V6 = /^\s*(.+?)-(\d+)\s+\[\d+\].*?fib6_table_lookup: table\s+(\d+) oif (-?\d+) iif (-?\d+) proto (\d+) (\S+)\/(\d+) -> (\S+)\/(\d+) flowlabel (\S+) tos (\d+) scope \d+ flags \w+ ==> dev (\S+) gw (\S+) err (-?\d+)/;

const gatewayOf = (text: string | undefined): string | undefined =>
  text === undefined || text === '0.0.0.0' || text === '::' ? undefined : text;

/** The lookups of a trace buffer, in order. Pure. */
export const parseFibTrace = (text: string): FibLookup[] => {
  const out: FibLookup[] = [];
  for (const line of text.split('\n')) {
    const m4 = V4.exec(line);
    if (m4) {
      const [, comm, pid, table, oif, iif, proto, src, sport, dst, dport, tos, dev, gw4, gw6, err] = m4 as unknown as string[];
      const gateway = gatewayOf(gw4) ?? gatewayOf(gw6);
      out.push({
        comm: comm as string, pid: Number(pid), table: Number(table), oif: Number(oif), iif: Number(iif), proto: Number(proto),
        src: src as string, sport: Number(sport), dst: dst as string, dport: Number(dport), tos: Number(tos),
        dev: dev as string, ...(gateway ? { gateway } : {}), err: Number(err),
      });
      continue;
    }
    const m6 = V6.exec(line);
    if (m6) {
      const [, comm, pid, table, oif, iif, proto, src, sport, dst, dport, flowlabel, tos, dev, gw, err] = m6 as unknown as string[];
      const gateway = gatewayOf(gw);
      out.push({
        comm: comm as string, pid: Number(pid), table: Number(table), oif: Number(oif), iif: Number(iif), proto: Number(proto),
        src: src as string, sport: Number(sport), dst: dst as string, dport: Number(dport), tos: Number(tos),
        flowlabel: Number(flowlabel), dev: dev as string, ...(gateway ? { gateway } : {}), err: Number(err),
      });
    }
  }
  return out;
};

/** What picks one probe's lookups out of everyone's. */
export interface LookupSelector {
  proto: number;
  src: string;
  dst: string;
  /** The probe's unique destination port; absent for icmp. */
  dport?: number;
  /**
   * The source port the sender binds (unique per probe of a case): tells apart two cases that send
   * between the same addresses and port side by side. A lookup made before the socket had its port
   * prints 0 there and still counts.
   */
  sport?: number;
  /**
   * The processes that sent the probe, when known (src/probes/fib-sender.ts): the lookups of any
   * other process are not this probe's, even with the same protocol, addresses and ports (another
   * lab's case, or a case of this run, sending the same datagram at the same moment).
   */
  pids?: readonly number[];
  /** The sending tool's name (comm), when its pid is not known (a ping or socat fallback). */
  comm?: string;
}

/**
 * The probe's own output lookups: from its sender (iif 1, lo), not `ip route get`'s. The source
 * address counts for every kind (the sender binds it, so its lookups carry it): cases run in
 * parallel in namespaces of their own, tracefs sees them all, and two cases' probes can share a
 * destination and a port (policy-routing: 2001:db8:a::1 and 2001:db8:b::1 both to
 * [2001:db8:e::10]:47001, one answered by main, the other by table 200). The sending process
 * counts when it is known: two cases (or labs) can send the very same datagram at once (same
 * addresses, and lab numbers every case's ports alike); measured with fib-collide.yaml and
 * --jobs 2, 4 to 10 of each case's 12 route expectations took the other case's table. Pure.
 */
export const selectLookups = (lookups: readonly FibLookup[], s: LookupSelector): FibLookup[] =>
  lookups.filter((l) =>
    l.iif === 1 && l.comm !== 'ip' && l.proto === s.proto && l.dst === s.dst && l.src === s.src &&
    (s.dport === undefined || l.dport === s.dport) &&
    (s.sport === undefined || l.sport === s.sport || l.sport === 0) &&
    (s.pids === undefined || (l.pid !== undefined && s.pids.includes(l.pid))) &&
    (s.comm === undefined || l.comm === s.comm));

/**
 * Whether a lookup says "nothing here, the rules go on": EAGAIN for IPv4. IPv6 prints the null
 * entry's EHOSTUNREACH (dev lo) for a table without a match, exactly as for an unreachable route
 * (measured: 2001:db8:7::/64 unreachable and no route at all give the same lines), so an IPv6
 * EHOSTUNREACH decides nothing and `ip route get`'s errno tells them apart.
 */
const goesOn = (l: FibLookup): boolean => l.err === -11 || (l.flowlabel !== undefined && l.err === -113);

/**
 * The first routing decision's lookups: one per rule the kernel tried, in rule order, until a
 * table's answer stood. A decision starts again at the first rule's table (a TCP connect, a
 * retransmission, a second datagram decide again), so the first decision ends before the first
 * table comes round again. Pure.
 */
export const firstDecision = (lookups: readonly FibLookup[]): FibLookup[] => {
  const first = lookups[0];
  if (!first) return [];
  const again = lookups.findIndex((l, i) => i > 0 && l.table === first.table);
  return lookups.slice(0, again === -1 ? lookups.length : again);
};

/**
 * The lookup that decided: the last of the first decision, since the rules stop at the first
 * answer that stands. An answer can be printed and still not stand: a rule's
 * suppress_prefixlength throws it away after the lookup (err 0 in the trace) and the rules go on
 * (measured: `ip -6 rule add pref 100 table main suppress_prefixlength 0`, pref 200 table 200:
 * local -113, main 0 dev eth1, 200 0 dev eth0; `ip route get` says table 200). When the decision
 * ends on "go on" (no table had a route), no table decided.
 */
export const decidingLookup = (lookups: readonly FibLookup[]): FibLookup | undefined => {
  const last = firstDecision(lookups).at(-1);
  return last && !goesOn(last) ? last : undefined;
};

/** Numbers of the kernel's errno values a route lookup gives. */
export const LOOKUP_ERRORS: Record<number, string> = {
  [-11]: 'EAGAIN',
  [-13]: 'EACCES',
  [-22]: 'EINVAL',
  [-101]: 'ENETUNREACH',
  [-113]: 'EHOSTUNREACH',
};
