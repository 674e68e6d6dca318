// The model is below the plan (STYLE.md: no imports both ways between layers): no file of
// src/model imports src/plan, not even a type. A recipe the scenario defines resolves to data
// (RecipeSteps.routing) that the plan turns into ops.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const planImports = (text: string): string[] => [...text.matchAll(/from\s+'(\.\.\/plan\/[^']*)'/g)].map((m) => m[1] ?? '');

t.test('src/model imports nothing of src/plan', async (t) => {
  const dir = join(ROOT, 'src', 'model');
  const found = readdirSync(dir).filter((f) => f.endsWith('.ts'))
    .flatMap((f) => planImports(readFileSync(join(dir, f), 'utf8')).map((i) => `${f}: ${i}`));
  t.same(found, []);
});

t.test('negative control: the check sees an import of the plan', async (t) => {
  t.same(planImports("import { nodeRoutingOps } from '../plan/routing.js';\nimport type { Op } from '../plan/types.js';"), ['../plan/routing.js', '../plan/types.js']);
});
