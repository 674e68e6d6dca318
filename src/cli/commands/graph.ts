// `lab graph FILE`: the topology as Mermaid or dot, with the paths of a JSON report.
import { GRAPH_FORMATS, graphCommand, type GraphFormat } from '../graph.js';
import { labCommand } from './command.js';

export const graph = labCommand({
  command: 'graph <file>',
  describe: 'draw the topology (Mermaid or dot), with the path a probe took from a JSON report',
  builder: (y) =>
    y
      .positional('file', { type: 'string', demandOption: true, describe: 'scenario file' })
      .option('format', { alias: 'f', choices: GRAPH_FORMATS, default: 'mermaid' as GraphFormat })
      .option('report', { type: 'string', describe: 'a `lab run --format json` report: draw its observed paths' })
      .option('case', { type: 'string', describe: 'the case of the report whose paths are drawn' }),
  handler: (a, io) =>
    graphCommand(
      { file: a.file, format: a.format, ...(a.report !== undefined ? { report: a.report } : {}), ...(a.case !== undefined ? { case: a.case } : {}) },
      io,
    ),
});
