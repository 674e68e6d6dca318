// `lab list`: every lab with a state file.
import { LIST_FORMATS, listCommand, type ListFormat } from '../list.js';
import { labCommand } from './command.js';

export const list = labCommand({
  command: 'list',
  describe: 'list labs: id, kind, status, scenario, case, age, owner process and whether it is alive',
  builder: (y) => y.option('format', { alias: 'f', choices: LIST_FORMATS, default: 'table' as ListFormat }),
  handler: (a, io) => listCommand(a.format, io),
});
