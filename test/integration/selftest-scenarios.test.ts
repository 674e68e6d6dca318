// The shipped routing scenarios (router, policy routing, and the cases adapted from the kernel's
// fib_rule_tests.sh / fib_tests.sh), run for real. Their expectations were measured by hand on
// kernel 6.18 (see the comments in each file). Each file must pass as shipped; and each case, with
// its expectation turned around, must fail: the check is live, not an expectation lab meets by
// never looking.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parse, stringify } from 'yaml';
import { tempDir } from '../tmp.js';
import { lab, needsRoot, ROOT } from './helpers.js';

interface Case { name: string; status: string; error?: string; expectations: { what: string; expected: unknown; actual: unknown; ok: boolean }[] }
interface Report { scenarios: { name: string; cases: Case[] }[] }

type Expect = Record<string, unknown>;
interface RawProbe { expect?: Expect; [kind: string]: unknown }
interface RawCase { name: string; description?: string; expect?: Expect; probes: RawProbe[]; [key: string]: unknown }
interface RawScenario { name: string; cases: RawCase[]; [key: string]: unknown }

const FILES = ['router', 'policy-routing', 'selftest-fib-rules', 'selftest-fib'];
const file = (name: string): string => join(ROOT, 'scenarios', `${name}.yaml`);

/** The other answer for an expected table: a redirect that did not happen, or one that did. */
const otherTable = (table: unknown): string | number => (table === 'main' ? 100 : 'main');
const otherDev = (dev: unknown): string => (dev === 'eth0' ? 'eth1' : 'eth0');
const otherReject = (reject: unknown): string => (reject === 'prohibit' ? 'blackhole' : 'prohibit');

/** Every expectation of a case: the case's own and each probe's. */
const expectationsOf = (c: RawCase): Expect[] =>
  [c.expect, ...c.probes.map((p) => p.expect)].filter((e): e is Expect => e !== undefined);

/**
 * The case with its expectation turned around, chosen by what the case is about: the routing
 * decision (table, else device) when it expects one, else the refusal kind, else delivery.
 */
const opposite = (c: RawCase): RawCase => {
  const flipped = structuredClone(c);
  const all = expectationsOf(flipped);
  const routes = all.map((e) => e['route']).filter((r): r is Expect => typeof r === 'object' && r !== null);
  if (routes.length > 0) {
    for (const r of routes) {
      if ('table' in r) r['table'] = otherTable(r['table']);
      else r['dev'] = otherDev(r['dev']);
    }
  } else if (all.some((e) => 'reject' in e)) {
    for (const e of all) if ('reject' in e) e['reject'] = otherReject(e['reject']);
  } else {
    for (const e of all) if (typeof e['delivered'] === 'boolean') e['delivered'] = !e['delivered'];
  }
  flipped.name = `${c.name} (opposite)`;
  return flipped;
};

const run = async (path: string) => {
  const r = await lab(['run', path, '--jobs', '2', '--format', 'json'], { timeout: 600_000 });
  const report = r.stdout ? (JSON.parse(String(r.stdout)) as Report) : undefined;
  return { exitCode: r.exitCode, stderr: String(r.stderr), cases: report?.scenarios.flatMap((s) => s.cases) ?? [] };
};

const failing = (c: Case): string =>
  [c.error ?? '', ...c.expectations.filter((e) => !e.ok).map((e) => `${e.what}: expected ${JSON.stringify(e.expected)}, got ${JSON.stringify(e.actual)}`)].join('\n');

t.test('opposite(): each kind of expectation is turned around (no root needed)', async (t) => {
  const probe = (expect: Expect): RawProbe => ({ udp: { from: 'a:192.0.2.1', to: '192.0.2.2' }, expect });
  t.same(opposite({ name: 'x', probes: [probe({ route: { table: 100 } }), probe({ route: { table: 'main', dev: 'eth0' } })] }).probes.map((p) => p.expect),
    [{ route: { table: 'main' } }, { route: { table: 100, dev: 'eth0' } }], 'tables swap between the redirect and main');
  t.same(opposite({ name: 'x', expect: { route: { dev: 'eth1' } }, probes: [probe({ delivered: true })] }).expect,
    { route: { dev: 'eth0' } }, 'no table: the device changes');
  t.same(opposite({ name: 'x', expect: { delivered: false, reject: 'no-route' }, probes: [] }).expect,
    { delivered: false, reject: 'prohibit' }, 'a refusal changes kind');
  t.same(opposite({ name: 'x', expect: { delivered: true }, probes: [probe({ delivered: false })] }),
    { name: 'x (opposite)', expect: { delivered: false }, probes: [probe({ delivered: true })] }, 'else delivery flips everywhere');
});

for (const name of FILES) {
  t.test(`${name}.yaml passes as shipped, and each case fails with its expectation turned around`, { skip: needsRoot }, async (t) => {
    const scenario = parse(readFileSync(file(name), 'utf8')) as RawScenario;

    const shipped = await run(file(name));
    t.equal(shipped.exitCode, 0, `lab run ${name}.yaml exits 0\n${shipped.stderr}`);
    t.same(shipped.cases.map((c) => c.name), scenario.cases.map((c) => c.name), 'every case is reported');
    for (const c of shipped.cases) t.equal(c.status, 'pass', `${c.name} passes\n${failing(c)}`);

    // All turned-around cases in one file, so one lab invocation per scenario.
    const dir = tempDir(`lab-opposite-${name}-`);
    const flippedPath = join(dir, `${name}.yaml`);
    writeFileSync(flippedPath, stringify({ ...scenario, cases: scenario.cases.map(opposite) }));
    const flipped = await run(flippedPath);
    t.equal(flipped.exitCode, 1, `lab run on the turned-around cases exits 1\n${flipped.stderr}`);
    t.equal(flipped.cases.length, scenario.cases.length, 'every turned-around case is reported');
    for (const c of flipped.cases) t.equal(c.status, 'fail', `${c.name} fails (and is not an error: ${c.error ?? 'none'})`);
  });
}
