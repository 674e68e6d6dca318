// Issue 15, point 2: a lab larger than the machine is refused before anything is built, a large
// build says how it goes, and SIGTERM stops a 300-node build within seconds leaving nothing.
// Measured before the fix (linear,150, SIGTERM 8 s in, while 300 agents read their counters):
// exit after 19 s. The bound below is generous for a machine shared by several runs.
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { linearScenarioText } from '../../src/bench/linear.js';
import { lab, namespaces, needsRoot, userEnv } from './helpers.js';
import { tempDir } from '../tmp.js';

const STOP_WITHIN_MS = 10_000;

t.test('a 4,200-node scenario is refused up front with the numbers (exit 2), nothing built', { skip: needsRoot }, async (t) => {
  const dir = tempDir('lab-size-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const nodes = Array.from({ length: 4200 }, (_, i) => `  n${i}: {}`);
  const file = join(dir, 'wide.yaml');
  writeFileSync(file, ['name: wide', 'nodes:', ...nodes, 'links:', '  - [n0:eth0, n1:eth0]', 'addresses:', '  n0:eth0: 192.0.2.1/24',
    '  n1:eth0: 192.0.2.2/24', 'cases:', '  - name: build', '    probes: [ { udp: { from: n0:192.0.2.1, to: 192.0.2.2 } } ]', ''].join('\n'));
  const stateDir = tempDir('lab-size-state-');
  t.teardown(() => rmSync(stateDir, { recursive: true, force: true }));
  const r = await lab(['run', file], { env: { ...userEnv(), LAB_STATE_DIR: stateDir } });
  t.equal(r.exitCode, 2, String(r.stderr));
  t.match(String(r.stderr), /would not fit on this machine: 4,200 nodes at once/);
  t.match(String(r.stderr), /memory: about [\d,]+ MB \(4\.5 MB per node \+ 200 MB\), but MemAvailable is [\d,]+ MB/);
  t.match(String(r.stderr), /--ignore-size-limit runs it anyway/);
  t.same(readdirSync(stateDir), [], 'no run was started');
});

t.test('SIGTERM stops a 300-node build within seconds; nothing is left', { skip: needsRoot }, async (t) => {
  const dir = tempDir('lab-sigterm-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'linear-150.yaml');
  writeFileSync(file, linearScenarioText(150));
  const stateDir = tempDir('lab-sigterm-state-');
  t.teardown(() => rmSync(stateDir, { recursive: true, force: true }));
  // forceKillAfterDelay: false: execa would SIGKILL lab 5 s after the SIGTERM, and hide how long it took.
  const run = lab(['run', file], { env: { ...userEnv(), LAB_STATE_DIR: stateDir }, timeout: 300_000, forceKillAfterDelay: false });
  let stderr = '';
  run.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  // Mid-build: the namespaces exist and the agents are starting.
  while (!/300 namespaces created/.test(stderr) && run.exitCode === null) await new Promise((r) => setTimeout(r, 20));
  const runId = readdirSync(stateDir).find((f) => f.endsWith('.json'))?.replace(/\.json$/, '');
  t.ok(runId, 'the run recorded itself');
  t.match(stderr, /build: 300 namespaces created \(\d+\.\d s\)/, 'a large build says how it goes');
  const sent = performance.now();
  run.kill('SIGTERM');
  const r = await run;
  const took = performance.now() - sent;
  t.equal(r.exitCode, 143, stderr);
  t.notOk(r.signal, 'lab ended itself, it was not killed');
  // Before: 11.8-13 s here (every agent start already handed to the forker was waited for, then
  // `ip netns pids` over 300 namespaces); after: 2.2 s at load average 49.
  t.ok(took < STOP_WITHIN_MS, `stopped ${Math.round(took)} ms after SIGTERM`);
  t.same((await namespaces()).filter((n) => n.startsWith(`lab-${runId}-`)), [], 'no namespace of it left');
  t.same(readdirSync(stateDir), [], 'its state file is gone: nothing for lab clean');
});
