// The direction of imports (docs/architecture.md): every import in src/ points down the layer
// table below, or stays inside its own layer. Reads every src/**/*.ts (and .cts) as text, with
// TypeScript's own scanner: `import`, `import type`, `export … from` and `import()` all count.
// Each edge against the table is reported as `file -> file (layer -> layer)`.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import ts from 'typescript';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

interface Layer {
  name: string;
  /** Paths relative to the repository root: a folder ends with `/`, else one file. */
  paths: string[];
  /** The layers it may import besides its own. */
  may: string[];
}

const BELOW_SESSION = ['backends', 'report', 'verdict', 'probes', 'plan', 'recipes', 'model', 'agent', 'types'];
/** The table of /work/spec/architecture.md (issue 16), top down. src/errors.ts sits with types. */
const LAYERS: Layer[] = [
  // The commands reach backends only through the session (src/session/): never directly.
  { name: 'cli', paths: ['src/cli/', 'src/docs/', 'src/bench/'], may: ['session', ...BELOW_SESSION.filter((l) => l !== 'backends')] },
  { name: 'session', paths: ['src/session/', 'src/pipeline.ts'], may: BELOW_SESSION },
  // Backends run what the layers below describe; they never reach up into probes, verdict or report.
  { name: 'backends', paths: ['src/backends/'], may: ['plan', 'recipes', 'model', 'agent', 'types'] },
  { name: 'report', paths: ['src/report/'], may: ['verdict', 'probes', 'plan', 'model', 'recipes', 'types'] },
  { name: 'verdict', paths: ['src/verdict/'], may: ['probes', 'plan', 'model', 'recipes', 'types'] },
  // probes/ declares what it needs of a host (src/probes/host.ts); backends implement it.
  { name: 'probes', paths: ['src/probes/'], may: ['plan', 'model', 'recipes', 'types', 'agent'] },
  // plan -> agent: the wireless ops run the hwsim helper's text (src/agent/programs.ts); agent ranks
  // below plan (0.3 < 1), so the edge points down the table (agentpl; for the layers owner to confirm).
  { name: 'plan', paths: ['src/plan/'], may: ['model', 'recipes', 'types', 'agent'] },
  { name: 'recipes', paths: ['src/recipes/'], may: ['model', 'types'] },
  // The recipe catalog reaches model/ by a parameter.
  { name: 'model', paths: ['src/model/'], may: ['types'] },
  { name: 'agent', paths: ['src/agent/'], may: ['types'] },
  { name: 'types', paths: ['src/types/', 'src/errors.ts'], may: [] },
];

const layerOf = (file: string, layers: readonly Layer[] = LAYERS): Layer | undefined =>
  layers.find((l) => l.paths.some((p) => (p.endsWith('/') ? file.startsWith(p) : file === p)));

interface Edge {
  from: string;
  to: string;
}

/** The edges against the table, one line each: `from -> to (layer -> layer)`. */
const violations = (edges: readonly Edge[], layers: readonly Layer[] = LAYERS): string[] =>
  edges.flatMap(({ from, to }) => {
    const a = layerOf(from, layers);
    const b = layerOf(to, layers);
    if (!a || !b) return [`${from} -> ${to} (${a?.name ?? 'no layer'} -> ${b?.name ?? 'no layer'})`];
    return a === b || a.may.includes(b.name) ? [] : [`${from} -> ${to} (${a.name} -> ${b.name})`];
  });

const sourceFiles = (dir: string): string[] =>
  readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const p = posix.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.c?ts$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });

/** The file a relative specifier names: `./x.js` is ./x.ts, `./x.cjs` is ./x.cts. */
const resolveSpecifier = (from: string, spec: string, known: ReadonlySet<string>): string => {
  const base = posix.normalize(posix.join(posix.dirname(from), spec));
  const candidates = [base.replace(/\.js$/, '.ts'), base.replace(/\.cjs$/, '.cts'), base.replace(/\.mjs$/, '.mts'), `${base}.ts`, `${base}/index.ts`];
  return candidates.find((c) => known.has(c)) ?? base;
};

const specifiers = (file: string): string[] =>
  ts.preProcessFile(readFileSync(join(ROOT, file), 'utf8'), true, true).importedFiles.map((f) => f.fileName);

/** Every import of lab's own in src/: relative specifiers, including `import type` and `export … from`. */
const sourceEdges = (files: readonly string[]): Edge[] => {
  const known = new Set(files);
  return files.flatMap((from) =>
    specifiers(from)
      .filter((spec) => spec.startsWith('.'))
      .map((spec) => ({ from, to: resolveSpecifier(from, spec, known) }))
      .filter((e) => e.to.startsWith('src/')));
};

/**
 * verdict/ and report/ take only pure helpers from probes/: a probes file they import reaches,
 * through its own imports, no Node module (node:fs, node:child_process, ...) and no backend.
 * The impure files it reaches, each named with the chain that leads there.
 */
const impureReach = (start: string, edges: readonly Edge[], nodeImports: (file: string) => string[]): string[] => {
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (file: string, chain: string[]): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const here = [...chain, file];
    if (file.startsWith('src/backends/')) out.push(here.join(' -> '));
    for (const m of nodeImports(file)) out.push(`${here.join(' -> ')} -> ${m}`);
    for (const e of edges) if (e.from === file) visit(e.to, here);
  };
  visit(start, []);
  return out;
};

/**
 * Violations still in flight while issue 16's helpers work, each with the helper that removes it.
 * The list must end empty; an entry that no longer occurs fails the test too, so it cannot go stale.
 */
const KNOWN: Record<string, string> = {
};

const files = sourceFiles('src');
const edges = sourceEdges(files);

t.test('every file of src/ is in a layer of the table', async (t) => {
  const orphans = files.filter((f) => !layerOf(f));
  t.same(orphans, [], 'files without a layer: add their folder to LAYERS and docs/architecture.md');
});

t.test('the scanner sees every kind of import', async (t) => {
  const info = ts.preProcessFile(
    "import a from './a.js';\nimport type { B } from './b.js';\nexport { c } from './c.js';\nexport * from './d.js';\nconst e = await import('./e.js');\ntype F = import('./f.js').F;\n",
    true, true,
  );
  t.same(info.importedFiles.map((f) => f.fileName).sort(), ['./a.js', './b.js', './c.js', './d.js', './e.js', './f.js']);
  t.ok(edges.length > 300, `src/ has ${edges.length} import edges`);
  t.ok(edges.some((e) => e.from === 'src/pipeline.ts' && e.to === 'src/plan/plan.ts'), 'a known edge is found and resolved');
});

t.test('a synthetic edge against the table is reported (negative control)', async (t) => {
  const bad: Edge[] = [
    { from: 'src/model/load.ts', to: 'src/recipes/index.ts' },
    { from: 'src/types/result.ts', to: 'src/verdict/verdict.ts' },
    { from: 'src/backends/host.ts', to: 'src/probes/probe.ts' },
    { from: 'src/plan/plan.ts', to: 'src/model/types.ts' },
    { from: 'src/report/json.ts', to: 'src/verdict/verdict.ts' },
    { from: 'src/verdict/verdict.ts', to: 'src/verdict/reply.ts' },
    { from: 'src/nowhere.ts', to: 'src/types/index.ts' },
    // The commands reach backends through the session only.
    { from: 'src/cli/run.ts', to: 'src/backends/out-tree.ts' },
    { from: 'src/bench/measure.ts', to: 'src/backends/host.ts' },
    { from: 'src/docs/pages.ts', to: 'src/backends/interrupt.ts' },
    { from: 'src/cli/run.ts', to: 'src/session/out.ts' },
    { from: 'src/session/vm.ts', to: 'src/backends/vm/run.ts' },
  ];
  t.same(violations(bad), [
    'src/model/load.ts -> src/recipes/index.ts (model -> recipes)',
    'src/types/result.ts -> src/verdict/verdict.ts (types -> verdict)',
    'src/backends/host.ts -> src/probes/probe.ts (backends -> probes)',
    'src/nowhere.ts -> src/types/index.ts (no layer -> types)',
    'src/cli/run.ts -> src/backends/out-tree.ts (cli -> backends)',
    'src/bench/measure.ts -> src/backends/host.ts (cli -> backends)',
    'src/docs/pages.ts -> src/backends/interrupt.ts (cli -> backends)',
  ]);
});

t.test('every import points down the layer table', async (t) => {
  const found = violations(edges);
  const unexpected = found.filter((v) => !(v in KNOWN));
  t.same(unexpected, [], `imports against docs/architecture.md's layers:\n${unexpected.join('\n')}`);
  const gone = Object.keys(KNOWN).filter((v) => !found.includes(v));
  t.same(gone, [], 'KNOWN entries that no longer occur: remove them');
});

t.test('verdict/ and report/ take only pure helpers from probes/', async (t) => {
  const nodeImports = (file: string): string[] =>
    files.includes(file) ? specifiers(file).filter((s) => s.startsWith('node:') || /^(fs|child_process|os|net|dgram)$/.test(s)) : [];
  const used = [...new Set(edges.filter((e) => /^src\/(verdict|report)\//.test(e.from) && e.to.startsWith('src/probes/')).map((e) => e.to))];
  t.ok(used.length > 0, `verdict and report use ${used.join(', ')}`);
  t.same(used.flatMap((f) => impureReach(f, edges, nodeImports)), [], 'impure probes files reached from verdict/ or report/');
  // Negative control: the tracer (node:fs, a backend's runner) is reported.
  t.ok(impureReach('src/probes/fib-trace.ts', edges, nodeImports).some((c) => c.endsWith('node:fs')), 'fib-trace.ts is seen to reach node:fs');
});

t.test('docs/architecture.md lists the same layers and folders as this test', async (t) => {
  const doc = readFileSync(join(ROOT, 'docs', 'architecture.md'), 'utf8');
  const rows = doc.split('\n').filter((l) => /^\| [\d.]+ \| src\//.test(l));
  const documented = rows.map((l) => (l.split('|')[2] ?? '').match(/src\/[\w./-]*/g)?.sort() ?? []);
  t.same(documented, LAYERS.map((l) => [...l.paths].sort()), 'the rank table of docs/architecture.md, top down');
});
