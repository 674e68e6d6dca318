// Route lookups belong to the probe that was sent (#14, fibpid): two cases (fib-collide.yaml)
// send the very same datagrams, connects and echo requests (same addresses; lab numbers every
// case's ports alike) side by side, one decided by main, the other by a rule's table 100. tracefs
// is one for everyone, so each probe keeps only the lookups of the process that sent it.
// Measured before the change (selection by protocol, addresses and ports only): with --jobs 2,
// 4 to 10 of each case's 12 route expectations took the other case's table (3 runs of 3 failed);
// with --jobs 1 both cases passed.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { tempDir } from '../tmp.js';
import { lab, needsRoot, ROOT, whyNotPassed } from './helpers.js';

const FIXTURE = join(ROOT, 'test', 'integration', 'fixtures', 'fib-collide.yaml');

interface CaseJson {
  name: string;
  status: string;
  error?: string;
  expectations: { what: string; ok: boolean; expected: unknown; actual: unknown }[];
  probes: { name: string; explanation: string; evidence: string[] }[];
}

const run = async (file: string, ...args: string[]) => {
  const r = await lab(['run', file, '--format', 'json', ...args]);
  const cases = String(r.stdout).trim() ? (JSON.parse(String(r.stdout)).scenarios[0].cases as CaseJson[]) : [];
  return { exitCode: r.exitCode, cases, stderr: String(r.stderr) };
};

t.test('two cases sending the same probes at once: each is judged on its own lookups', { skip: needsRoot }, async (t) => {
  for (let i = 1; i <= 3; i++) {
    const r = await run(FIXTURE, '--jobs', '2');
    t.equal(r.exitCode, 0, r.exitCode === 0 ? `run ${i}` : `run ${i}: ${r.stderr}`);
    t.equal(r.cases.length, 2);
    for (const c of r.cases) t.equal(c.status, 'pass', c.status === 'pass' ? `run ${i}, ${c.name}` : `run ${i}, ${c.name}: ${c.error ?? whyNotPassed(c)}`);
  }
});

t.test('two labs sending the same probes at once: neither takes the other\'s lookups', { skip: needsRoot }, async (t) => {
  const [main, other] = await Promise.all([run(FIXTURE, '--case', 'main answers'), run(FIXTURE, '--case', 'table 100 answers')]);
  for (const r of [main, other]) {
    t.equal(r.exitCode, 0, r.exitCode === 0 ? 'exit 0' : r.stderr);
    for (const c of r.cases) t.equal(c.status, 'pass', c.status === 'pass' ? c.name : `${c.name}: ${c.error ?? whyNotPassed(c)}`);
  }
});

t.test('negative control: the route expectation fails when it names the other case\'s table', { skip: needsRoot }, async (t) => {
  const text = readFileSync(FIXTURE, 'utf8');
  const wrong = 'expect: { route: { table: main, dev: eth0 } }';
  t.ok(text.includes(wrong), 'the fixture has the main case\'s expectation');
  const file = join(tempDir('lab-fib-collide-'), 'fib-collide.yaml');
  writeFileSync(file, text.replace(wrong, 'expect: { route: { table: other, dev: eth1 } }'));
  const r = await run(file, '--case', 'main answers');
  t.equal(r.exitCode, 1, 'lab fails the case');
  const failed = r.cases[0]?.expectations.filter((e) => !e.ok) ?? [];
  t.equal(failed.length, 15, 'every probe\'s route expectation fails: main answered each');
});
