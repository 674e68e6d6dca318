// `make docs`: writes docs/reference/*.md from the code (see pages.ts). With --check, writes
// nothing and exits 1 when a page on disk differs from what the code gives (a stale page).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../cli/io.js';
import { allPages } from './pages.js';

const REFERENCE_DIR = join(packageRoot(), 'docs', 'reference');

const check = process.argv.includes('--check');
const stale: string[] = [];
mkdirSync(REFERENCE_DIR, { recursive: true });
for (const page of await allPages()) {
  const file = join(REFERENCE_DIR, page.file);
  let current: string | undefined;
  try {
    current = readFileSync(file, 'utf8');
  } catch {
    current = undefined;
  }
  if (current === page.text) continue;
  if (check) stale.push(page.file);
  else {
    writeFileSync(file, page.text);
    console.log(`wrote docs/reference/${page.file}`);
  }
}
if (stale.length) {
  console.error(`stale: ${stale.map((f) => `docs/reference/${f}`).join(', ')}; run \`make docs\``);
  process.exitCode = 1;
}
