// The kernel's own routing decisions: the fib:fib_table_lookup and fib6:fib6_table_lookup
// tracepoints (one line per table looked up: table, oif, iif, proto, src/sport -> dst/dport, the
// device and gateway found, err). tracefs is global and cases run in parallel, so the run has one
// trace instance of its own (recorded in its state file, removed at the end); the tracer drains
// its buffer into memory and each probe picks its own lookups out: by its unique port (udp, tcp)
// or, for icmp (no ports in the flow), by protocol and addresses, from the sender's output path
// (iif 1, lo) after the probe started. `ip route get` is left out (its lookups are its own).
import { join } from 'node:path';
import type { Runner } from '../types/runner.js';
import type { TraceOwner } from './host.js';
import { TRACEFS } from './drops.js';
import type { FibLookup } from '../types/observation.js';
import { parseFibTrace } from './fib-lookups.js';
import { traceFiles, type TraceFiles } from './tracefs.js';

export interface FibTracer {
  /** Where the lookups seen so far end: the start of a probe's window. */
  mark(): Promise<number>;
  /** Every lookup drained after `mark`. */
  since(mark: number): Promise<FibLookup[]>;
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
  files: TraceFiles = traceFiles(),
): Promise<FibTracer | { unavailable: string }> => {
  if (!(await files.exists(join(root, 'instances')))) {
    state.ownMount(root, 'tracefs for route expectations');
    // The runner's default limit: scaled by LAB_TIME_SCALE, so a slow guest does not cut the mount off.
    const r = await runner.run({ argv: ['mount', '-t', 'tracefs', 'nodev', root] });
    if (r.exitCode !== 0) {
      state.releaseMount(root);
      return { unavailable: `tracefs is not mounted and mounting it failed: ${r.stderr.trim()}` };
    }
  } else {
    // Another lab's mount, maybe: then it stays until the last of them ends.
    state.shareMount(root, 'tracefs for route expectations');
  }
  const instance = join(root, 'instances', `lab-${runId}-fib`);
  const events = [join(instance, 'events', 'fib', 'fib_table_lookup'), join(instance, 'events', 'fib6', 'fib6_table_lookup')];
  state.ownTracefs({ kind: 'instance', path: instance });
  try {
    await files.mkdir(instance);
    const present: string[] = [];
    for (const e of events) if (await files.exists(e)) present.push(e);
    if (present.length === 0) throw new Error('this kernel has neither fib:fib_table_lookup nor fib6:fib6_table_lookup');
    // Output lookups of the probes' protocols only: udp, tcp, icmp, icmpv6.
    for (const e of present) {
      await files.write(join(e, 'filter'), 'iif == 1 && (proto == 17 || proto == 6 || proto == 1 || proto == 58)');
      await files.write(join(e, 'enable'), '1');
    }
  } catch (err) {
    try {
      await files.rmdir(instance);
    } catch {
      // Never created.
    }
    state.releaseTracefs(instance);
    return { unavailable: `the fib_table_lookup tracepoints cannot be used: ${err instanceof Error ? err.message : String(err)}` };
  }
  const trace = join(instance, 'trace');
  const seen: FibLookup[] = [];
  let dropped = 0;
  // One drain at a time: two cases' probes may mark and read at once, and a read of one with the
  // clear of the other between would lose lookups.
  let draining: Promise<void> = Promise.resolve();
  const pipe = join(instance, 'trace_pipe');
  const once = async (): Promise<void> => {
    // Read, then clear: what the kernel writes between the two is lost (microseconds on the
    // host); where the files can, the pipe is consumed instead (a VM guest: a command apart).
    let text: string;
    if (files.take) text = await files.take(pipe);
    else {
      text = await files.read(trace);
      await files.write(trace, '');
    }
    seen.push(...parseFibTrace(text));
    if (seen.length > KEEP) dropped += seen.splice(0, seen.length - KEEP).length;
  };
  // (A drain that failed does not stop the next.)
  const drain = (): Promise<void> => (draining = draining.then(once, once));
  return {
    async mark() {
      await drain();
      return dropped + seen.length;
    },
    async since(mark) {
      await drain();
      return seen.slice(Math.max(0, mark - dropped));
    },
    async stop() {
      try {
        // Gone with its tracefs (unmounted under it): nothing left to switch off.
        if (!(await files.exists(instance))) return;
        for (const e of events) if (await files.exists(e)) await files.write(join(e, 'enable'), '0');
        await files.rmdir(instance);
      } finally {
        state.releaseTracefs(instance);
      }
    },
  };
};
