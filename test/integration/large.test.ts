// A topology of many namespaces goes through the driver (one root `ip -batch` of
// `netns exec` lines per lane) instead of a process per namespace: it must build the same
// network, carry the probe across it, and leave nothing behind. Before lab waited for the
// kernel to bring links up (HostBackend.settle), this failed: the first ARP request was lost.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { linearScenarioText } from '../../src/bench/linear.js';
import { lab, namespaces, needsRoot } from './helpers.js';

t.test('linear,6 (12 namespaces) carries a datagram from h1 across six bridges to h6', { skip: needsRoot }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lab-large-'));
  const file = join(dir, 'linear-6.yaml');
  writeFileSync(file, linearScenarioText(6));
  const r = await lab(['run', file, '--format', 'json']);
  t.equal(r.exitCode, 0, String(r.stderr));
  const report = JSON.parse(String(r.stdout)) as { scenarios: { cases: { status: string; probes: { path: string[] }[] }[] }[] };
  const c = report.scenarios[0]?.cases[0];
  t.equal(c?.status, 'pass');
  const path = c?.probes[0]?.path ?? [];
  t.same(path.slice(0, 3), ['h1:eth0', 's1:eth1', 's1:eth2'], 'out of h1 into its switch');
  t.same(path.slice(-2), ['s6:eth1', 'h6:eth0'], 'and out of the last switch into h6');
  t.equal(path.filter((k) => k.startsWith('s')).length, 6 * 2, 'through two ports of each of the six switches');
  const run = /lab-[0-9a-f]+-c0-/.exec(String(r.stderr) + String(r.stdout))?.[0];
  const left = (await namespaces()).filter((n) => /^lab-[0-9a-f]+-c0-(h|s)\d+$/.test(n));
  t.same(run ? left.filter((n) => n.startsWith(run)) : left.filter((n) => n.endsWith('-h6')), [], 'nothing of it left');
});
