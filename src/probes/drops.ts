// skb:kfree_skb drop reasons during a probe window (`--explain`). tracefs is global, so the run
// gets a trace instance of its own (recorded in its state file, removed at the end); the reasons
// are system-wide, which is why `--explain` runs cases one at a time.
import { join } from 'node:path';
import type { Runner } from '../types/runner.js';
import type { TraceOwner } from './host.js';
import type { DropCount } from '../types/observation.js';
import { traceFiles, type TraceFiles } from './tracefs.js';

export const TRACEFS = '/sys/kernel/tracing';

/** Counts per reason of a trace buffer's kfree_skb lines, NOT_SPECIFIED left out (it says nothing). */
export const parseDropTrace = (text: string): DropCount[] => {
  const counts = new Map<string, number>();
  for (const m of text.matchAll(/kfree_skb: .*?reason: (\w+)/g)) {
    const reason = m[1] as string;
    if (reason !== 'NOT_SPECIFIED') counts.set(reason, (counts.get(reason) ?? 0) + 1);
  }
  return [...counts].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count);
};

export interface DropTracer {
  /** Runs `fn` and returns the drop reasons counted while it ran. */
  window<T>(fn: () => Promise<T>): Promise<{ result: T; drops: DropCount[] }>;
  stop(): Promise<void>;
}

/**
 * Starts tracing into an instance of this run, mounting tracefs first when needed. Returns the
 * reason it cannot when it cannot; that reason is reported, never hidden. `files`: how tracefs is
 * reached (a VM guest's, through its runner: tracefs.ts).
 */
export const startDropTracer = async (
  runner: Runner,
  state: TraceOwner,
  runId: string,
  root: string = TRACEFS,
  files: TraceFiles = traceFiles(),
): Promise<DropTracer | { unavailable: string }> => {
  if (!(await files.exists(join(root, 'instances')))) {
    state.ownMount(root, 'tracefs for --explain');
    // The runner's default limit: scaled by LAB_TIME_SCALE, so a slow guest does not cut the mount off.
    const r = await runner.run({ argv: ['mount', '-t', 'tracefs', 'nodev', root] });
    if (r.exitCode !== 0) {
      state.releaseMount(root);
      return { unavailable: `tracefs is not mounted and mounting it failed: ${r.stderr.trim()}` };
    }
  } else {
    // Another lab's mount, maybe: then it stays until the last of them ends.
    state.shareMount(root, 'tracefs for --explain');
  }
  const instance = join(root, 'instances', `lab-${runId}`);
  const event = join(instance, 'events', 'skb', 'kfree_skb');
  state.ownTracefs({ kind: 'instance', path: instance });
  try {
    await files.mkdir(instance);
    if (!(await files.exists(event))) throw new Error('this kernel has no skb:kfree_skb tracepoint');
    // Only IPv4, ARP and IPv6 packets: the probes' protocols.
    await files.write(join(event, 'filter'), 'protocol == 2048 || protocol == 2054 || protocol == 34525');
    await files.write(join(event, 'enable'), '1');
  } catch (err) {
    try {
      await files.rmdir(instance);
    } catch {
      // Never created.
    }
    state.releaseTracefs(instance);
    return { unavailable: `the skb:kfree_skb tracepoint cannot be used: ${err instanceof Error ? err.message : String(err)}` };
  }
  const trace = join(instance, 'trace');
  return {
    async window(fn) {
      await files.write(trace, '');
      const result = await fn();
      return { result, drops: parseDropTrace(await files.read(trace)) };
    },
    async stop() {
      try {
        // Gone with its tracefs (unmounted under it): nothing left to switch off.
        if (!(await files.exists(instance))) return;
        await files.write(join(event, 'enable'), '0');
        await files.rmdir(instance);
      } finally {
        state.releaseTracefs(instance);
      }
    },
  };
};
