// The JSON Schema of scenario files, for editors and other tools; generated from the validator.
import { z } from 'zod';
import type { Recipe } from '../types/recipe.js';
import { scenarioSchema } from './schema.js';

const SCENARIO_SCHEMA_ID = 'urn:netns-lab:scenario';

/** `recipe:` lists the recipes of `registry` (the catalog: src/recipes/scenario.ts). */
export const scenarioJsonSchema = (registry: readonly Recipe<any>[]): object => {
  const { $schema, ...rest } = z.toJSONSchema(scenarioSchema(registry), { io: 'input' });
  return {
    $schema,
    $id: SCENARIO_SCHEMA_ID,
    title: 'netns-lab scenario',
    description: 'A topology of network namespaces, and cases of probe datagrams sent through it.',
    ...rest,
  };
};
