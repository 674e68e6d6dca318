import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { main } from '../../../src/cli/main.js';
import { jsonReport } from '../../../src/report/json.js';
import { FILE, results, YAML } from '../report/fixtures.js';
import { parseMermaid } from '../report/mermaid-parse.js';
import { tempDir } from '../../tmp.js';

const capture = () => {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) }, out, err };
};

const dir = tempDir('lab-graph-');
const scenarioFile = join(dir, 'ci.yaml');
writeFileSync(scenarioFile, YAML);
const reportFile = join(dir, 'report.json');
// A report as `lab run --format json` writes it, for the scenario file above.
writeFileSync(reportFile, jsonReport(results({ file: scenarioFile })));

t.test('lab graph FILE: the topology in Mermaid (default) or dot', async (t) => {
  const m = capture();
  t.equal(await main(['graph', scenarioFile], m.io), 0);
  t.equal(await parseMermaid(m.out.join('')), 'flowchart-v2');
  t.notMatch(m.out.join(''), /==>/);
  const d = capture();
  t.equal(await main(['graph', scenarioFile, '--format', 'dot'], d.io), 0);
  t.match(d.out.join(''), /^digraph "ci-lab" \{/);
});

t.test('--report --case draws the path that case observed', async (t) => {
  const c = capture();
  t.equal(await main(['graph', scenarioFile, '--report', reportFile, '--case', 'two probes'], c.io), 0, c.err.join(''));
  const text = c.out.join('');
  t.equal(await parseMermaid(text), 'flowchart-v2');
  t.match(text, /==>\|"A1"\|/);
  t.match(text, /-\.->\|"expected B1"\|/, 'the failed expected path too');
  const d = capture();
  t.equal(await main(['graph', scenarioFile, '-f', 'dot', '--report', reportFile, '--case', 'over the wire'], d.io), 0);
  t.match(d.out.join(''), /"laptop:wlan0" -> "ap:port0" \[label="1"/);
});

t.test('usage errors say what to do', async (t) => {
  const noCase = capture();
  t.equal(await main(['graph', scenarioFile, '--report', reportFile], noCase.io), 2);
  t.match(noCase.err.join(''), /name the case to draw with --case; .* has for ci-lab:\n {2}over the wire\n/);

  const unknown = capture();
  t.equal(await main(['graph', scenarioFile, '--report', reportFile, '--case', 'nope'], unknown.io), 2);
  t.match(unknown.err.join(''), /has no case "nope" for ci-lab; it has:/);

  const caseOnly = capture();
  t.equal(await main(['graph', scenarioFile, '--case', 'x'], caseOnly.io), 2);
  t.match(caseOnly.err.join(''), /--case needs --report REPORT\.json/);

  const notJson = join(dir, 'bad.json');
  writeFileSync(notJson, '{"scenarios": [{"name": 1}]}');
  const bad = capture();
  t.equal(await main(['graph', scenarioFile, '--report', notJson, '--case', 'x'], bad.io), 2);
  t.match(bad.err.join(''), /bad\.json is not a lab report: scenarios\.0\.name/);

  const other = join(dir, 'other.json');
  writeFileSync(other, jsonReport(results({ name: 'something-else', file: FILE })));
  const wrong = capture();
  t.equal(await main(['graph', scenarioFile, '--report', other, '--case', 'x'], wrong.io), 2);
  t.match(wrong.err.join(''), /has no results for scenario "ci-lab"; it has:\n {2}something-else \(scenarios\/ci\.yaml\)/);

  const missing = capture();
  t.equal(await main(['graph', scenarioFile, '--report', join(dir, 'nope.json')], missing.io), 2);
  t.match(missing.err.join(''), /cannot read the report .*nope\.json: ENOENT/);
});

t.test('wireless links: each medium is a node of its own, its radios hang from it, the AP marked', async (t) => {
  const m = capture();
  t.equal(await main(['graph', 'scenarios/laptop-two-wlan.yaml'], m.io), 0, m.err.join(''));
  const text = m.out.join('');
  t.equal(await parseMermaid(text), 'flowchart-v2');
  t.match(text, /m0\(\("mesh lab-mesh, 2412 MHz"\)\)/);
  t.match(text, /m1\(\("access point lab-ap \(open\), 2437 MHz"\)\)/);
  t.match(text, /d1 -\.- m0\n {2}d2 -\.- m0\n/, 'mesh0 and mesh1 on the mesh');
  t.match(text, /d6 -\.-\|"AP"\| m1\n/, 'the access point’s radio');
  t.equal(text.match(/ m1\n/g)?.length, 3, 'three radios on the AP’s medium');
  const d = capture();
  t.equal(await main(['graph', 'scenarios/wlan-ibss-wpa2.yaml', '--format', 'dot'], d.io), 0);
  t.match(d.out.join(''), /"w1" \[label="access point lab-wpa2 \(WPA2\), 2437 MHz", shape=ellipse/);
  t.match(d.out.join(''), /"laptop:adhoc0" -> "w0" \[dir=none, style=dotted\];/);
});
