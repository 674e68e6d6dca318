// The kernel's own routing decisions: the fib:fib_table_lookup and fib6:fib6_table_lookup
// tracepoints (one line per table looked up: table, oif, iif, proto, src/sport -> dst/dport, the
// device and gateway found, err). tracefs is global and cases run in parallel, so the run has one
// trace instance of its own (recorded in its state file, removed at the end); the tracer drains
// its buffer into memory and each probe picks its own lookups out: by its unique port (udp, tcp)
// or, for icmp (no ports in the flow), by protocol and addresses, from the sender's output path
// (iif 1, lo) after the probe started. `ip route get` is left out (its lookups are its own).
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Runner } from '../types/runner.js';
import type { TraceOwner } from './host.js';
import { TRACEFS } from './drops.js';
import type { FibLookup } from '../types/observation.js';
import { parseFibTrace } from './fib-lookups.js';

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
  state: TraceOwner,
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
