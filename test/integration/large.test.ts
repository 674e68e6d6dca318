// A topology of many namespaces goes through the driver (one root `ip -batch` of
// `netns exec` lines per lane) instead of a process per namespace: it must build the same
// network, carry the probe across it, and leave nothing behind. Before lab waited for the
// kernel to bring links up (HostBackend.settle), this failed: the first ARP request was lost.
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { linearScenarioText } from '../../src/bench/linear.js';
import { lab, namespaces, needsRoot, userEnv } from './helpers.js';
import { tempDir } from '../tmp.js';

t.test('linear,6 (12 namespaces) carries a datagram from h1 across six bridges to h6', { skip: needsRoot }, async (t) => {
  const dir = tempDir('lab-large-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'linear-6.yaml');
  writeFileSync(file, linearScenarioText(6));
  // A state folder of its own, to know the run's id (its namespaces' prefix) while it runs.
  const stateDir = tempDir('lab-large-state-');
  t.teardown(() => rmSync(stateDir, { recursive: true, force: true }));
  const run = lab(['run', file, '--format', 'json'], { env: { ...userEnv(), LAB_STATE_DIR: stateDir } });
  let runId: string | undefined;
  while (!runId && run.exitCode === null) {
    runId = readdirSync(stateDir).find((f) => f.endsWith('.json'))?.replace(/\.json$/, '');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const r = await run;
  t.equal(r.exitCode, 0, String(r.stderr));
  const report = JSON.parse(String(r.stdout)) as { scenarios: { cases: { status: string; probes: { path: string[] }[] }[] }[] };
  const c = report.scenarios[0]?.cases[0];
  t.equal(c?.status, 'pass');
  const path = c?.probes[0]?.path ?? [];
  t.same(path.slice(0, 3), ['h1:eth0', 's1:eth1', 's1:eth2'], 'out of h1 into its switch');
  t.same(path.slice(-2), ['s6:eth1', 'h6:eth0'], 'and out of the last switch into h6');
  t.equal(path.filter((k) => k.startsWith('s')).length, 6 * 2, 'through two ports of each of the six switches');
  t.ok(runId, 'the run recorded itself');
  t.same((await namespaces()).filter((n) => n.startsWith(`lab-${runId}-`)), [], 'nothing of it left');
});
