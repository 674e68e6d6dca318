// `lab clean`: what labs whose process is gone left behind.
import { cleanCommand } from '../clean.js';
import { labCommand } from './command.js';

export const clean = labCommand({
  command: 'clean',
  describe: 'remove what labs whose process is gone left behind (never live runs or kept labs)',
  builder: (y) => y.option('dry-run', { alias: 'n', type: 'boolean', default: false, describe: 'only say what would be removed' }),
  handler: (a, io) => cleanCommand(io, { dryRun: a['dry-run'] }),
});
