// Routes, rules, forwarding, node sysctls and default-rules on real namespaces. Each expectation
// was first reproduced by hand with ip and socat (see the comments of the two fixtures).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { tempDir } from '../tmp.js';
import { lab, needsRoot, ROOT } from './helpers.js';

const ROUTER = join(ROOT, 'test', 'integration', 'fixtures', 'routing-router.yaml');
const LOCAL = join(ROOT, 'test', 'integration', 'fixtures', 'routing-local.yaml');

interface Probe { name: string; delivered: boolean; path: string[] }
interface CaseJson { name: string; status: string; probes: Probe[]; error?: string }

const runJson = async (file: string, ...args: string[]): Promise<{ exitCode: number | undefined; cases: CaseJson[]; stderr: string }> => {
  const r = await lab(['run', file, '--format', 'json', ...args]);
  const cases = String(r.stdout).trim() ? (JSON.parse(String(r.stdout)).scenarios[0].cases as CaseJson[]) : [];
  return { exitCode: r.exitCode, cases, stderr: String(r.stderr) };
};

const paths = (c: CaseJson | undefined): string[][] => (c?.probes ?? []).map((p) => p.path);

t.test('a router between two LANs: forwarding on and off, a source rule', { skip: needsRoot }, async (t) => {
  const r = await runJson(ROUTER);
  t.equal(r.exitCode, 0, r.stderr);
  const byName = (name: string) => r.cases.find((c) => c.name === name);
  for (const c of r.cases) t.equal(c.status, 'pass', `${c.name} ${c.error ?? ''}`);
  const through = ['h1:eth0', 'r1:eth0', 'r1:eth1', 'h2:eth0'];
  t.same(paths(byName('the router forwards between the LANs')), [through, through], 'IPv4 and IPv6 through r1');
  const off = byName('forwarding off, nothing gets through');
  t.same(off?.probes.map((p) => p.delivered), [false], 'not delivered with forwarding off');
  t.same(paths(off), [['h1:eth0', 'r1:eth0']], 'it reached r1 and stopped there');
  t.same(paths(byName('without a rule the second address leaves by main\'s default')), [through]);
  t.same(paths(byName('a source rule sends it out of eth1')), [['h1:eth1', 'r1:eth2', 'r1:eth1', 'h2:eth0']],
    'the rule in table wan changed the path');
  t.same(paths(byName('the same rule from a recipe the file defines')), paths(byName('a source rule sends it out of eth1')),
    'a recipe defined in the file (recipes:) does the same');
});

t.test('negative control: the forwarding-off case fails when the override says true', { skip: needsRoot }, async (t) => {
  const dir = tempDir('lab-routing-');
  const file = join(dir, 'router-on.yaml');
  const text = readFileSync(ROUTER, 'utf8');
  t.ok(text.includes('r1: { forwarding: false }'), 'fixture has the override');
  writeFileSync(file, text.replace('r1: { forwarding: false }', 'r1: { forwarding: true }'));
  const r = await runJson(file, '--case', 'forwarding off, nothing gets through');
  t.equal(r.exitCode, 1, 'the expectation delivered: false fails');
  t.same(r.cases[0]?.probes.map((p) => p.delivered), [true], 'with forwarding on it is delivered');
});

t.test('default-rules local: 1000 and iif lo rules send a local datagram over the wire, as the recipe does', { skip: needsRoot }, async (t) => {
  const r = await runJson(LOCAL);
  t.equal(r.exitCode, 0, r.stderr);
  const byName = (name: string) => r.cases.find((c) => c.name === name);
  const wire = ['laptop:wlan0', 'ap:port0', 'ap:port1', 'laptop:wlan1'];
  t.same(paths(byName('the recipe\'s path')), [wire]);
  t.same(paths(byName('the same with routes, rules and default-rules')), paths(byName('the recipe\'s path')),
    'the hand-written rules take the recipe\'s path');
  t.same(paths(byName('without default-rules the local table answers first')), [['laptop:lo']]);
});

t.test('a failing setup command is a case error naming the command, its exit code and stderr', { skip: needsRoot }, async (t) => {
  const dir = tempDir('lab-routing-');
  const file = join(dir, 'setup.yaml');
  writeFileSync(file, [
    'name: setup-fails',
    'nodes:',
    '  a:',
    '    setup:',
    '      - [ip, route, add, unreachable, 203.0.113.9]',
    '      - [sh, -c, "echo broken >&2; exit 3"]',
    '  b: {}',
    'links: [[a:eth0, b:eth0]]',
    'addresses: { a:eth0: 192.0.2.1/24, b:eth0: 192.0.2.2/24 }',
    'cases:',
    '  - name: setup',
    '    probes: [ { udp: { from: a:192.0.2.1, to: 192.0.2.2 } } ]',
    '    expect: { delivered: true }',
  ].join('\n'));
  const r = await runJson(file);
  t.equal(r.cases[0]?.status, 'error');
  t.match(r.cases[0]?.error ?? '', /sh -c echo broken >&2; exit 3` exited with 3: broken/);
});
