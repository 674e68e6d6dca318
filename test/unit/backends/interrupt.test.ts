import { readdirSync } from 'node:fs';
import t from 'tap';
import { HostBackend } from '../../../src/backends/host.js';
import { confinedTo, guardedRunner, INTERRUPTED, isTeardownCommand } from '../../../src/backends/interrupt.js';
import { StateFile } from '../../../src/backends/state.js';
import { finishInterrupted } from '../../../src/session/index.js';
import { planCase } from '../../../src/plan/plan.js';
import { seedScenario } from '../fixtures.js';
import { FakeHost } from './fake-host.js';
import { tempDir } from '../../tmp.js';

const quiet = { out: () => undefined, err: () => undefined };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('teardown commands are the ones that still run after an interrupt', async (t) => {
  t.ok(isTeardownCommand(['ip', 'netns', 'del', 'x']));
  t.ok(isTeardownCommand(['ip', 'netns', 'pids', 'x']));
  t.ok(isTeardownCommand(['umount', '/sys/kernel/tracing']));
  t.notOk(isTeardownCommand(['ip', 'netns', 'add', 'x']));
  t.notOk(isTeardownCommand(['ip', '-n', 'x', 'link', 'add', 'name', 'a', 'type', 'veth']));
  t.notOk(isTeardownCommand(['ip', 'netns', 'exec', 'x', 'socat']));
  const batch = ['ip', '-force', '-batch', '-'];
  t.ok(isTeardownCommand(batch, 'netns pids lab-1-a\nnetns pids lab-1-b\n'), 'a batch that lists pids…');
  t.ok(isTeardownCommand(batch, 'netns del lab-1-a\nnetns del lab-1-b\n'), '…or deletes namespaces');
  t.notOk(isTeardownCommand(batch, 'netns del lab-1-a\nnetns add lab-1-c\n'), 'not one that also adds');
  t.notOk(isTeardownCommand(batch, ''), 'nor an empty one');
  t.notOk(isTeardownCommand(batch), 'nor one whose input is unknown');
});

t.test('what runs inside the run\'s own namespaces', async (t) => {
  t.ok(confinedTo(['ip', 'netns', 'exec', 'lab-ab12cd-c0-laptop', 'perl', '-e', '…'], 'lab-ab12cd'), 'an agent');
  t.ok(confinedTo(['ip', '-n', 'lab-ab12cd-c0-ap', '-batch', '-'], 'lab-ab12cd'), 'a node\'s batch');
  t.notOk(confinedTo(['ip', '-batch', '-'], 'lab-ab12cd'), 'the root batch');
  t.notOk(confinedTo(['ip', 'netns', 'exec', 'lab-ffffff-c0-ap', 'true'], 'lab-ab12cd'), 'another run\'s namespace');
  t.notOk(confinedTo(['ip', 'netns', 'exec', 'lab-ab12cd', 'true'], 'lab-ab12cd'), 'the prefix alone');
  t.notOk(confinedTo(['nsenter', '--net=/run/netns/lab-ab12cd-c0-ap', 'ip', 'link'], 'lab-ab12cd'), 'anything else');
});

t.test('the runner knows which commands are in flight', async (t) => {
  const host = new FakeHost();
  host.addDelayMs = 30;
  const runner = guardedRunner(host, new AbortController().signal);
  const adding = runner.run({ argv: ['ip', 'netns', 'add', 'a'] });
  t.same(runner.inFlightCommands().map((c) => c.argv), [['ip', 'netns', 'add', 'a']]);
  await adding;
  t.same(runner.inFlightCommands(), [], 'none once it is done');
});

t.test('once interrupted, the runner builds nothing more and kills the children it started', async (t) => {
  const host = new FakeHost();
  const stop = new AbortController();
  const runner = guardedRunner(host, stop.signal);
  await runner.run({ argv: ['ip', 'netns', 'add', 'a'] });
  const receiver = runner.start({ argv: ['ip', 'netns', 'exec', 'a', 'receiver'], timeoutMs: 60_000 });
  t.equal(runner.inFlightCommands().length, 1, 'the receiver is in flight');
  stop.abort();
  t.ok(host.started[0]?.killed, 'the receiver was killed');
  await receiver.done;
  await runner.idle();
  const refused = await runner.run({ argv: ['ip', 'netns', 'add', 'b'] });
  t.equal(refused.exitCode, -1);
  t.equal(refused.stderr, INTERRUPTED);
  t.notOk(host.namespaces.has('b'), 'nothing new was created');
  const late = runner.start({ argv: ['ip', 'netns', 'exec', 'a', 'receiver'] });
  t.equal((await late.done).stderr, INTERRUPTED, 'no new child either');
  t.equal((await runner.run({ argv: ['ip', 'netns', 'del', 'a'] })).exitCode, 0, 'teardown still runs');
  t.same([...host.namespaces], []);
});

t.test('a namespace being created when the signal arrives is waited for and removed, never missed', async (t) => {
  const dir = tempDir('lab-interrupt-');
  const host = new FakeHost();
  host.addDelayMs = 60;
  const stop = new AbortController();
  const runner = guardedRunner(host, stop.signal);
  const state = StateFile.create(dir, { pid: process.pid, scenarios: ['x.yaml'] });
  const plan = planCase(seedScenario(), 0, state.prefix);
  const backend = new HostBackend(runner, state, host.exists);

  const building = backend.up(plan);
  await sleep(20);
  t.equal(host.namespaces.size, 0, 'the batch of ip netns adds is still in flight');
  t.same(state.namespaces, plan.namespaces.map((n) => n.netns), 'but every namespace is already recorded');
  stop.abort();
  // What the old handler did at this instant: delete what is recorded. The adds were still running.
  await t.rejects(building, /interrupted/, 'the case stops instead of building on');
  await finishInterrupted(state, runner, quiet.err);
  t.same([...host.namespaces], [], 'the namespaces created after the signal are gone too');
  t.same(readdirSync(dir).filter((f) => f.endsWith('.json')), [], 'and the state file with it');
  const adds = host.log.filter((a) => a[1] === 'netns' && a[2] === 'add');
  t.equal(adds.length, plan.namespaces.length, 'both adds had been issued, in one batch, and both were removed');
});

t.test('an ip netns add that fails for a reason other than "exists" stays owned, so teardown tries it', async (t) => {
  const dir = tempDir('lab-interrupt-');
  const host = new FakeHost();
  const killed: typeof host.run = async (cmd) => {
    const r = await FakeHost.prototype.run.call(host, cmd);
    // The kernel made it, then the command was killed (a terminal's SIGINT reaches children too).
    return cmd.input?.includes('netns add') ? { ...r, exitCode: -1, stderr: '' } : r;
  };
  host.run = killed;
  const state = StateFile.create(dir, { pid: process.pid, scenarios: ['x.yaml'] });
  const plan = planCase(seedScenario(), 0, state.prefix);
  await t.rejects(new HostBackend(host, state, host.exists).up(plan));
  t.same([...host.namespaces], [], 'the made namespace was removed by the failed case');
  const other = new FakeHost();
  other.namespaces.add(plan.namespaces[0]!.netns);
  const state2 = StateFile.create(dir, { pid: process.pid, scenarios: ['x.yaml'] });
  await t.rejects(new HostBackend(other, state2, other.exists).up(plan), /File exists/);
  t.ok(other.namespaces.has(plan.namespaces[0]!.netns), 'a namespace that already existed is left alone');
  t.notOk(state2.namespaces.includes(plan.namespaces[0]!.netns), 'and forgotten');
  state.close();
  state2.close();
});
