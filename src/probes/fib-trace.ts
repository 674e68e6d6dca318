// The kernel's own routing decisions: the fib:fib_table_lookup and fib6:fib6_table_lookup
// tracepoints (one line per table looked up: table, oif, iif, proto, src/sport -> dst/dport, the
// device and gateway found, err). tracefs is global and cases run in parallel, so the run has one
// trace instance of its own (recorded in its state file, removed at the end); the tracer drains
// its buffer into memory and each probe picks its own lookups out: by its unique port (udp, tcp)
// or, for icmp (no ports in the flow), by protocol and addresses, from the sender's output path
// (iif 1, lo) after the probe started. `ip route get` is left out (its lookups are its own).
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Runner } from '../backends/runner.js';
import type { StateFile } from '../backends/state.js';
import { TRACEFS } from './drops.js';
import type { FibLookup } from '../types/observation.js';
// moved to src/types/observation.ts (re-exported here during the move only)
export type { FibLookup } from '../types/observation.js';

const V4 = /^\s*(.+?)-\d+\s+\[\d+\].*?fib_table_lookup: table (\d+) oif (-?\d+) iif (-?\d+) proto (\d+) (\S+)\/(\d+) -> (\S+)\/(\d+) tos (\d+) scope \d+ flags \w+ ==> dev (\S+) gw (\S+)\/(\S+) err (-?\d+)/;
const V6 = /^\s*(.+?)-\d+\s+\[\d+\].*?fib6_table_lookup: table\s+(\d+) oif (-?\d+) iif (-?\d+) proto (\d+) (\S+)\/(\d+) -> (\S+)\/(\d+) flowlabel (\S+) tos (\d+) scope \d+ flags \w+ ==> dev (\S+) gw (\S+) err (-?\d+)/;

const gatewayOf = (text: string | undefined): string | undefined =>
  text === undefined || text === '0.0.0.0' || text === '::' ? undefined : text;

/** The lookups of a trace buffer, in order. Pure. */
export const parseFibTrace = (text: string): FibLookup[] => {
  const out: FibLookup[] = [];
  for (const line of text.split('\n')) {
    const m4 = V4.exec(line);
    if (m4) {
      const [, comm, table, oif, iif, proto, src, sport, dst, dport, tos, dev, gw4, gw6, err] = m4 as unknown as string[];
      const gateway = gatewayOf(gw4) ?? gatewayOf(gw6);
      out.push({
        comm: comm as string, table: Number(table), oif: Number(oif), iif: Number(iif), proto: Number(proto),
        src: src as string, sport: Number(sport), dst: dst as string, dport: Number(dport), tos: Number(tos),
        dev: dev as string, ...(gateway ? { gateway } : {}), err: Number(err),
      });
      continue;
    }
    const m6 = V6.exec(line);
    if (m6) {
      const [, comm, table, oif, iif, proto, src, sport, dst, dport, flowlabel, tos, dev, gw, err] = m6 as unknown as string[];
      const gateway = gatewayOf(gw);
      out.push({
        comm: comm as string, table: Number(table), oif: Number(oif), iif: Number(iif), proto: Number(proto),
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
}

/**
 * The probe's own output lookups: from its sender (iif 1, lo), not `ip route get`'s. The source
 * address counts for every kind (the sender binds it, so its lookups carry it): cases run in
 * parallel in namespaces of their own, tracefs sees them all, and two cases' probes can share a
 * destination and a port (policy-routing: 2001:db8:a::1 and 2001:db8:b::1 both to
 * [2001:db8:e::10]:47001, one answered by main, the other by table 200). Pure.
 */
export const selectLookups = (lookups: readonly FibLookup[], s: LookupSelector): FibLookup[] =>
  lookups.filter((l) =>
    l.iif === 1 && l.comm !== 'ip' && l.proto === s.proto && l.dst === s.dst && l.src === s.src &&
    (s.dport === undefined || l.dport === s.dport) &&
    (s.sport === undefined || l.sport === s.sport || l.sport === 0));

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

export interface FibTracer {
  /** Where the lookups seen so far end: the start of a probe's window. */
  mark(): number;
  /** Every lookup drained after `mark`. */
  since(mark: number): FibLookup[];
  stop(): Promise<void>;
}

/** The lookups kept in memory (the oldest go first); far more than a probe window's. */
const KEEP = 20_000;

/**
 * Starts tracing route lookups into an instance of this run, mounting tracefs first when needed.
 * Returns the reason it cannot when it cannot; that reason is reported, never hidden.
 */
export const startFibTracer = async (
  runner: Runner,
  state: StateFile,
  runId: string,
  root: string = TRACEFS,
): Promise<FibTracer | { unavailable: string }> => {
  if (!existsSync(join(root, 'instances'))) {
    state.ownMount(root, 'tracefs for route expectations');
    const r = await runner.run({ argv: ['mount', '-t', 'tracefs', 'nodev', root], timeoutMs: 5_000 });
    if (r.exitCode !== 0) {
      state.releaseMount(root);
      return { unavailable: `tracefs is not mounted and mounting it failed: ${r.stderr.trim()}` };
    }
  }
  const instance = join(root, 'instances', `lab-${runId}-fib`);
  const events = [join(instance, 'events', 'fib', 'fib_table_lookup'), join(instance, 'events', 'fib6', 'fib6_table_lookup')];
  state.ownTracefs({ kind: 'instance', path: instance });
  try {
    mkdirSync(instance);
    const present = events.filter((e) => existsSync(e));
    if (present.length === 0) throw new Error('this kernel has neither fib:fib_table_lookup nor fib6:fib6_table_lookup');
    // Output lookups of the probes' protocols only: udp, tcp, icmp, icmpv6.
    for (const e of present) {
      writeFileSync(join(e, 'filter'), 'iif == 1 && (proto == 17 || proto == 6 || proto == 1 || proto == 58)');
      writeFileSync(join(e, 'enable'), '1');
    }
  } catch (err) {
    try {
      rmdirSync(instance);
    } catch {
      // Never created.
    }
    state.releaseTracefs(instance);
    return { unavailable: `the fib_table_lookup tracepoints cannot be used: ${err instanceof Error ? err.message : String(err)}` };
  }
  const trace = join(instance, 'trace');
  const seen: FibLookup[] = [];
  let dropped = 0;
  const drain = (): void => {
    // Read, then clear: what the kernel writes between the two is lost (microseconds).
    const text = readFileSync(trace, 'utf8');
    writeFileSync(trace, '');
    seen.push(...parseFibTrace(text));
    if (seen.length > KEEP) dropped += seen.splice(0, seen.length - KEEP).length;
  };
  return {
    mark() {
      drain();
      return dropped + seen.length;
    },
    since(mark) {
      drain();
      return seen.slice(Math.max(0, mark - dropped));
    },
    async stop() {
      try {
        for (const e of events) if (existsSync(e)) writeFileSync(join(e, 'enable'), '0');
        rmdirSync(instance);
      } finally {
        state.releaseTracefs(instance);
      }
    },
  };
};
