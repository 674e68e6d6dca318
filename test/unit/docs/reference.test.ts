// docs/reference/ is generated from the code (src/docs/, `make docs`). These tests fail when a
// page is stale, and when a schema key, a CLI flag, an environment variable, a recipe parameter,
// a cause or an exit code is missing from the pages. The names are found independently of the
// generator: in the JSON Schema file, in src/cli's option definitions, in src/'s reads of the
// environment.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { z } from 'zod';
import { EXIT } from '../../../src/cli/main.js';
import { allPages, scenarioPage } from '../../../src/docs/pages.js';
import { CAUSE_MEANINGS, ENV_VARS, EXIT_MEANINGS } from '../../../src/docs/vocabulary.js';
import { scenarioJsonSchema } from '../../../src/model/json-schema.js';
import { CAUSES } from '../../../src/types/scenario.js';
import { recipes } from '../../../src/recipes/index.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const REF = join(ROOT, 'docs', 'reference');
const page = (f: string): string => readFileSync(join(REF, f), 'utf8');

/** Every property name anywhere in a JSON Schema, found without the generator's walker. */
const propertyNames = (s: unknown, out = new Set<string>()): Set<string> => {
  if (Array.isArray(s)) for (const x of s) propertyNames(x, out);
  else if (s && typeof s === 'object') {
    for (const [k, v] of Object.entries(s)) {
      if (k === 'properties' && v && typeof v === 'object') for (const name of Object.keys(v)) out.add(name);
      propertyNames(v, out);
    }
  }
  return out;
};

/** The names missing from a page: each must appear as a code span, `name`. */
const missing = (names: Iterable<string>, text: string, span = (n: string) => `\`${n}\``): string[] =>
  [...names].filter((n) => !text.includes(span(n)));

t.test('every page on disk is what `make docs` writes now (run `make docs` when this fails)', async (t) => {
  const pages = await allPages();
  t.same(readdirSync(REF).sort(), pages.map((p) => p.file).sort(), 'no page missing, none left over');
  for (const p of pages) t.equal(page(p.file), p.text, `docs/reference/${p.file} is up to date`);
});

t.test('a key added to the schema changes the scenario page (the stale check is live)', async (t) => {
  const schema = scenarioJsonSchema() as { properties: Record<string, unknown> };
  const grown = { ...schema, properties: { ...schema.properties, 'new-key': { type: 'string', description: 'A key added later.' } } };
  const text = scenarioPage(grown).text;
  t.not(text, page('scenario.md'));
  t.match(text, /\| `new-key` \| string \|.*A key added later\. \|/, 'with its type and description, no generator change');
});

t.test('every key of the scenario schema, and of each recipe, is in the reference', async (t) => {
  const text = page('scenario.md') + page('recipes.md');
  const keys = propertyNames(JSON.parse(readFileSync(join(ROOT, 'schema', 'scenario.schema.json'), 'utf8')));
  t.ok(keys.size > 40, `found the keys (${keys.size})`);
  t.same(missing(keys, text), []);
  for (const r of recipes) {
    t.ok(page('recipes.md').includes(`## ${r.name}\n`), `recipe ${r.name} has a section`);
    t.same(missing(propertyNames(z.toJSONSchema(r.params, { io: 'input' })), page('recipes.md')), [], `${r.name}'s parameters`);
  }
  t.same(missing(['zz-unlisted'], text), ['zz-unlisted'], 'the check is live');
});

/** The options src/cli defines with yargs: `.option('NAME'` and `alias: 'X'`. */
const cliOptions = (): string[] => {
  const dir = join(ROOT, 'src', 'cli');
  const src = readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
  return [...new Set([...src.matchAll(/\.option\(\s*'([a-z][\w-]*)'/g)].map((m) => m[1]!))];
};

t.test('every flag src/cli defines is in the CLI reference', async (t) => {
  const options = cliOptions();
  t.ok(options.length > 20, `found the options (${options.join(' ')})`);
  const cli = page('cli.md');
  t.same(missing(options, cli, (o) => `--${o}`), []);
  t.same(missing(['zz-unlisted'], cli, (o) => `--${o}`), ['zz-unlisted'], 'the check is live');
});

/** Environment variables src/ reads (or sets for programs it starts), comments left out. */
const envNames = (): string[] => {
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (/\.c?ts$/.test(e.name)) files.push(join(d, e.name));
    }
  };
  walk(join(ROOT, 'src'));
  const names = new Set<string>();
  for (const f of files) {
    if (f.includes(`${join('src', 'docs')}`)) continue;
    const code = readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
    for (const m of code.matchAll(/\benv(?:\?)?(?:\.|\[['"])([A-Z][A-Z0-9_]*)/g)) names.add(m[1]!);
    for (const m of code.matchAll(/\b(LAB_[A-Z0-9_]+)\b(?=['"]?\s*[:=]|['"]\])/g)) names.add(m[1]!);
  }
  return [...names].sort();
};

t.test('every environment variable src/ reads or sets is in the reference, described', async (t) => {
  const names = envNames();
  t.ok(names.includes('LAB_STATE_DIR') && names.includes('LAB_ID'), `found the variables (${names.join(' ')})`);
  const env = page('environment.md');
  t.same(missing(names, env), []);
  const described = new Set(ENV_VARS.map((v) => v.name));
  t.same(names.filter((n) => !described.has(n)), [], 'each one has a line in src/docs/vocabulary.ts');
  t.same(missing(['LAB_ZZ_UNLISTED'], env), ['LAB_ZZ_UNLISTED'], 'the check is live');
});

t.test('every cause and every exit code is in the reference, described', async (t) => {
  t.same(CAUSES.filter((c) => !CAUSE_MEANINGS[c]), [], 'each cause has a meaning in src/docs/vocabulary.ts');
  t.same(missing(CAUSES, page('causes.md')), []);
  t.same(Object.keys(EXIT).filter((k) => !EXIT_MEANINGS[k]), [], 'each exit code has a meaning');
  for (const n of Object.values(EXIT)) t.match(page('exit-codes.md'), new RegExp(`^\\| ${n} \\|`, 'm'));
});
