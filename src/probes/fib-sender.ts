// Who sent a probe, as the fib tracepoints name the task that looked its route up (`comm-pid`):
// the namespace agent itself for a datagram, the child it forked for the other kinds (echo, TCP
// connect, a datagram with uid), both named by the agent's `sent` reply (pid, src/agent/agent.pl);
// ping or socat when they sent it instead (a link-local source), by name only: their pid is not
// known. Pure.
import type { LookupSelector } from './fib-lookups.js';

/** The sender of one probe, as far as lab knows it. */
export interface ProbeSender {
  /** The pid of the process that made the socket and sent (the kernel's own pid); absent when unknown. */
  pid?: number;
  /** The tool's name (comm) when a command sent it instead of the agent. */
  comm?: string;
}

/**
 * The selector narrowed to the probe's own sender: by pid when the agent said which process sent
 * it, else by the tool's name. Without either it stays as it was (addresses, protocol and ports only).
 */
export const bySender = (selector: LookupSelector, sender: ProbeSender | undefined): LookupSelector => {
  if (sender?.pid !== undefined && sender.pid > 0) return { ...selector, pids: [sender.pid] };
  if (sender?.comm) return { ...selector, comm: sender.comm };
  return selector;
};
