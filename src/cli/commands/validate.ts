// `lab validate FILE...`: every problem of every file, without running anything.
import { validateCommand } from '../validate.js';
import { labCommand } from './command.js';

export const validate = labCommand({
  command: 'validate <files..>',
  describe: 'check scenario files without running them',
  builder: (y) => y.positional('files', { type: 'string', array: true, demandOption: true }),
  handler: (a, io) => validateCommand(a.files, io),
});
