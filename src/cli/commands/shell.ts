// `lab shell LAB NODE`: an interactive shell inside a node of a kept lab.
import { shellCommand } from '../shell.js';
import { labCommand } from './command.js';

export const shell = labCommand({
  command: 'shell <lab> <node>',
  describe: 'open an interactive shell inside a node of a kept lab',
  builder: (y) =>
    y
      .positional('lab', { type: 'string', demandOption: true })
      .positional('node', { type: 'string', demandOption: true })
      .option('shell', { type: 'string', describe: 'the shell to run (default: bash without rc files, else sh)' }),
  handler: (a, io) => shellCommand({ lab: a.lab, node: a.node, shell: a.shell }, io),
});
