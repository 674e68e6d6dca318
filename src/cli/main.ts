import yargs from './yargs-cjs.cjs';
import { CapabilityError, CommandError, Interrupted, ScenarioError, UsageError } from '../errors.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { cleanCommand } from './clean.js';
import { downCommand } from './down.js';
import { execCommand } from './exec.js';
import { LIST_FORMATS, listCommand, type ListFormat } from './list.js';
import { shellCommand } from './shell.js';
import { upCommand } from './up.js';
import { doctorCommand } from './doctor.js';
import { kernelsListCommand } from './kernels-list.js';
import { benchCommand, benchOptions } from './bench.js';
import { processOutput, type Output } from './io.js';
import { recipeListCommand, recipeShowCommand } from './recipe.js';
import { runCommand } from './run.js';
import { parseShard } from '../plan/shard.js';
import { GRAPH_FORMATS, graphCommand, type GraphFormat } from './graph.js';
import { FORMATS, parseFormats } from './reports.js';
import { validateCommand } from './validate.js';
import { wholeNumber } from './numbers.js';

export { EXIT, exitCodeFor };

const describe = (err: unknown, debug: boolean): string => {
  if (!(err instanceof Error)) return String(err);
  if (debug && err.stack) return err.stack;
  if (err instanceof ScenarioError) return err.message;
  if (err instanceof CapabilityError) return `lab cannot run here: ${err.message}`;
  if (err instanceof CommandError) return `command failed: ${err.message}`;
  if (err instanceof UsageError) return `${err.message}\n(see lab --help)`;
  return `internal error: ${err.message} (run with --debug for the stack)`;
};

const EPILOG = `Examples:
  lab run                                   the default scenario, scenarios/laptop-two-nics.yaml
  lab run scenarios/laptop-two-nics.yaml --case "accept-local sends it over the wire"
  lab run --format json > report.json
  lab run scenarios/*.yaml --format table,github,junit --out lab-report     in GitHub Actions
  lab run scenarios/*.yaml --shard 2/3      the second of three CI jobs: each case runs in one job
  lab graph scenarios/laptop-two-nics.yaml --format dot | dot -Tsvg > topology.svg
  lab graph scenarios/laptop-two-nics.yaml --report report.json --case NAME    the path NAME took
  lab validate scenarios/*.yaml
  lab recipe show accept-local --param node=laptop --param out=wlan0 --param in=wlan1
  lab doctor
  lab kernels                               the kernels --kernel can fetch, and those cached
  id=$(lab up scenarios/laptop-two-nics.yaml -q)   keep a lab up; then:
  lab exec $id laptop -- ip route get 192.0.2.2 from 192.0.2.1
  lab shell $id laptop ·  lab list ·  lab down $id ·  lab clean (what crashed runs left)
  lab bench                                 lab against Mininet and the raw floor (make bench)

Exit codes: 0 every expectation held, 1 an expectation failed, 2 bad input or usage,
3 this environment lacks a capability the scenario needs.`;

/** lab's own options of `lab exec` that may come before the command, and whether each takes a value. */
const EXEC_OPTIONS: Record<string, boolean> = { '--timeout': true, '--debug': false, '--help': false, '-h': false };

/**
 * `lab exec LAB NODE CMD...`: everything after NODE is the command's, options included, so
 * `lab exec ID node ip -br addr` needs no `--` (yargs read -br as lab's own -b -r: "Unknown
 * arguments: b, r"). Puts the `--` in where the user left it out; lab's own options before the
 * command's first word (--timeout N) stay lab's.
 */
export const withExecSeparator = (argv: readonly string[]): string[] => {
  if (argv[0] !== 'exec' || argv.includes('--')) return [...argv];
  let positionals = 0;
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i] as string;
    const name = arg.split('=')[0] as string;
    if (name in EXEC_OPTIONS) {
      if (EXEC_OPTIONS[name] && !arg.includes('=')) i += 1;
      continue;
    }
    // LAB and NODE first; the next word starts the command.
    if (++positionals === 3) return [...argv.slice(0, i), '--', ...argv.slice(i)];
  }
  return [...argv];
};

export const main = async (given: readonly string[], io: Output = processOutput()): Promise<number> => {
  const argv = withExecSeparator(given);
  let code: number = EXIT.ok;
  // Only lab's own options: after `--` the words belong to the command `lab exec` runs.
  const dashDash = argv.indexOf('--');
  const debug = (dashDash < 0 ? argv : argv.slice(0, dashDash)).includes('--debug');
  const parser = yargs([...argv])
    .scriptName('lab')
    .usage('Usage: $0 <command> [options]\n\nBuilds network-namespace labs, sends probes, shows which devices each datagram crossed.')
    .option('debug', { type: 'boolean', describe: 'show stack traces', global: true })
    .command(
      'run [files..]',
      'run scenarios (default: the laptop-two-nics scenario)',
      (y) =>
        y
          .positional('files', { type: 'string', array: true, describe: 'scenario files' })
          .option('case', { type: 'string', array: true, describe: 'run only the case(s) with this name' })
          .option('jobs', { alias: 'j', type: 'string', describe: 'cases run in parallel (default: cores)' })
          .option('format', {
            alias: 'f',
            type: 'string',
            default: 'table',
            describe: `report format(s), comma-separated: ${FORMATS.join(', ')}; json, tap and junit go to files with --out`,
          })
          .option('out', {
            alias: 'o',
            type: 'string',
            describe: 'directory for report.json, report.tap, junit.xml and summary.md (github), and a pcap per device per case (<scenario file>/<case>/<node>-<dev>.pcap); each run first removes what the last one wrote there (listed in DIR/.lab-out.json), nothing else',
          })
          .option('explain', {
            type: 'boolean',
            describe: 'add kernel drop reasons (skb:kfree_skb) to the evidence and show the evidence of every probe; cases run one at a time',
          })
          .option('shard', {
            type: 'string',
            describe: 'run only shard I of N (e.g. 2/3): each case runs in exactly one of the N jobs',
          })
          .option('backend', {
            choices: ['host', 'vm'] as const,
            describe: 'host: namespaces on the running kernel; vm: boot a kernel under QEMU and run there (default: host, or vm when --kernel names another kernel)',
          })
          .option('kernel', {
            type: 'string',
            array: true,
            describe: 'host, debian, ubuntu, a release (6.1.0-57-amd64, 6.12.118+deb12-amd64, 6.8.0-49-generic: see `lab kernels`) or a PATH (.deb, extracted package, bzImage); repeat it to compare kernels side by side',
          })
          .option('ignore-size-limit', {
            type: 'boolean',
            describe: "run even when the lab would not fit: lab refuses (exit 2) a run whose nodes at once need more memory or processes than this machine has free (docs/limits.md)",
          })
          .option('skip-unsupported', {
            type: 'boolean',
            describe: 'skip (instead of failing with exit 3) the scenarios this kernel cannot run, e.g. wireless without mac80211_hwsim',
          }),
      async (a) => {
        const jobs = a.jobs === undefined ? undefined : wholeNumber('jobs', [a.jobs].flat().pop() ?? '');
        code = await runCommand({ files: a.files ?? [], cases: a.case ?? [], jobs,
          formats: parseFormats([a.format].flat()), ...(a.out !== undefined ? { out: a.out } : {}),
          ...(a.shard !== undefined ? { shard: parseShard(a.shard) } : {}),
          ...(a.explain ? { explain: true } : {}),
          ...(a.backend !== undefined ? { backend: a.backend } : {}), kernels: a.kernel ?? [],
          ...(a['skip-unsupported'] ? { skipUnsupported: true } : {}),
          ...(a['ignore-size-limit'] ? { ignoreSizeLimit: true } : {}) }, io);
      },
    )
    .command(
      'validate <files..>',
      'check scenario files without running them',
      (y) => y.positional('files', { type: 'string', array: true, demandOption: true }),
      async (a) => {
        code = await validateCommand(a.files, io);
      },
    )
    .command(
      'graph <file>',
      'draw the topology (Mermaid or dot), with the path a probe took from a JSON report',
      (y) =>
        y
          .positional('file', { type: 'string', demandOption: true, describe: 'scenario file' })
          .option('format', { alias: 'f', choices: GRAPH_FORMATS, default: 'mermaid' as GraphFormat })
          .option('report', { type: 'string', describe: 'a `lab run --format json` report: draw its observed paths' })
          .option('case', { type: 'string', describe: 'the case of the report whose paths are drawn' }),
      async (a) => {
        code = await graphCommand(
          { file: a.file, format: a.format, ...(a.report !== undefined ? { report: a.report } : {}), ...(a.case !== undefined ? { case: a.case } : {}) },
          io,
        );
      },
    )
    .command('recipe', 'list recipes, or show one as shell commands for a real host', (y) =>
      y
        .command('list', 'list the recipes', {}, () => {
          code = recipeListCommand(io);
        })
        .command(
          'show <name>',
          'print the recipe (NAME, or FILE#NAME for one a scenario defines) as commands ready to paste on a real host',
          (yy) =>
            yy
              .positional('name', { type: 'string', demandOption: true })
              .option('param', { alias: 'p', type: 'string', array: true, describe: 'KEY=VALUE' }),
          async (a) => {
            code = await recipeShowCommand(a.name, a.param ?? [], io);
          },
        )
        .demandCommand(1, 'name a recipe subcommand: list or show'),
    )
    .command(
      'bench',
      'time lab against Mininet and the raw `ip -batch` floor, per case, and a matrix with --jobs 1 and 2',
      (y) =>
        y
          .option('json', { type: 'boolean', default: false, describe: 'print the JSON document instead of the table' })
          .option('quick', { type: 'boolean', default: false, describe: 'a tiny run: linear,3 once, the first two default cases once, 4 matrix cells, no VM' })
          .option('linear', { type: 'string', describe: 'the sizes N of linear,N, comma-separated (default 20,50,100)' })
          .option('repeat', { type: 'number', describe: 'runs of lab and the floor per size, and of each default case (default 5); Mininet runs once per size' })
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
      async (a) => {
        code = await benchCommand(benchOptions({ json: a.json, quick: a.quick, mininet: a.mininet,
          ...(a.linear !== undefined ? { linear: a.linear } : {}), ...(a.repeat !== undefined ? { repeat: a.repeat } : {}),
          ...(a.cells !== undefined ? { cells: a.cells } : {}), ...(a.only !== undefined ? { only: a.only } : {}) }), io);
      },
    )
    .command('doctor', 'show what this host can do', {}, async () => {
      code = await doctorCommand(io);
    })
    .command(
      'kernels',
      'list the kernels --kernel can fetch (apt-cache) and those already cached, with release and series',
      (y) =>
        y
          .option('json', { type: 'boolean', default: false, describe: 'print the JSON document instead of the table' })
          .option('all', { type: 'boolean', default: false, describe: 'also the cloud, rt and lowlatency flavours' }),
      async (a) => {
        code = await kernelsListCommand({ json: a.json, all: a.all }, io);
      },
    )
    .command(
      'clean',
      'remove what labs whose process is gone left behind (never live runs or kept labs)',
      (y) => y.option('dry-run', { alias: 'n', type: 'boolean', default: false, describe: 'only say what would be removed' }),
      async (a) => {
        code = await cleanCommand(io, { dryRun: a['dry-run'] });
      },
    )
    .command(
      'up <file>',
      "build one case's topology and keep it (its recipe and sysctls applied); prints the lab id",
      (y) =>
        y
          .positional('file', { type: 'string', demandOption: true, describe: 'scenario file' })
          .option('case', { type: 'string', describe: 'the case to build (default: the first)' })
          .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'print only the lab id' }),
      async (a) => {
        code = await upCommand({ file: a.file, case: a.case, quiet: a.quiet }, io);
      },
    )
    .command(
      'exec <lab> <node> [command..]',
      "run a command inside a node of a kept lab; lab exits with the command's exit code",
      (y) =>
        y
          .parserConfiguration({ 'populate--': true })
          .positional('lab', { type: 'string', demandOption: true, describe: 'lab id (or a unique start of it)' })
          .positional('node', { type: 'string', demandOption: true })
          .positional('command', { type: 'string', array: true, describe: 'the command and its arguments (everything after NODE; `--` before it is optional)' })
          .option('timeout', { type: 'number', describe: 'stop the command after this many seconds (exit 124)' }),
      async (a) => {
        const rest = ((a['--'] as unknown[] | undefined) ?? []).map(String);
        code = await execCommand({ lab: a.lab, node: a.node, command: [...(a.command ?? []), ...rest], timeout: a.timeout }, io);
      },
    )
    .command(
      'shell <lab> <node>',
      'open an interactive shell inside a node of a kept lab',
      (y) =>
        y
          .positional('lab', { type: 'string', demandOption: true })
          .positional('node', { type: 'string', demandOption: true })
          .option('shell', { type: 'string', describe: 'the shell to run (default: bash without rc files, else sh)' }),
      async (a) => {
        code = await shellCommand({ lab: a.lab, node: a.node, shell: a.shell }, io);
      },
    )
    .command(
      'list',
      'list labs: id, kind, status, scenario, case, age, owner process and whether it is alive',
      (y) => y.option('format', { alias: 'f', choices: LIST_FORMATS, default: 'table' as ListFormat }),
      (a) => {
        code = listCommand(a.format, io);
      },
    )
    .command(
      'down [labs..]',
      'tear down kept labs',
      (y) =>
        y
          .positional('labs', { type: 'string', array: true, describe: 'lab ids' })
          .option('all', { type: 'boolean', default: false, describe: 'every kept lab' }),
      async (a) => {
        code = await downCommand({ labs: a.labs ?? [], all: a.all }, io);
      },
    )
    .demandCommand(1, 'name a command')
    .strict()
    .epilog(EPILOG)
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .exitProcess(false)
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    });
  try {
    let helped = false;
    parser.showHelpOnFail(false);
    await parser.parseAsync([...argv], {}, (err, _argv, output) => {
      if (output && !err) {
        helped = true;
        io.out(`${output}\n`);
      }
    });
    return helped ? EXIT.ok : code;
  } catch (err) {
    // An interrupted lab has said what it tore down; its exit code says the rest.
    if (!(err instanceof Interrupted)) io.err(`${describe(err, debug)}\n`);
    return exitCodeFor(err);
  }
};
