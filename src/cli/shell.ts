import { UsageError } from '../errors.js';
import { attach, findExecutable } from './attach.js';
import type { Output } from './io.js';
import { nodeNamespace, resolveLab } from './labs.js';

export interface ShellOptions {
  lab: string;
  node: string;
  /** The shell to run; bash (without rc files, so the prompt names the node) or sh by default. */
  shell: string | undefined;
}

/** argv of the shell: bash without rc files keeps the prompt that names the node. */
export const shellArgv = (shell: string | undefined): string[] => {
  if (shell !== undefined) return [shell];
  const bash = findExecutable('bash');
  return bash ? [bash, '--norc', '--noprofile'] : ['sh'];
};

/**
 * `lab shell LAB NODE`: an interactive shell inside the node's namespace. Commands piped into it
 * run too (`echo 'ip -br addr' | lab shell ID laptop`); lab exits with the shell's exit code.
 */
export const shellCommand = async (opts: ShellOptions, io: Output): Promise<number> => {
  const entry = resolveLab(opts.lab);
  const netns = nodeNamespace(entry, opts.node);
  const argv = shellArgv(opts.shell);
  if (!findExecutable(argv[0] ?? '')) throw new UsageError(`no shell ${JSON.stringify(argv[0])} found`);
  const id = entry.state.runId;
  if (process.stdin.isTTY) io.err(`lab ${id}, node ${opts.node} (namespace ${netns}); exit or Ctrl-D leaves\n`);
  return attach(['ip', 'netns', 'exec', netns, ...argv], {
    env: { ...process.env, LAB_ID: id, LAB_NODE: opts.node, LAB_NETNS: netns, PS1: `[lab ${id} ${opts.node}] \\w\\$ ` },
  });
};
