// A forwarded IPv6 datagram, the first probe of a fresh case, with the default 1000 ms timeout.
// Measured by hand (namespaces h-v6-*, tcpdump on r1:eth1): with DAD, r1's link-local address on
// eth1 stays tentative ~2 s after the links come up and r1 sends no neighbour solicitation for
// h2 meanwhile (the datagram arrived after ~2.6 s); lab turns DAD off per device (noDadOps).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { tempDir } from '../tmp.js';
import { lab, needsRoot, ROOT } from './helpers.js';

const ROUTER = join(ROOT, 'test', 'integration', 'fixtures', 'routing-router.yaml');
const CASE = 'IPv6 through r1 right after the links come up';

interface Probe { delivered: boolean; path: string[] }
interface CaseJson { name: string; status: string; probes: Probe[]; error?: string }

const runCase = async (file: string): Promise<{ exitCode: number | undefined; c: CaseJson | undefined; stderr: string }> => {
  const r = await lab(['run', file, '--case', CASE, '--format', 'json']);
  const cases = String(r.stdout).trim() ? (JSON.parse(String(r.stdout)).scenarios[0].cases as CaseJson[]) : [];
  return { exitCode: r.exitCode, c: cases[0], stderr: String(r.stderr) };
};

t.test('the forwarded IPv6 datagram arrives within the default timeout, right after the links come up', { skip: needsRoot }, async (t) => {
  const text = readFileSync(ROUTER, 'utf8');
  t.ok(/name: IPv6 through r1 right after the links come up\n    probes:\n      - udp: \{ from: "h1:2001:db8:1::1", to: "2001:db8:2::2" \}\n/.test(text), 'the case has the one probe, no timeout-ms');
  const r = await runCase(ROUTER);
  t.equal(r.exitCode, 0, r.stderr);
  t.equal(r.c?.status, 'pass', r.c?.error ?? '');
  t.same(r.c?.probes.map((p) => p.path), [['h1:eth0', 'r1:eth0', 'r1:eth1', 'h2:eth0']]);
});

t.test('negative control: with DAD back on r1:eth1 (a fresh link-local address, tentative) it is not delivered', { skip: needsRoot }, async (t) => {
  const dir = tempDir('lab-routing-v6-');
  const file = join(dir, 'dad-on.yaml');
  const text = readFileSync(ROUTER, 'utf8');
  const at = `  - name: ${CASE}\n`;
  t.ok(text.includes(at), 'fixture has the case');
  // Down and up again drops r1:eth1's link-local address and makes a new one, which DAD now checks.
  const override = [
    '    nodes:',
    '      r1:',
    '        setup:',
    '          - [sysctl, -q, -w, net.ipv6.conf.eth1.accept_dad=1]',
    '          - [ip, link, set, eth1, down]',
    '          - [ip, link, set, eth1, up]',
    '',
  ].join('\n');
  writeFileSync(file, text.replace(at, at + override));
  const r = await runCase(file);
  t.equal(r.exitCode, 1, `the expectation fails: ${r.stderr}`);
  t.same(r.c?.probes.map((p) => p.delivered), [false], 'not delivered within 1000 ms');
  t.same(r.c?.probes[0]?.path.slice(0, 2), ['h1:eth0', 'r1:eth0'], 'it reached r1 and waited there');
});
