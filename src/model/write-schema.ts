// Regenerates schema/scenario.schema.json: node --import tsx src/model/write-schema.ts
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { scenarioJsonSchemaText } from './json-schema.js';

const SCHEMA_FILE = fileURLToPath(new URL('../../schema/scenario.schema.json', import.meta.url));

await writeFile(SCHEMA_FILE, scenarioJsonSchemaText());
console.log(`wrote ${SCHEMA_FILE}`);
