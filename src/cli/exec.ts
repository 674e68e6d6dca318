import { UsageError } from '../errors.js';
import { attachInVm } from '../session/index.js';
import { attach, findExecutable, NOT_FOUND_EXIT } from './attach.js';
import type { Output } from './io.js';
import { nodeNamespace, resolveLab } from './labs.js';

export interface ExecOptions {
  lab: string;
  node: string;
  command: string[];
  /** Seconds; none by default (the command is the user's). */
  timeout: number | undefined;
}

/**
 * `lab exec LAB NODE -- CMD...`: runs CMD inside the node's namespace, stdio passed through.
 * lab exits with CMD's exit code (128+N when a signal ended it, 124 on --timeout, 127 when CMD
 * is not found), so it can stand in for CMD in scripts.
 */
export const execCommand = async (opts: ExecOptions, io: Output): Promise<number> => {
  if (opts.command.length === 0) {
    throw new UsageError(`name the command to run after --, e.g. lab exec ${opts.lab} ${opts.node} -- ip -br addr`);
  }
  if (opts.timeout !== undefined && !(opts.timeout > 0)) throw new UsageError(`--timeout must be a positive number of seconds, got ${opts.timeout}`);
  const entry = resolveLab(opts.lab);
  const netns = nodeNamespace(entry, opts.node);
  const [command = ''] = opts.command;
  // A VM's guest runs the host's userland (its root is the host's, over 9p): the same look-up holds there.
  if (!findExecutable(command)) {
    io.err(`lab exec: ${command}: command not found\n`);
    return NOT_FOUND_EXIT;
  }
  if (entry.state.backend === 'vm') {
    return attachInVm(entry.state, {
      argv: ['ip', 'netns', 'exec', netns, ...opts.command],
      timeoutMs: opts.timeout !== undefined ? Math.round(opts.timeout * 1000) : 0,
      raw: false,
      say: (text) => io.err(text),
    }).then((code) => {
      if (code === 124 && opts.timeout !== undefined) io.err(`lab exec: ${command} ran longer than ${opts.timeout}s; stopped it\n`);
      return code;
    });
  }
  return attach(['ip', 'netns', 'exec', netns, ...opts.command], {
    ...(opts.timeout !== undefined ? { timeoutMs: opts.timeout * 1000 } : {}),
    onTimeout: () => io.err(`lab exec: ${command} ran longer than ${opts.timeout}s; stopping it\n`),
  });
};
