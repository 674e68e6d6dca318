import { parse as parseYamlScalar } from 'yaml';
import { UsageError } from '../errors.js';
import { findRecipe, recipes } from '../recipes/index.js';
import { renderRecipe } from '../recipes/render.js';
import type { Output } from './io.js';

export const recipeListCommand = (io: Output): number => {
  const width = Math.max(...recipes.map((r) => r.name.length));
  for (const r of recipes) io.out(`${r.name.padEnd(width)}  ${r.summary}\n`);
  return 0;
};

/** `--param k=v` values are YAML scalars, so `both=true` and `rp_filter=1` get their types. */
export const parseParams = (pairs: readonly string[]): Record<string, unknown> => {
  const params: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--param ${JSON.stringify(pair)}: expected KEY=VALUE`);
    const value = pair.slice(eq + 1);
    let parsed: unknown = value;
    try {
      parsed = parseYamlScalar(value) as unknown;
    } catch {
      // Not a YAML scalar: keep the text.
    }
    params[pair.slice(0, eq)] = parsed ?? value;
  }
  return params;
};

export const recipeShowCommand = (name: string, pairs: readonly string[], io: Output): number => {
  const recipe = findRecipe(name);
  if (!recipe) {
    throw new UsageError(`no recipe named ${JSON.stringify(name)}; known: ${recipes.map((r) => r.name).join(', ')}`);
  }
  const parsed = recipe.params.safeParse(parseParams(pairs));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  --param ${i.path.join('.') || '(params)'}: ${i.message}`);
    throw new UsageError(`recipe ${name}: bad parameters\n${problems.join('\n')}`);
  }
  const steps = recipe.steps(parsed.data, { addressesOf: () => [] });
  io.out(renderRecipe(recipe, steps));
  return 0;
};
