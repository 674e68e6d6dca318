// At the end of a probed case each node's agent empties its own namespace (HostBackend.down with
// defer): a process left running inside one (a daemon a case started) is killed there, before
// the namespace waits for its deletion with the others.
import { readFileSync, rmSync } from 'node:fs';
import t from 'tap';
import { HostBackend } from '../../src/backends/host.js';
import type { Command } from '../../src/backends/runner.js';
import { forkingRunner } from '../../src/backends/forker.js';
import { StateFile } from '../../src/backends/state.js';
import { planCase } from '../../src/plan/plan.js';
import { seedScenario } from '../unit/fixtures.js';
import { needsRoot } from './helpers.js';
import { tempDir } from '../tmp.js';

/** Running, not gone and not a zombie (killed, waiting for whoever reaps orphans). */
const alive = (pid: number): boolean => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

t.test('a deferred teardown has each agent kill what still runs in its namespace', { skip: needsRoot }, async (t) => {
  const dir = tempDir('lab-reap-state-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const state = StateFile.create(dir, { pid: process.pid, scenarios: ['reap'] });
  const inner = forkingRunner();
  const inputs: string[] = [];
  const runner = { run: (cmd: Command) => (inputs.push(cmd.input ?? ''), inner.run(cmd)), start: (cmd: Command) => inner.start(cmd) };
  const backend = new HostBackend(runner, state);
  const plan = planCase(seedScenario(), 0, state.prefix);
  const live = await backend.up(plan);
  try {
    t.equal(live.agents.size, 2, 'a probed case has an agent on each node');
    // A daemon of the case: its shell ends, the sleep stays in the namespace.
    const started = await live.run('ap', { argv: ['sh', '-c', 'sleep 60 >/dev/null 2>&1 & echo $!'] });
    const pid = Number(started.stdout.trim());
    t.ok(pid > 0 && alive(pid), `a process runs inside ap's namespace (${pid})`);
    const before = inputs.length;
    await backend.down(plan, live, { defer: true });
    t.notOk(inputs.slice(before).some((i) => i.includes('netns pids')), 'the agents did it: no `ip netns pids` batch');
    await new Promise((r) => setTimeout(r, 100));
    t.notOk(alive(pid), 'it was killed when the case ended');
    t.ok(plan.namespaces.every((n) => state.namespaces.includes(n.netns)), 'the namespaces wait, still recorded, for the flush');
  } finally {
    await backend.flush();
    state.close();
  }
  t.same(state.namespaces, [], 'flushed');
});
