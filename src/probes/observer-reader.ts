// A node's observer counts, read through one long-lived `nft -j -i` per node and case instead of
// an nft process per reading. Measured in a namespace with the seed case's observer (nft 1.0.6):
// `nft -j list table …` took 4-5 ms as a process of its own (most of it nft's start) and 0.6-0.7
// ms as a line written to `nft -j -i`, which answers each command with one line of JSON. A probe
// reads every node's counts once, with nothing else left to wait for (#14).
//
// Whatever goes wrong with the interactive process (an nft built without its CLI, a line on its
// stderr, no answer in time, its end) makes the node fall back, for the rest of the case, to the
// process per reading that every nft has: the counts are never worse than before, only slower.
import type { Command, LiveProcess } from '../types/runner.js';
import { interactiveNft, isListAnswer } from '../plan/observer.js';

export interface ObserverReader {
  /** The node's observer table as nft JSON (one reading at a time per node, in call order). */
  read(node: string): Promise<string>;
  /** Starts the node's interactive nft ahead of its first reading. */
  warm(node: string): void;
  /** Ends every interactive nft (their stdin closed, then killed if they linger), without waiting for them. */
  stop(): Promise<void>;
}

export interface ObserverReaderDeps {
  /** The command that lists the table (OBSERVER_READ_ARGV: `nft -j list table …`). */
  listArgv: readonly string[];
  /** Starts a long-lived command inside a node. */
  start(node: string, cmd: Command): LiveProcess;
  /** One reading by a process of its own (the fallback); throws when the counts cannot be read. */
  once(node: string): Promise<string>;
  /** How long one interactive answer may take before the node falls back. */
  answerMs: number;
  /**
   * Whether to read through an interactive nft at all. Its start costs about what one reading by a
   * process costs (measured under load: a case with one probe got slower with it), so it pays from
   * the second reading of a node on.
   */
  interactive?: boolean;
}


/**
 * The readers of a live case. An answer is always claimed by the reading that asked for it (its
 * waiter is in place before the command is written), so no reading can take an older one; a
 * reading that gave up leaves an answer it may still get unclaimed, which is why its node is then
 * done with the interactive process.
 */
export const observerReader = (deps: ObserverReaderDeps): ObserverReader => {
  const interactive = deps.interactive === false ? undefined : interactiveNft(deps.listArgv);
  const procs = new Map<string, LiveProcess>();
  const broken = new Set<string>();
  const queues = new Map<string, Promise<unknown>>();

  const procOf = (node: string): LiveProcess | undefined => {
    if (!interactive || broken.has(node)) return undefined;
    let proc = procs.get(node);
    if (proc) return proc;
    try {
      // No limit of its own worth the name: a case lives as long as its probes take; stop() ends it.
      proc = deps.start(node, { argv: interactive.argv, interactive: true, timeoutMs: 24 * 3_600_000 });
    } catch {
      broken.add(node);
      return undefined;
    }
    if (!proc.write) {
      proc.kill();
      broken.add(node);
      return undefined;
    }
    proc.ref?.(false);
    procs.set(node, proc);
    return proc;
  };

  const giveUp = (node: string): void => {
    broken.add(node);
    procs.get(node)?.kill();
    procs.delete(node);
  };

  const readOnce = async (node: string): Promise<string> => {
    const proc = procOf(node);
    if (!proc || !interactive) return deps.once(node);
    let timer: NodeJS.Timeout | undefined;
    const answer = proc.waitForLine(isListAnswer);
    const complaint = proc.waitForLine(() => true, 'stderr').then((line) => (line === undefined ? undefined : ('complaint' as const)));
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), deps.answerMs)));
    proc.write?.(interactive.line);
    const got = await Promise.race([answer, complaint, late]);
    clearTimeout(timer);
    if (typeof got === 'string' && got !== 'late' && got !== 'complaint') return got;
    giveUp(node);
    return deps.once(node);
  };

  return {
    read(node) {
      const previous = queues.get(node) ?? Promise.resolve();
      const reading = previous.catch(() => undefined).then(() => readOnce(node));
      queues.set(node, reading);
      return reading;
    },
    warm(node) {
      procOf(node);
    },
    async stop() {
      const all = [...procs.values()];
      procs.clear();
      // Not waited for: an nft whose stdin closed ends at once, and the case's teardown kills
      // whatever is left in its namespaces (awaited, this cost each case ~1 ms, 8 under load).
      for (const p of all) {
        p.end?.();
        void p.stop(500).catch(() => undefined);
      }
    },
  };
};
