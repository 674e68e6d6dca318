import { acceptLocalV6 } from './accept-local-v6.js';
import { acceptLocal } from './accept-local.js';
import { arpHygiene } from './arp-hygiene.js';
import { bindToDevice } from './bind-to-device.js';
import { netnsSplit } from './netns-split.js';
import { tcMirred } from './tc-mirred.js';
import type { Recipe } from '../types/recipe.js';

/** The catalog, in the order `lab recipe list` shows it. */
export const recipes: readonly Recipe<any>[] = [acceptLocal, acceptLocalV6, bindToDevice, netnsSplit, tcMirred, arpHygiene];

export const findRecipe = (name: string): Recipe<any> | undefined =>
  recipes.find((r) => r.name === name);
