// Regenerates schema/scenario.schema.json: node --import tsx src/docs/write-schema.ts
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { scenarioJsonSchemaText } from '../recipes/scenario.js';

const SCHEMA_FILE = fileURLToPath(new URL('../../schema/scenario.schema.json', import.meta.url));

await writeFile(SCHEMA_FILE, scenarioJsonSchemaText());
console.log(`wrote ${SCHEMA_FILE}`);
