// skb:kfree_skb drop reasons during a probe window (`--explain`). tracefs is global, so the run
// gets a trace instance of its own (recorded in its state file, removed at the end); the reasons
// are system-wide, which is why `--explain` runs cases one at a time.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Runner } from '../backends/runner.js';
import type { StateFile } from '../backends/state.js';
import type { DropCount } from '../types/observation.js';
// moved to src/types/observation.ts (re-exported here during the move only)
export type { DropCount } from '../types/observation.js';

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
 * reason it cannot when it cannot; that reason is reported, never hidden.
 */
export const startDropTracer = async (
  runner: Runner,
  state: StateFile,
  runId: string,
  root: string = TRACEFS,
): Promise<DropTracer | { unavailable: string }> => {
  if (!existsSync(join(root, 'instances'))) {
    state.ownMount(root, 'tracefs for --explain');
    const r = await runner.run({ argv: ['mount', '-t', 'tracefs', 'nodev', root], timeoutMs: 5_000 });
    if (r.exitCode !== 0) {
      state.releaseMount(root);
      return { unavailable: `tracefs is not mounted and mounting it failed: ${r.stderr.trim()}` };
    }
  }
  const instance = join(root, 'instances', `lab-${runId}`);
  const event = join(instance, 'events', 'skb', 'kfree_skb');
  state.ownTracefs({ kind: 'instance', path: instance });
  try {
    mkdirSync(instance);
    if (!existsSync(event)) throw new Error('this kernel has no skb:kfree_skb tracepoint');
    // Only IPv4, ARP and IPv6 packets: the probes' protocols.
    writeFileSync(join(event, 'filter'), 'protocol == 2048 || protocol == 2054 || protocol == 34525');
    writeFileSync(join(event, 'enable'), '1');
  } catch (err) {
    try {
      rmdirSync(instance);
    } catch {
      // Never created.
    }
    state.releaseTracefs(instance);
    return { unavailable: `the skb:kfree_skb tracepoint cannot be used: ${err instanceof Error ? err.message : String(err)}` };
  }
  const trace = join(instance, 'trace');
  return {
    async window(fn) {
      writeFileSync(trace, '');
      const result = await fn();
      return { result, drops: parseDropTrace(readFileSync(trace, 'utf8')) };
    },
    async stop() {
      try {
        writeFileSync(join(event, 'enable'), '0');
        rmdirSync(instance);
      } finally {
        state.releaseTracefs(instance);
      }
    },
  };
};
