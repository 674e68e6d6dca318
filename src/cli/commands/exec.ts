// `lab exec LAB NODE CMD...`: a command inside a node of a kept lab.
import { execCommand } from '../exec.js';
import { labCommand } from './command.js';

/** lab's own options of `lab exec` that may come before the command, and whether each takes a value. */
const EXEC_OPTIONS: Record<string, boolean> = { '--timeout': true, '--debug': false, '--help': false, '-h': false };

/**
 * `lab exec LAB NODE CMD...`: everything after NODE is the command's, options included, so
 * `lab exec ID node ip -br addr` needs no `--` (yargs read -br as lab's own -b -r: "Unknown
 * arguments: b, r"). Puts the `--` in where the user left it out; lab's own options before the
 * command's first word (--timeout N) stay lab's.
 */
export const withExecSeparator = (argv: readonly string[]): string[] => {
  if (argv[0] !== 'exec' || argv.includes('--')) return [...argv];
  let positionals = 0;
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i] as string;
    const name = arg.split('=')[0] as string;
    if (name in EXEC_OPTIONS) {
      if (EXEC_OPTIONS[name] && !arg.includes('=')) i += 1;
      continue;
    }
    // LAB and NODE first; the next word starts the command.
    if (++positionals === 3) return [...argv.slice(0, i), '--', ...argv.slice(i)];
  }
  return [...argv];
};

export const exec = labCommand({
  command: 'exec <lab> <node> [command..]',
  describe: "run a command inside a node of a kept lab; lab exits with the command's exit code",
  builder: (y) =>
    y
      .parserConfiguration({ 'populate--': true })
      .positional('lab', { type: 'string', demandOption: true, describe: 'lab id (or a unique start of it)' })
      .positional('node', { type: 'string', demandOption: true })
      .positional('command', { type: 'string', array: true, describe: 'the command and its arguments (everything after NODE; `--` before it is optional)' })
      .option('timeout', { type: 'number', describe: 'stop the command after this many seconds (exit 124)' }),
  handler: (a, io) => {
    const rest = ((a['--'] as unknown[] | undefined) ?? []).map(String);
    return execCommand({ lab: a.lab, node: a.node, command: [...(a.command ?? []), ...rest], timeout: a.timeout }, io);
  },
});
