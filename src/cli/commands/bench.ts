// `lab bench`: lab against Mininet and the raw `ip -batch` floor.
import { benchCommand, benchOptions } from '../bench.js';
import { labCommand } from './command.js';

export const bench = labCommand({
  command: 'bench',
  describe: 'time lab against Mininet and the raw `ip -batch` floor, per case, and a matrix with --jobs 1 and 2',
  builder: (y) =>
    y
      .option('json', { type: 'boolean', default: false, describe: 'print the JSON document instead of the table' })
      .option('quick', { type: 'boolean', default: false, describe: 'a tiny run: linear,3 once, the first two default cases once, 4 matrix cells, no VM' })
      .option('linear', { type: 'string', describe: 'the sizes N of linear,N, comma-separated (default 20,50,100)' })
      .option('repeat', { type: 'number', describe: 'runs of lab and the floor per size, and of each default case (default 5); Mininet runs once per size; rounds of the VM floor and scenario (3 at most)' })
      .option('cells', { type: 'number', describe: 'cells of the matrix (default 100)' })
      .option('mininet', { type: 'boolean', default: true, describe: 'compare with Mininet when it is installed (--no-mininet: do not)' })
      .option('only', { type: 'string', describe: 'only these parts, comma-separated: linear, seed, matrix, vm' })
      .epilog(`Examples:
  make bench                          install Mininet (for the bench only), build, run it all
  lab bench --json > bench.json       the JSON document instead of the table
  lab bench --only linear --linear 50 lab, Mininet and the floor on linear,50 only
  lab bench --quick --no-mininet      a smoke run in seconds

Mininet runs sandboxed: in a network namespace, a PID namespace and a /tmp of its own.
Exit codes: 0 measured (a missed target is a result), 1 a measurement failed,
3 not root or tools missing.`),
  handler: (a, io) =>
    benchCommand(benchOptions({ json: a.json, quick: a.quick, mininet: a.mininet,
      ...(a.linear !== undefined ? { linear: a.linear } : {}), ...(a.repeat !== undefined ? { repeat: a.repeat } : {}),
      ...(a.cells !== undefined ? { cells: a.cells } : {}), ...(a.only !== undefined ? { only: a.only } : {}) }), io),
});
