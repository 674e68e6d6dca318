// `lab doctor`: what this host can do.
import { doctorCommand } from '../doctor.js';
import { labCommand } from './command.js';

export const doctor = labCommand({
  command: 'doctor',
  describe: 'show what this host can do',
  builder: (y) => y,
  handler: (_a, io) => doctorCommand(io),
});
