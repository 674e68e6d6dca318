import { parse as parseYamlScalar } from 'yaml';
import type { z } from 'zod';
import { UsageError } from '../errors.js';
import { loadScenarioFile } from '../model/load.js';
import { issueMessage } from '../model/messages.js';
import { recipeOps } from '../plan/recipes.js';
import { findRecipe, recipes } from '../recipes/index.js';
import type { Recipe } from '../types/recipe.js';
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

/** The parameters of a recipe, one line each: name, required or default, what it is. */
export const parameterHelp = (recipe: Recipe<any>): string => {
  const shape = (recipe.params as { shape?: Record<string, z.ZodType> }).shape ?? {};
  const width = Math.max(0, ...Object.keys(shape).map((k) => k.length));
  const lines = Object.entries(shape).map(([key, schema]) => {
    const absent = schema.safeParse(undefined);
    const when = !absent.success ? 'required' : absent.data === undefined ? 'optional' : `default ${JSON.stringify(absent.data)}`;
    return `  ${key.padEnd(width)}  ${when}${schema.description ? `: ${schema.description}` : ''}`;
  });
  return `parameters of ${recipe.name} (--param KEY=VALUE):\n${lines.join('\n')}`;
};

/** A recipe the scenario FILE defines under recipes:. */
const ownRecipe = async (file: string, name: string): Promise<Recipe<any>> => {
  const own = (await loadScenarioFile(file)).recipes ?? [];
  const recipe = own.find((r) => r.name === name);
  if (!recipe) {
    throw new UsageError(`${file} defines no recipe named ${JSON.stringify(name)}; it defines: ${own.map((r) => r.name).join(', ') || 'none'}`);
  }
  return recipe;
};

/** NAME from the catalog, or FILE#NAME: a recipe the scenario FILE defines (then a promise: the file is read). */
export const recipeShowCommand = (name: string, pairs: readonly string[], io: Output): number | Promise<number> => {
  const hash = name.lastIndexOf('#');
  if (hash > 0) return ownRecipe(name.slice(0, hash), name.slice(hash + 1)).then((r) => showRecipe(r, pairs, io));
  const recipe = findRecipe(name);
  if (!recipe) {
    throw new UsageError(`no recipe named ${JSON.stringify(name)}; known: ${recipes.map((r) => r.name).join(', ')} ` +
      '(a recipe a scenario defines: FILE#NAME)');
  }
  return showRecipe(recipe, pairs, io);
};

const showRecipe = (recipe: Recipe<any>, pairs: readonly string[], io: Output): number => {
  const name = recipe.name;
  const parsed = recipe.params.safeParse(parseParams(pairs), { error: issueMessage });
  if (!parsed.success) {
    const problems = parsed.error.issues.flatMap((i) =>
      i.code === 'unrecognized_keys'
        ? i.keys.map((k) => `  --param ${k}: ${recipe.name} has no such parameter`)
        : [`  --param ${i.path.join('.') || '(params)'}: ${i.message}`]);
    throw new UsageError(`recipe ${name}: bad parameters\n${problems.join('\n')}\n${parameterHelp(recipe)}`);
  }
  const steps = recipe.steps(parsed.data, { addressesOf: () => [] });
  io.out(renderRecipe(recipe, { ...steps, ops: recipeOps(recipe.name, steps) }));
  return 0;
};
