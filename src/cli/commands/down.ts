// `lab down LAB...`: tear down kept labs.
import { downCommand } from '../down.js';
import { labCommand } from './command.js';

export const down = labCommand({
  command: 'down [labs..]',
  describe: 'tear down kept labs',
  builder: (y) =>
    y
      .positional('labs', { type: 'string', array: true, describe: 'lab ids' })
      .option('all', { type: 'boolean', default: false, describe: 'every kept lab' }),
  handler: (a, io) => downCommand({ labs: a.labs ?? [], all: a.all }, io),
});
