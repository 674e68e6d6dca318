import { UsageError } from '../errors.js';
import { attachInVm } from '../session/index.js';
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

/** sh's single quotes around a word. */
const shq = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

/**
 * The shell's argv in a kept VM lab's guest. The guest runner gives a command pipes, not a
 * terminal (the guest's perl has no IO::Pty): on a terminal, util-linux script(1) makes one in
 * the guest, sized like lab's terminal, and lab forwards every byte in raw mode; piped, the
 * shell reads its commands from lab's stdin as on the host.
 */
export const vmShellArgv = (
  netns: string,
  shell: readonly string[],
  env: Record<string, string>,
  tty: { rows: number; cols: number } | undefined,
): string[] => {
  const vars = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  const inNode = ['ip', 'netns', 'exec', netns, ...shell];
  if (!tty) return ['env', ...vars, ...inNode];
  const size = tty.rows > 0 && tty.cols > 0 ? `stty rows ${tty.rows} cols ${tty.cols} 2>/dev/null; ` : '';
  return ['env', ...vars, 'script', '-qfec', `${size}exec ${inNode.map(shq).join(' ')}`, '/dev/null'];
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
  const vars = { LAB_ID: id, LAB_NODE: opts.node, LAB_NETNS: netns, PS1: `[lab ${id} ${opts.node}] \\w\\$ ` };
  if (process.stdin.isTTY) io.err(`lab ${id}, node ${opts.node} (namespace ${netns}${entry.state.backend === 'vm' ? ', in the VM' : ''}); exit or Ctrl-D leaves\n`);
  if (entry.state.backend === 'vm') {
    const tty = process.stdin.isTTY && process.stdout.isTTY ? { rows: process.stdout.rows, cols: process.stdout.columns } : undefined;
    return attachInVm(entry.state, {
      argv: vmShellArgv(netns, argv, { ...vars, TERM: process.env['TERM'] ?? 'xterm' }, tty),
      timeoutMs: 0,
      raw: tty !== undefined,
      say: (text) => io.err(text),
    });
  }
  return attach(['ip', 'netns', 'exec', netns, ...argv], {
    env: { ...process.env, ...vars },
  });
};
