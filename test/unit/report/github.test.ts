import t from 'tap';
import { githubAnnotations, githubSummary, MAX_DRAWN, workspacePath } from '../../../src/report/github.js';
import { FILE, LINES, locations, results, scenario } from './fixtures.js';
import { parseMermaid } from './mermaid-parse.js';

/** A workflow command, decoded the way the Actions runner decodes it. */
const decode = (line: string) => {
  const m = /^::(\w+) (.*?)::(.*)$/.exec(line);
  if (!m) throw new Error(`not a workflow command: ${line}`);
  const unescape = (s: string) => s.replaceAll('%0A', '\n').replaceAll('%0D', '\r').replaceAll('%3A', ':').replaceAll('%2C', ',').replaceAll('%25', '%');
  const props = Object.fromEntries(m[2]!.split(',').map((kv) => {
    const eq = kv.indexOf('=');
    return [kv.slice(0, eq), unescape(kv.slice(eq + 1))];
  }));
  return { command: m[1], props, message: unescape(m[3]!) };
};

t.test('one ::error per failed expectation, on the line of that expectation', async (t) => {
  const text = githubAnnotations(results(), locations(), { cwd: '/repo', workspace: '/repo' });
  const lines = text.trimEnd().split('\n');
  t.equal(lines.length, 4, 'not-via; back: delivered and path; the case that could not run');
  const [lo, delivered, path, broken] = lines.map(decode);
  t.same(lo?.props, { file: FILE, line: String(LINES.notVia), col: '32', title: 'lab: ci-lab › expects the wire # but gets lo <&>' });
  t.equal(lo?.command, 'error');
  t.equal(lo?.message, 'expected not via [laptop:lo], path was [laptop:lo]\nudp 192.0.2.1 → 192.0.2.2: laptop:lo — delivered through laptop:lo; nothing crossed the wire');
  t.equal(delivered?.props.line, String(LINES.backDelivered));
  t.match(delivered?.message, /^back: expected delivered true, saw false\nback: laptop:wlan1 — not delivered/);
  t.equal(path?.props.line, String(LINES.backPath));
  t.equal(broken?.props.line, String(LINES.cannotBeBuilt));
  t.match(broken?.message, /^case could not run: `ip link add wlan0` exited with 2/);
  t.notMatch(text, /over the wire/, 'a passing case has no annotation');
});

t.test('annotation properties and data are escaped as @actions/core does', async (t) => {
  const [s] = results();
  const text = githubAnnotations([{ ...s!, name: 'a,b:c', cases: [s!.cases[1]!] }], locations(), { cwd: '/repo' });
  t.match(text, /title=lab%3A a%2Cb%3Ac › expects/);
  t.equal(text.trimEnd().split('\n').length, 1, 'the newline in the message is encoded');
  t.match(text, /path was \[laptop:lo\]%0Audp/);
});

t.test('annotation files are relative to the workspace', async (t) => {
  t.equal(workspacePath('scenarios/a.yaml', { cwd: '/repo', workspace: '/repo' }), 'scenarios/a.yaml');
  t.equal(workspacePath('a.yaml', { cwd: '/repo/scenarios', workspace: '/repo' }), 'scenarios/a.yaml');
  t.equal(workspacePath('/repo/scenarios/a.yaml', { cwd: '/elsewhere', workspace: '/repo' }), 'scenarios/a.yaml');
  t.equal(workspacePath('/tmp/a.yaml', { cwd: '/repo', workspace: '/repo' }), '/tmp/a.yaml', 'outside: left as given');
});

const mermaidBlocks = (md: string): string[] => [...md.matchAll(/```mermaid\n([\s\S]*?)```/g)].map((m) => m[1]!);

t.test('the job summary: counts, the results table, drawn paths that Mermaid parses', async (t) => {
  const md = githubSummary(results(), [scenario()], locations(), { shard: '2/3' });
  t.match(md, /^## ❌ lab: 1 pass, 2 fail, 1 error \(shard 2\/3\)\n/);
  t.match(md, /^### ci-lab$/m);
  const rows = md.split('\n').filter((l) => /^\| (✅|❌|⚠️|⏭️) \|/.test(l));
  t.equal(rows.length, 4, 'one row per case');
  t.match(rows[0], /^\| ✅ \| over the wire \| `laptop:wlan0` → `ap:port0` → `ap:port1` → `laptop:wlan1` \| delivered over the wire/);
  t.match(rows[1], /^\| ❌ \| expects the wire # but gets lo &lt;&amp;&gt; \| `laptop:lo` \| expected not via/);
  t.match(rows[3], /^\| ⚠️ \| cannot be built \| — \| `ip link add wlan0` exited with 2/);
  t.match(md, /\*\*failed\*\* \(scenarios\/ci\.yaml line 22\): expected not via/, 'the failure names its scenario line');

  const blocks = mermaidBlocks(md);
  // two failed cases with probes, and the passing case that crossed the wire; not the case without probes
  t.equal(blocks.length, 3);
  for (const b of blocks) t.equal(await parseMermaid(b), 'flowchart-v2');
  const [lo, two, wire] = blocks as [string, string, string];
  t.match(lo, /class d0 onpath/, 'lo, the only device it crossed, is marked');
  t.match(two, /d1 ==>\|"A1"\| d4/, 'the first probe is drawn as A');
  t.match(two, /d2 -\.->\|"expected B1"\| d5/, 'the second one\'s expected path is drawn dashed');
  t.match(two, /class d2 lost/, 'where the undelivered probe was last seen');
  t.match(wire, /d1 ==>\|"1"\| d4\n.*\n\s*d4 ==>\|"2"\| d5\n.*\n\s*d5 ==>\|"3"\| d2/, 'wlan0 → port0 → port1 → wlan1');
  t.match(md, /<details><summary>Paths of passing cases that crossed the wire \(1\)<\/summary>/);
});

t.test('a passing run draws nothing open and says so in the heading', async (t) => {
  const [s] = results();
  const md = githubSummary([{ ...s!, cases: [s!.cases[0]!] }], [scenario()], locations());
  t.match(md, /^## ✅ lab: 1 pass\n/);
  t.notMatch(md, /### Failed cases/);
});

t.test('the number of diagrams is capped so the summary stays small', async (t) => {
  const [s] = results();
  const failing = s!.cases[1]!;
  const many = Array.from({ length: MAX_DRAWN.failed + 5 }, (_, i) => ({ ...failing, name: `case ${i}` }));
  const md = githubSummary([{ ...s!, cases: many }], [scenario()], locations());
  t.equal(mermaidBlocks(md).length, MAX_DRAWN.failed);
  t.match(md, /Diagrams are drawn for the first 20 failed cases only/);
});
