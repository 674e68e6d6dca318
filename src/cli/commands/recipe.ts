// `lab recipe list` and `lab recipe show NAME`: the catalog, and a recipe as commands for a real host.
import { recipeListCommand, recipeShowCommand } from '../recipe.js';
import { labCommand } from './command.js';

const list = labCommand({
  command: 'list',
  describe: 'list the recipes',
  builder: (y) => y,
  handler: (_a, io) => recipeListCommand(io),
});

const show = labCommand({
  command: 'show <name>',
  describe: 'print the recipe (NAME, or FILE#NAME for one a scenario defines) as commands ready to paste on a real host',
  builder: (y) =>
    y
      .positional('name', { type: 'string', demandOption: true })
      .option('param', { alias: 'p', type: 'string', array: true, describe: 'KEY=VALUE' }),
  handler: (a, io) => recipeShowCommand(a.name, a.param ?? [], io),
});

export const recipe = labCommand({
  command: 'recipe',
  describe: 'list recipes, or show one as shell commands for a real host',
  builder: (y) => y,
  subcommands: { commands: [list, show], missing: 'name a recipe subcommand: list or show' },
});
