// `lab kernels`: the kernels `--kernel` can fetch, and those cached.
import { kernelsListCommand } from '../kernels-list.js';
import { labCommand } from './command.js';

export const kernels = labCommand({
  command: 'kernels',
  describe: 'list the kernels --kernel can fetch (apt-cache) and those already cached, with release and series',
  builder: (y) =>
    y
      .option('json', { type: 'boolean', default: false, describe: 'print the JSON document instead of the table' })
      .option('all', { type: 'boolean', default: false, describe: 'also the cloud, rt and lowlatency flavours' }),
  handler: (a, io) => kernelsListCommand({ json: a.json, all: a.all }, io),
});
