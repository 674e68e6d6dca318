// Scenario files read against lab's recipe catalog. src/model/ sits below src/recipes/ and takes
// the catalog as a parameter (LoadOptions.recipes); this binds the built-in one, so callers above
// read a scenario the way `lab run` does.
import { scenarioJsonSchema as jsonSchemaWith } from '../model/json-schema.js';
import { loadScenarioFile as loadWith, parseScenario as parseWith, type LoadOptions } from '../model/load.js';
import type { Scenario } from '../types/scenario.js';
import { recipes } from './index.js';

/** `recipes` replaces the built-in catalog (tests of the validator bring their own). */
export type CatalogLoadOptions = Partial<LoadOptions>;

/** Parse and check a scenario; throws ScenarioError with every problem found. */
export const parseScenario = (text: string, file: string, options: CatalogLoadOptions = {}): Scenario =>
  parseWith(text, file, { recipes, ...options });

/** Read and parse a scenario file; an unreadable file is a ScenarioError too. */
export const loadScenarioFile = (file: string, options: CatalogLoadOptions = {}): Promise<Scenario> =>
  loadWith(file, { recipes, ...options });

/** The JSON Schema of scenario files (schema/scenario.schema.json), its `recipe:` keys the catalog's. */
export const scenarioJsonSchema = (): object => jsonSchemaWith(recipes);

/** The text of schema/scenario.schema.json. */
export const scenarioJsonSchemaText = (): string => `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`;
