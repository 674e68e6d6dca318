import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { OUT_MANIFEST } from '../../../src/backends/out-tree.js';
import { checkFormats, parseFormats, REPORT_FILES, writeReports, type ReportContext } from '../../../src/cli/reports.js';
import { locations, results, scenario } from '../report/fixtures.js';
import { tempDir } from '../../tmp.js';

const capture = () => {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) }, out, err };
};

const context = (env: NodeJS.ProcessEnv = {}): ReportContext => ({
  results: results(),
  scenarios: [scenario()],
  locations: locations(),
  tableWidth: 120,
  env,
  cwd: '/work',
});

t.test('--format takes a comma list or repeats; unknown names are usage errors', async (t) => {
  t.same(parseFormats(['table,junit']), ['table', 'junit']);
  t.same(parseFormats(['table', 'github,json', 'table']), ['table', 'github', 'json'], 'each once, in order');
  t.same(parseFormats(['']), ['table']);
  t.throws(() => parseFormats(['table,xml']), { name: 'UsageError', message: /unknown --format "xml"; formats are table, json, tap, junit, github/ });
});

t.test('two reports cannot share stdout unless one is table and the other github', async (t) => {
  t.doesNotThrow(() => checkFormats(['json'], undefined));
  t.doesNotThrow(() => checkFormats(['table', 'github'], undefined));
  t.doesNotThrow(() => checkFormats(['table', 'json', 'tap', 'junit', 'github'], 'out'));
  t.throws(() => checkFormats(['table', 'junit'], undefined), {
    name: 'UsageError',
    message: /--format table,junit: junit cannot share stdout with another report; add --out DIR to write junit\.xml into DIR/,
  });
  t.throws(() => checkFormats(['json', 'github'], undefined), { name: 'UsageError' });
});

t.test('--out DIR: documents go to files with stable names, table and annotations to stdout', async (t) => {
  const dir = join(tempDir('lab-reports-'), 'nested', 'out');
  const summary = join(dir, '..', 'step-summary.md');
  const c = capture();
  const env = { GITHUB_STEP_SUMMARY: summary, GITHUB_WORKSPACE: '/work' };
  await writeReports(['table', 'json', 'tap', 'junit', 'github'], dir, context(env), c.io);
  // And the manifest that tells the next run what is lab's (src/backends/out-tree.ts).
  t.same(readdirSync(dir).sort(), [OUT_MANIFEST, REPORT_FILES.junit, REPORT_FILES.json, REPORT_FILES.tap, REPORT_FILES.github].sort());
  t.same(Object.keys(JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'))), ['scenarios']);
  t.match(readFileSync(join(dir, 'report.tap'), 'utf8'), /^TAP version 14\n/);
  t.match(readFileSync(join(dir, 'junit.xml'), 'utf8'), /^<\?xml/);
  const stdout = c.out.join('');
  t.match(stdout, /┌/, 'the table');
  t.match(stdout, /^::error file=scenarios\/ci\.yaml,line=22,col=32,/m, 'the annotations');
  t.notMatch(stdout, /TAP version|<\?xml|"scenarios"/, 'no document on stdout');
  t.match(readFileSync(summary, 'utf8'), /^## ❌ lab: 1 pass, 2 fail, 1 error/);
  t.equal(readFileSync(join(dir, 'summary.md'), 'utf8'), readFileSync(summary, 'utf8'));
  t.match(c.err.join(''), /^reports: \S*report\.json, \S*report\.tap, \S*junit\.xml, \S*summary\.md\n$/);

  // The step summary is appended to (one file per step, shared by every writer of that step).
  await writeReports(['github'], undefined, context(env), capture().io);
  t.equal(readFileSync(summary, 'utf8').match(/^## /gm)?.length, 2);
});

t.test('one document alone goes to stdout; github outside Actions says where its summary went', async (t) => {
  const c = capture();
  await writeReports(['junit'], undefined, context(), c.io);
  t.match(c.out.join(''), /^<\?xml version="1\.0"/);
  const g = capture();
  await writeReports(['github'], undefined, context(), g.io);
  t.match(g.err.join(''), /GITHUB_STEP_SUMMARY is not set .* add --out DIR to keep it as summary\.md/);
});
