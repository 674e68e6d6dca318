// The JSON Schema of scenario files, for editors and other tools; generated from the validator.
import { z } from 'zod';
import { scenarioSchema } from './schema.js';

export const SCENARIO_SCHEMA_ID = 'urn:netns-lab:scenario';

export const scenarioJsonSchema = (): object => {
  const { $schema, ...rest } = z.toJSONSchema(scenarioSchema(), { io: 'input' });
  return {
    $schema,
    $id: SCENARIO_SCHEMA_ID,
    title: 'netns-lab scenario',
    description: 'A topology of network namespaces, and cases of probe datagrams sent through it.',
    ...rest,
  };
};

/** The text of schema/scenario.schema.json. */
export const scenarioJsonSchemaText = (): string => `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`;
