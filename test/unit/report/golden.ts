// Golden files: the exact text a renderer wrote when it was last checked by hand (and, for the
// Mermaid diagrams, accepted by Mermaid's own parser). UPDATE_GOLDEN=1 rewrites them; review the
// diff before committing it.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), 'golden');

export const golden = (name: string, actual: string): string => {
  const file = join(GOLDEN_DIR, name);
  if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(file, actual);
  return readFileSync(file, 'utf8');
};
