// Regenerates src/agent/programs.ts from the perl sources: node --import tsx src/agent/write-programs.ts (make agent)
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { programsSource } from './program-text.js';

const dir = new URL('./', import.meta.url);
const out = fileURLToPath(new URL('programs.ts', dir));
writeFileSync(out, programsSource(dir));
console.log(`wrote ${out}`);
