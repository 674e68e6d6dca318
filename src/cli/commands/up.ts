// `lab up FILE`: one case's topology, built and kept.
import { upCommand } from '../up.js';
import { labCommand } from './command.js';

export const up = labCommand({
  command: 'up <file>',
  describe: "build one case's topology and keep it (its recipe and sysctls applied); prints the lab id",
  builder: (y) =>
    y
      .positional('file', { type: 'string', demandOption: true, describe: 'scenario file' })
      .option('case', { type: 'string', describe: 'the case to build (default: the first)' })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'print only the lab id' })
      .option('backend', { choices: ['host', 'vm'] as const, describe: 'host: namespaces of this kernel (default); vm: inside a VM that keeps running until lab down' })
      .option('kernel', { type: 'string', describe: 'the VM\'s kernel (host, debian, ubuntu, a release, a path; default debian); a kernel other than host implies --backend vm' }),
  handler: (a, io) => upCommand({ file: a.file, case: a.case, quiet: a.quiet, backend: a.backend, kernel: a.kernel }, io),
});
