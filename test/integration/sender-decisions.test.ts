// The sender's routing decision (route:, reject:) and the causes of probes its own kernel
// refuses, for real: test/integration/fixtures/sender-decisions.yaml (reproduced by hand first,
// see its header). Each expectation is also turned around once to show lab fails it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { lab, needsRoot, ROOT, scenarioFile } from './helpers.js';

const FILE = join(ROOT, 'test', 'integration', 'fixtures', 'sender-decisions.yaml');

interface Probe { name: string; cause: string | null; explanation: string; evidence: string[] }
interface Case { name: string; status: string; error?: string; probes: Probe[]; expectations: { what: string; expected: unknown; actual: unknown; ok: boolean }[] }

const run = async (file: string, args: string[] = []): Promise<{ exitCode: number; cases: Case[]; ms: number; stderr: string }> => {
  const started = performance.now();
  const r = await lab(['run', file, '--format', 'json', ...args]);
  return { exitCode: r.exitCode ?? -1, cases: JSON.parse(String(r.stdout)).scenarios[0].cases as Case[], ms: performance.now() - started, stderr: String(r.stderr) };
};

t.test('route: follows the attributes, reject: and the causes name the refusal', { skip: needsRoot }, async (t) => {
  const r = await run(FILE);
  t.equal(r.exitCode, 0, r.stderr);
  for (const c of r.cases) t.equal(c.status, 'pass', `${c.name} ${c.error ?? ''}`);
  const probe = (name: string): Probe | undefined => r.cases.flatMap((c) => c.probes).find((p) => p.name === name);
  // The kernel's own lookups say which table answered.
  t.ok(probe('mark')?.evidence.includes('fib lookups on a: table local (255) → EAGAIN, table 100 → dev e1; table 100 by rule 100 (from all fwmark 0x7 lookup 100)'), 'mark: table 100 answered, led there by the fwmark rule');
  t.ok(probe('plain')?.evidence.some((e) => e.endsWith('; table main (254) by rule 32766 (from all lookup main)')), 'plain: main, by the main rule');
  t.ok(probe('uid')?.evidence.some((e) => e.startsWith('fib lookups on a: table local (255) → EAGAIN, table 300 → dev e1')), 'uid: table 300');
  t.match(probe('blackhole udp')?.explanation, /blackhole \(table main \(254\)\): Invalid argument; the sender was told: sendto: Invalid argument$/);
  t.match(probe('prohibit rule udp')?.explanation, /a's route decision is prohibit: Permission denied/);
  // A loopback source on a NIC is refused with EINVAL because route_localnet is 0: the cause names that knob.
  t.match(probe('loopback source udp')?.explanation, /^not delivered \(ROUTE_LOCALNET\): a refused to send from 127\.0\.0\.5 \(sendto: Invalid argument\)/);
  const route = r.cases[0]?.expectations.find((e) => e.what === 'mark: route');
  t.same(route, { what: 'mark: route', expected: 'dev e1 table wan (100)', actual: 'dev e1 src 192.0.2.1 table 100', ok: true });
});

t.test('a refused probe does not wait its timeout', { skip: needsRoot }, async (t) => {
  // 14 probes with a timeout of 10 s each: together in less than one of them.
  const refused = await run(FILE, ['--case', 'the sender refuses at once', '--case', "the sender's own syscall refuses"]);
  t.equal(refused.exitCode, 0, refused.stderr);
  t.equal(refused.cases.flatMap((c) => c.probes).length, 14);
  t.ok(refused.ms < 10_000, `took ${Math.round(refused.ms)} ms`);
});

t.test('negative control: the opposite expectations fail', { skip: needsRoot }, async (t) => {
  const text = readFileSync(FILE, 'utf8')
    .replace('mark: 7 }, expect: { route: { table: wan, dev: e1 } }', 'mark: 7 }, expect: { route: { table: 200, dev: e1 } }')
    .replace('expect: { reject: blackhole, reason: BLACKHOLE } }', 'expect: { reject: unreachable } }')
    .replace('to: 198.51.100.2 }, expect: { route: { table: main, dev: e0 } }', 'to: 198.51.100.2 }, expect: { reject: no-route }');
  const r = await run(scenarioFile(text), ['--case', "the decision follows the probe's attributes", '--case', 'the sender refuses at once']);
  t.equal(r.exitCode, 1);
  const failed = r.cases.flatMap((c) => c.expectations.filter((e) => !e.ok));
  t.same(failed, [
    { what: 'plain: reject', expected: 'no-route', actual: 'none (dev e0)', ok: false },
    { what: 'mark: route', expected: 'dev e1 table 200', actual: 'dev e1 src 192.0.2.1 table 100', ok: false },
    { what: 'blackhole udp: reject', expected: 'unreachable', actual: 'blackhole', ok: false },
  ]);
});
