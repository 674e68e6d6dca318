import { readFile } from 'node:fs/promises';
import t from 'tap';
import { scenarioJsonSchema, scenarioJsonSchemaText } from '../../../src/recipes/scenario.js';

const COMMITTED = new URL('../../../schema/scenario.schema.json', import.meta.url);

t.test('schema/scenario.schema.json is the one generated from the validator', async (t) => {
  const committed = await readFile(COMMITTED, 'utf8');
  t.equal(committed, scenarioJsonSchemaText(),
    'regenerate it with: node --import tsx src/docs/write-schema.ts');
});

t.test('the JSON Schema describes the input side: defaults are optional, names have patterns', async (t) => {
  const schema = scenarioJsonSchema() as Record<string, any>;
  t.equal(schema.$id, 'urn:netns-lab:scenario');
  t.equal(schema.title, 'netns-lab scenario');
  t.strictSame(schema.required, ['name', 'nodes', 'cases']);
  t.equal(schema.additionalProperties, false);
  t.equal(schema.properties.nodes.propertyNames.pattern, '^[A-Za-z0-9][A-Za-z0-9_-]{0,14}$');
  const params = schema.properties.cases.items.properties.recipe.properties['accept-local'];
  t.strictSame(params.required, ['node', 'out', 'in']);
  t.equal(params.properties.rp_filter.default, 2);
  t.equal(schema.properties.cases.items.properties['timeout-ms'].maximum, 60000);
});
