import { rmSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { BASELINE_PL } from '../../../src/backends/baseline.js';
import { DEFER_MAX, HostBackend } from '../../../src/backends/host.js';
import type { Command, CommandResult } from '../../../src/backends/runner.js';
import { StateFile } from '../../../src/backends/state.js';
import { planCase, withoutProbes } from '../../../src/plan/plan.js';
import { seedScenario } from '../fixtures.js';
import { FakeHost } from './fake-host.js';
import { tempDir } from '../../tmp.js';

const dirs: string[] = [];
t.teardown(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const setup = () => {
  const host = new FakeHost();
  const dir = tempDir('lab-host-');
  dirs.push(dir);
  const state = StateFile.create(dir, { pid: process.pid, scenarios: ['x.yaml'] });
  const backend = new HostBackend(host, state, host.exists);
  const plan = (i: number) => withoutProbes(planCase(seedScenario(), 0, `${state.prefix}-${i}`));
  return { host, state, backend, plan };
};

t.test('a deferred teardown empties the namespaces meanwhile and deletes them with the others at flush', async (t) => {
  const { host, state, backend, plan } = setup();
  const [a, b] = [plan(1), plan(2)];
  await backend.down(a, await backend.up(a), { defer: true });
  await backend.down(b, await backend.up(b), { defer: true });
  const all = [...a.namespaces, ...b.namespaces].map((n) => n.netns);
  t.same([...host.namespaces].sort(), [...all].sort(), 'still there after the cases');
  t.same([...state.namespaces].sort(), [...all].sort(), 'and still recorded, for an interrupt or lab clean');
  await backend.flush();
  const at = (line: string): number => host.log.findIndex((l) => l.join(' ') === line);
  // Emptied in the background while the next case builds; never deleted before that is done.
  t.ok(all.every((ns) => at(`ip netns pids ${ns}`) >= 0), 'every process inside was looked for (and killed)');
  t.ok(all.every((ns) => at(`ip netns pids ${ns}`) < at(`ip netns del ${ns}`)), 'before its namespace was deleted');
  // Not looked for again at flush: an emptied namespace stays empty (in a VM, one more ip batch per run).
  t.ok(all.every((ns) => host.log.filter((l) => l.join(' ') === `ip netns pids ${ns}`).length === 1), 'each looked into once');
  t.same([...host.namespaces], [], 'flush deletes them all');
  t.same(state.namespaces, [], 'and forgets them');
  await backend.flush();
  state.close();
});

t.test('an emptying that failed: flush looks into the namespaces again before it deletes them', async (t) => {
  const { host, state, backend, plan } = setup();
  const a = plan(1);
  const live = await backend.up(a);
  let refused = false;
  const run = host.run.bind(host);
  host.run = async (cmd: Command): Promise<CommandResult> => {
    if (!refused && (cmd.input ?? '').startsWith('netns pids')) {
      refused = true;
      throw new Error('no pids for you');
    }
    return run(cmd);
  };
  await backend.down(a, live, { defer: true });
  await t.rejects(backend.flush(), /no pids for you/);
  const ns = a.namespaces.map((n) => n.netns);
  t.ok(ns.every((n) => host.log.some((l) => l.join(' ') === `ip netns pids ${n}`)), 'looked into at flush');
  t.same([...host.namespaces], [], 'and deleted');
  state.close();
});

t.test('a deferred teardown does not hold the case up, and flush waits for it before it deletes', async (t) => {
  const { host, state, backend, plan } = setup();
  // The first look for processes (the case's emptying) hangs until the gate opens.
  let open: () => void = () => undefined;
  const gate = new Promise<void>((r) => (open = r));
  const run = host.run.bind(host);
  let gated = false;
  host.run = async (cmd) => {
    if (!gated && cmd.argv.includes('-batch') && (cmd.input ?? '').startsWith('netns pids')) {
      gated = true;
      await gate;
    }
    return run(cmd);
  };
  const a = plan(1);
  await backend.down(a, await backend.up(a), { defer: true });
  t.ok(gated, 'down returned while its namespaces were still being emptied');
  let flushed = false;
  const flushing = backend.flush().then(() => (flushed = true));
  await new Promise((r) => setTimeout(r, 50));
  t.notOk(flushed, 'flush waits for the emptying');
  t.ok(a.namespaces.every((n) => host.namespaces.has(n.netns)), 'and deletes nothing meanwhile');
  open();
  await flushing;
  const at = (line: string): number => host.log.findIndex((l) => l.join(' ') === line);
  t.ok(a.namespaces.every((n) => at(`ip netns pids ${n.netns}`) < at(`ip netns del ${n.netns}`)), 'emptied, then deleted');
  t.same([...host.namespaces], [], 'all gone after flush');
  state.close();
});

t.test('deferred namespaces are deleted at the latest when DEFER_MAX have gathered', async (t) => {
  const { host, state, backend, plan } = setup();
  for (let i = 0; i < DEFER_MAX / 2; i++) {
    const p = plan(i);
    await backend.down(p, await backend.up(p), { defer: true });
    if (i === DEFER_MAX / 2 - 2) t.equal(host.namespaces.size, DEFER_MAX - 2, 'one case short of DEFER_MAX: all still there');
  }
  t.equal(host.namespaces.size, 0, `${DEFER_MAX / 2} cases of 2 namespaces: the last down deleted all ${DEFER_MAX}`);
  const p = plan(99);
  await backend.down(p, await backend.up(p), { defer: true });
  t.equal(host.namespaces.size, 2);
  await backend.down(p);
  t.equal(host.namespaces.size, 0, 'an immediate down of what is deferred is harmless');
  await backend.flush();
  state.close();
});

t.test('without defer, down deletes at once', async (t) => {
  const { host, state, backend, plan } = setup();
  const p = plan(1);
  await backend.down(p, await backend.up(p));
  t.equal(host.namespaces.size, 0);
  state.close();
});

t.test('an agent that fails while the plan is still applied fails the case, never the process', async (t) => {
  // The agents' start fails at once; the nodes' batches take a while longer.
  class SlowBatches extends FakeHost {
    override async run(cmd: Command): Promise<CommandResult> {
      // The agents are perl; so is the sysctl baseline, which works.
      if (cmd.argv.includes('perl') && cmd.argv[2] !== BASELINE_PL) return { argv: cmd.argv, exitCode: -1, stdout: '', stderr: '', durationMs: 1, timedOut: false };
      if (cmd.argv[1] === '-n' && cmd.argv.includes('-batch')) await new Promise((r) => setTimeout(r, 50));
      return super.run(cmd);
    }
  }
  const host = new SlowBatches();
  const dir = tempDir('lab-host-');
  dirs.push(dir);
  const state = StateFile.create(dir, { pid: process.pid, scenarios: ['x.yaml'] });
  const backend = new HostBackend(host, state, host.exists);
  const unhandled: unknown[] = [];
  const record = (reason: unknown): void => void unhandled.push(reason);
  process.on('unhandledRejection', record);
  t.teardown(() => void process.off('unhandledRejection', record));
  const plan = planCase(seedScenario(), 0, `${state.prefix}-agents`);
  await t.rejects(backend.up(plan), /namespace agent in .* did not start/);
  await new Promise((r) => setTimeout(r, 100));
  t.same(unhandled, [], 'no rejection went unhandled');
  t.same([...host.namespaces], [], 'what was built is gone');
  state.close();
});
