import yargs from 'yargs';
import { CapabilityError, CommandError, ScenarioError, UsageError } from '../errors.js';
import { cleanCommand } from './clean.js';
import { doctorCommand } from './doctor.js';
import { processOutput, type Output } from './io.js';
import { recipeListCommand, recipeShowCommand } from './recipe.js';
import { FORMATS, runCommand, type Format } from './run.js';
import { validateCommand } from './validate.js';

export const EXIT = { ok: 0, failed: 1, usage: 2, capability: 3 } as const;

/** The only place errors become exit codes. */
export const exitCodeFor = (err: unknown): number => {
  if (err instanceof ScenarioError || err instanceof UsageError) return EXIT.usage;
  if (err instanceof CapabilityError) return EXIT.capability;
  return EXIT.failed;
};

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
  lab run                                   run the default scenario (${'scenarios/laptop-two-nics.yaml'})
  lab run scenarios/laptop-two-nics.yaml --case "accept-local sends it over the wire"
  lab run --format json > report.json
  lab validate scenarios/*.yaml
  lab recipe show accept-local --param node=laptop --param out=wlan0 --param in=wlan1
  lab doctor

Exit codes: 0 every expectation held, 1 an expectation failed, 2 bad input or usage,
3 this environment lacks a capability the scenario needs.`;

export const main = async (argv: readonly string[], io: Output = processOutput()): Promise<number> => {
  let code: number = EXIT.ok;
  const debug = argv.includes('--debug');
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
          .option('jobs', { alias: 'j', type: 'number', describe: 'cases run in parallel (default: cores)' })
          .option('format', { alias: 'f', choices: FORMATS, default: 'table' as Format, describe: 'report format' }),
      async (a) => {
        if (a.jobs !== undefined && (!Number.isInteger(a.jobs) || a.jobs < 1)) {
          throw new UsageError(`--jobs must be a positive integer, got ${a.jobs}`);
        }
        code = await runCommand({ files: a.files ?? [], cases: a.case ?? [], jobs: a.jobs, format: a.format }, io);
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
    .command('recipe', 'list recipes, or show one as shell commands for a real host', (y) =>
      y
        .command('list', 'list the recipes', {}, () => {
          code = recipeListCommand(io);
        })
        .command(
          'show <name>',
          'print the recipe as commands ready to paste on a real host',
          (yy) =>
            yy
              .positional('name', { type: 'string', demandOption: true })
              .option('param', { alias: 'p', type: 'string', array: true, describe: 'KEY=VALUE' }),
          (a) => {
            code = recipeShowCommand(a.name, a.param ?? [], io);
          },
        )
        .demandCommand(1, 'name a recipe subcommand: list or show'),
    )
    .command('doctor', 'show what this host can do', {}, async () => {
      code = await doctorCommand(io);
    })
    .command('clean', 'remove leftovers of runs whose process is gone', {}, async () => {
      code = await cleanCommand(io);
    })
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
    io.err(`${describe(err, debug)}\n`);
    return exitCodeFor(err);
  }
};
