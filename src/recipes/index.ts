import { acceptLocal } from './accept-local.js';
import type { Recipe } from './types.js';

/** The catalog, in the order `lab recipe list` shows it. */
export const recipes: readonly Recipe<any>[] = [acceptLocal];

export const findRecipe = (name: string): Recipe<any> | undefined =>
  recipes.find((r) => r.name === name);
