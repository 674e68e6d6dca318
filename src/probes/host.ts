// What probing needs of a live case, and nothing more. Declared here so that probes/ depends on no
// backend: the host backend's live case provides it, and src/pipeline.ts hands it in.
import type { CasePlan } from '../types/plan.js';
import type { Command, CommandResult, LiveProcess } from '../types/runner.js';

import type { Listening, ListenRequest, SendRequest } from '../types/agent.js';
export type { Listening, ListenRequest, SendRequest };

/** A node's namespace agent, as probes use it: a receiver, a sender, files and counters without a process. */
export interface ProbeAgent {
  listen(req: ListenRequest): Listening;
  /** `sent` also names the process that sent it (pid, as the kernel's tracepoints print it) when the agent knows it. */
  send(req: SendRequest): { sent: Promise<{ error?: string; pid?: number }>; replied: Promise<boolean> };
  /** The contents of files inside the namespace's view (/proc, /sys); '' when unreadable. */
  read(paths: readonly string[]): Promise<string[]>;
  /** The namespace's kernel counters, as nstat names them. */
  counters(): Promise<Record<string, number>>;
  /** A long-lived command forked by the agent inside the namespace (a capture): its lines come back as it prints them. */
  open(cmd: Command): LiveProcess;
}

/** A live case as probes see it: its plan, and ways to act inside its nodes. */
export interface ProbeHost {
  readonly plan: CasePlan;
  /** Runs a command inside `node` (through its agent when it has one). */
  run(node: string, cmd: Command): Promise<CommandResult>;
  /** Starts a long-lived command inside `node` (a tcpdump). */
  start(node: string, cmd: Command): LiveProcess;
  /** The node's namespace agent, when the backend runs one there. */
  agent(node: string): ProbeAgent | undefined;
  /** The node's observer counts as nft JSON (src/plan/observer.ts); throws when they cannot be read. */
  readObserver(node: string): Promise<string>;
  /** What readiness waits are multiplied by: 1 on a real machine, more in a VM under TCG (src/backends/time-scale.ts). */
  readonly timeScale: number;
}

/**
 * What the run records of the tracefs it uses (the state file, src/backends/state.ts): a mount it
 * made and trace instances it created, so that an interrupted run's leftovers can be removed.
 */
export interface TraceOwner {
  ownMount(target: string, what: string): void;
  /** Called when `target` is mounted already: owned too when another live lab made the mount. */
  shareMount(target: string, what: string): void;
  releaseMount(target: string): void;
  ownTracefs(use: { kind: 'instance'; path: string }): void;
  releaseTracefs(path: string): void;
}
