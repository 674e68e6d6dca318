// Regenerates src/backends/vm/guest-runner-pl.ts from src/agent/guest-runner.pl:
// `node src/backends/vm/embed-perl.mjs` (a unit test fails while the two differ).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const text = readFileSync(join(root, 'src', 'agent', 'guest-runner.pl'), 'utf8');
writeFileSync(
  join(root, 'src', 'backends', 'vm', 'guest-runner-pl.ts'),
  `// Generated from src/agent/guest-runner.pl by src/backends/vm/embed-perl.mjs: edit the .pl, then run that.\n` +
    `export const GUEST_RUNNER_PL: string = ${JSON.stringify(text)};\n`,
);
