import type { Recipe, RecipeSteps } from './types.js';

const SAFE = /^[A-Za-z0-9_./:=@%+,-]+$/;

/** One argv token as POSIX shell text; `$NAME` of a recipe variable stays expandable. */
export const shellToken = (token: string, variables: ReadonlySet<string>): string => {
  if (SAFE.test(token)) return token;
  const usesVariable = [...variables].some((v) => token.includes(`$${v}`));
  if (usesVariable) return `"${token.replace(/["\\`]/g, '\\$&')}"`;
  return `'${token.replace(/'/g, `'\\''`)}'`;
};

export const shellCommand = (argv: readonly string[], variables: ReadonlySet<string> = new Set()): string =>
  argv.map((t) => shellToken(t, variables)).join(' ');

const wrap = (text: string, width: number): string[] => {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + word.length + 1 > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
};

/** The recipe as a shell script to paste on a real host (as root, in its root namespace). */
export const renderRecipe = (recipe: Recipe<any>, steps: RecipeSteps): string => {
  const vars = new Set(steps.variables.map((v) => v.name));
  const out: string[] = [`# ${recipe.name}: ${recipe.summary}`];
  for (const l of wrap(recipe.description, 96)) out.push(`# ${l}`);
  out.push('# Run as root on the host itself.', '');
  for (const v of steps.variables) out.push(`${v.name}=${v.derive}`);
  if (steps.variables.length) out.push('');
  for (const op of steps.ops) {
    if (op.why) out.push(`# ${op.why}`);
    out.push(shellCommand(op.argv, vars));
  }
  const undo = [...steps.ops].reverse().filter((op) => op.undo);
  if (undo.length) {
    out.push('', '# To take it back (sysctls keep their new values; restore them by hand):');
    for (const op of undo) out.push(`#   ${shellCommand(op.undo ?? [], vars)}`);
  }
  return `${out.join('\n')}\n`;
};
