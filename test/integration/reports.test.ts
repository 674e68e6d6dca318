// CI reports from a real run: a failed expectation becomes an annotation on its scenario line,
// the job summary has the table and the drawn path, TAP/JUnit/JSON parse, and the shards 1/3..3/3
// together run every case once.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import t from 'tap';
import { Parser, type FinalResults } from 'tap-parser';
import { loadScenarioFile } from '../../src/recipes/scenario.js';
import { parseMermaid } from '../unit/report/mermaid-parse.js';
import { seedYaml } from '../unit/fixtures.js';
import { lab, needsRoot, scenarioFile, SEED, userEnv } from './helpers.js';
import { tempDir } from '../tmp.js';

const WIRE = '[laptop:wlan0, ap:port0, ap:port1, laptop:wlan1]';
// Line 20 is the expectation that fails: without a recipe the datagram goes through lo.
const YAML = seedYaml('reports-it', `  - name: over the wire
    recipe: { accept-local: { node: laptop, out: wlan0, in: wlan1 } }
    probes: [ { udp: { from: laptop:192.0.2.1, to: 192.0.2.2 } } ]
    expect: { delivered: true, via: [laptop:wlan0, laptop:wlan1], not-via: [laptop:lo] }
  - name: wrongly expects the wire
    probes: [ { udp: { from: laptop:192.0.2.1, to: 192.0.2.2 } } ]
    expect:
      delivered: true
      path: ${WIRE}
`);

const parseTap = (text: string): Promise<FinalResults> =>
  new Promise((done) => new Parser({ strict: true }, done).end(text));

t.test('a failing run, with every report at once', { skip: needsRoot }, async (t) => {
  const file = scenarioFile(YAML);
  const workspace = dirname(file);
  const out = join(tempDir('lab-reports-'), 'out');
  const summaryFile = join(workspace, 'step-summary.md');
  const r = await lab(['run', file, '--format', 'table,github,tap,junit,json', '--out', out], {
    env: { ...userEnv(), GITHUB_STEP_SUMMARY: summaryFile, GITHUB_WORKSPACE: workspace, CI: 'true' },
  });
  t.equal(r.exitCode, 1, `an expectation failed\n${r.stderr}`);
  const stdout = String(r.stdout);

  // The annotation sits on the `path:` line of the failed case, in a file named as in the repository.
  const annotations = stdout.split('\n').filter((l) => l.startsWith('::'));
  t.equal(annotations.length, 1, stdout);
  t.match(annotations[0], /^::error file=scenario\.yaml,line=20,col=7,title=lab%3A reports-it › wrongly expects the wire::expected path \[laptop:wlan0, ap:port0, ap:port1, laptop:wlan1\], saw \[laptop:lo\]%0A/);
  t.match(stdout, /│ wrongly expects the wire/, 'the table is on stdout too');

  t.ok(['report.json', 'report.tap', 'junit.xml', 'summary.md'].every((f) => readdirSync(out).includes(f)));
  const tap = await parseTap(readFileSync(join(out, 'report.tap'), 'utf8'));
  t.same([tap.count, tap.pass, tap.fail], [2, 1, 1]);
  t.equal(tap.failures[0]?.diag.at.line, 20);

  const xml = readFileSync(join(out, 'junit.xml'), 'utf8');
  t.equal(XMLValidator.validate(xml), true);
  const junit = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml);
  const cases = junit.testsuites.testsuite.testcase;
  t.same(cases.map((c: { classname: string }) => c.classname), ['reports-it', 'reports-it']);
  t.equal(cases[1].failure.message, 'expected path [laptop:wlan0, ap:port0, ap:port1, laptop:wlan1], saw [laptop:lo]');

  const json = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
  t.same(json.scenarios[0].cases.map((c: { status: string }) => c.status), ['pass', 'fail']);

  // The job summary: the table, and the path drawn on the topology.
  const summary = readFileSync(summaryFile, 'utf8');
  t.match(summary, /^## ❌ lab: 1 pass, 1 fail\n/);
  t.match(summary, /^\| ✅ \| over the wire \| `laptop:wlan0` → `ap:port0` → .* → `laptop:wlan1` \|/m);
  t.match(summary, /^\| ❌ \| wrongly expects the wire \| `laptop:lo` \| expected path/m);
  const diagrams = [...summary.matchAll(/```mermaid\n([\s\S]*?)```/g)].map((m) => m[1]!);
  t.equal(diagrams.length, 2, 'the failed case, and the passing one that crossed the wire');
  for (const d of diagrams) t.equal(await parseMermaid(d), 'flowchart-v2');
  t.match(diagrams[0], /-\.->\|"expected 1"\|/, 'the failed case shows the path it expected, dashed');
  t.match(diagrams[1], /==>\|"1"\|[\s\S]*==>\|"2"\|[\s\S]*==>\|"3"\|/, 'the observed path, step by step');
  t.equal(readFileSync(join(out, 'summary.md'), 'utf8'), summary);
});

t.test('--shard 1/3, 2/3 and 3/3 together run every case once', { skip: needsRoot }, async (t) => {
  const all = (await loadScenarioFile(SEED)).cases.map((c) => c.name).sort();
  t.equal(all.length, 5);
  // The three jobs of a CI matrix, here side by side on one machine.
  const shards = await Promise.all([1, 2, 3].map((i) => lab(['run', SEED, '--format', 'json', '--shard', `${i}/3`])));
  const ran: string[] = [];
  shards.forEach((r, k) => {
    t.ok(r.exitCode === 0 || r.exitCode === 1, `the shard ran (exit ${r.exitCode})\n${r.stderr}`);
    const names: string[] = JSON.parse(String(r.stdout)).scenarios.flatMap((s: { cases: { name: string }[] }) => s.cases.map((c) => c.name));
    t.match(String(r.stderr), new RegExp(`^shard ${k + 1}/3: ${names.length} of 5 case\\(s\\)$`, 'm'));
    t.ok(names.length >= 1 && names.length <= 2, 'balanced');
    ran.push(...names);
  });
  t.same(ran.sort(), all, 'each case exactly once');
});
