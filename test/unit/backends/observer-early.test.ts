// Each observed node's nft session is opened as soon as its agent is up, while the plan is still
// applied (nft's own start overlaps the build); the install then feeds that same session. A
// session opened early and never used is closed, also when the build fails or is interrupted.
import { rmSync } from 'node:fs';
import t, { type Test } from 'tap';
import { HostBackend } from '../../../src/backends/host.js';
import type { Command, CommandResult } from '../../../src/backends/runner.js';
import { StateFile } from '../../../src/backends/state.js';
import { planCase } from '../../../src/plan/plan.js';
import type { CasePlan } from '../../../src/types/plan.js';
import { seedScenario } from '../fixtures.js';
import { FakeAgents } from './fake-agent.js';
import { FakeHost } from './fake-host.js';
import { tempDir } from '../../tmp.js';

/** A host whose agents are fake and whose nodes' batches take `batchMs`; `applied` is when the last one ended. */
class AgentHost extends FakeHost {
  readonly agents = new FakeAgents();
  batchMs = 100;
  applied = 0;
  /** A node batch that fails (the build's error), by netns. */
  failIn: string | undefined;

  override async run(cmd: Command): Promise<CommandResult> {
    if (FakeAgents.isAgent(cmd)) return this.agents.run(cmd);
    if (cmd.argv[0] === 'ip' && cmd.argv[1] === '-n' && cmd.argv.includes('-batch')) {
      await new Promise((r) => setTimeout(r, this.batchMs));
      const r = await super.run(cmd);
      this.applied = performance.now();
      return cmd.argv[2] === this.failIn ? { ...r, exitCode: 2, stderr: 'RTNETLINK answers: Operation not permitted\nCommand failed -:1\n' } : r;
    }
    return super.run(cmd);
  }
}

const setup = (t: Test, signal?: AbortSignal) => {
  const host = new AgentHost();
  t.teardown(() => host.agents.close());
  const dir = tempDir('lab-observer-early-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const state = StateFile.create(dir, { pid: process.pid, scenarios: ['x.yaml'] });
  t.teardown(() => state.close());
  const backend = new HostBackend(host, state, host.exists, signal ? { signal } : {});
  const plan: CasePlan = planCase(seedScenario(), 0, state.prefix);
  return { host, backend, plan };
};

const opens = (host: AgentHost) => host.agents.events.filter((e) => e.event === 'open');

t.test('the sessions open while the plan is applied, and the install feeds those same sessions', async (t) => {
  const { host, backend, plan } = setup(t);
  const live = await backend.up(plan);
  t.equal(opens(host).length, 2, 'one session per observed node: no second open at the install');
  t.ok(opens(host).every((e) => e.at < host.applied), 'both opened before the topology was applied');
  const feeds = host.agents.events.filter((e) => e.event === 'feed');
  t.same(feeds.map((e) => e.netns).sort(), plan.namespaces.map((n) => n.netns).sort(), 'the script went to each node\'s session');
  t.ok(feeds.every((e) => e.at >= host.applied), 'once the devices exist');
  t.same([...live.observerSessions.keys()].sort(), ['ap', 'laptop'], 'kept for the readings');
  t.notOk(host.log.some((l) => l.includes('nft')), 'no nft -f - fallback');
  await backend.down(plan, live);
  t.same([...host.agents.open], [], 'nothing left open');
});

t.test('the agents start once the namespaces exist, while the baseline is read; the baseline still precedes every device', async (t) => {
  const { host, backend, plan } = setup(t);
  host.rootDiffers = ['net/ipv4/conf/all/rp_filter'];
  host.readDelayMs = 200;
  let readEnded = 0;
  const run = host.run.bind(host);
  host.run = async (cmd) => {
    const r = await run(cmd);
    if (cmd.argv[4] === 'grep') readEnded = performance.now();
    return r;
  };
  const live = await backend.up(plan);
  t.ok(readEnded > 0, 'the baseline was read');
  t.ok(opens(host).length === 2 && opens(host).every((e) => e.at < readEnded), 'agents up (and their sessions open) before the read ended');
  const lines = host.log.map((l) => l.join(' '));
  const write = lines.findIndex((l) => l.startsWith('sysctl-baseline '));
  const device = lines.findIndex((l) => /^ip (-n \S+ )?link (add|set)/.test(l));
  t.ok(write >= 0 && write < device, `the baseline written before the first device (${lines[device]})`);
  await backend.down(plan, live);
});

t.test('a case without observers opens no session', async (t) => {
  const { host, backend, plan } = setup(t);
  const p = { ...plan, observers: plan.observers.filter((op) => op.node === 'ap') };
  await backend.down(p, await backend.up(p));
  t.same(opens(host).map((e) => e.netns), [p.namespaces.find((n) => n.node === 'ap')?.netns], 'only the observed node');
});

t.test('a session that complains: nft -f - installs the observer instead, and the session is closed', async (t) => {
  const { host, backend, plan } = setup(t);
  const ap = plan.namespaces.find((n) => n.node === 'ap')?.netns as string;
  host.agents.complaint.set(ap, 'Error: Could not process rule: No such file or directory');
  const live = await backend.up(plan);
  t.same([...live.observerSessions.keys()], ['laptop']);
  t.ok(host.agents.events.some((e) => e.netns === ap && e.event === 'close'), 'the complaining session is closed');
  await backend.down(plan, live);
});

t.test('a build that fails closes the sessions it opened early', async (t) => {
  const { host, backend, plan } = setup(t);
  host.failIn = plan.namespaces.find((n) => n.node === 'ap')?.netns;
  await t.rejects(backend.up(plan), /Operation not permitted/);
  t.equal(opens(host).length, 2, 'both were open before the failure');
  t.equal(host.agents.events.filter((e) => e.event === 'close').length, 2, 'and both were closed by the failed case');
  t.same([...host.agents.open], [], 'none left');
  t.same([...host.namespaces], [], 'torn down');
});

t.test('an interrupt during the build: no session left open, none opened after it', async (t) => {
  const stop = new AbortController();
  const { host, backend, plan } = setup(t, stop.signal);
  host.batchMs = 300;
  const building = backend.up(plan);
  await new Promise((r) => setTimeout(r, 150));
  t.equal(opens(host).length, 2, 'opened while the batches run');
  const interrupted = performance.now();
  stop.abort();
  await t.rejects(building, /interrupted/);
  await new Promise((r) => setTimeout(r, 400));
  t.same([...host.agents.open], [], 'the sessions went with their agents');
  t.same(opens(host).filter((e) => e.at > interrupted), [], 'nothing opened once interrupted');
  t.same([...host.namespaces], [], 'torn down');
});
