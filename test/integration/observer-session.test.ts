// A node's observer through its agent's interactive nft (agent op `open`/`feed`/`close`,
// installBySession in src/backends/host.ts): the script as one line, then `list`. Checked by hand
// first (2026-12-04, nft 1.0.6, namespace h-nftline-1): the seed laptop's script as one line
// written to `nft -j -i` installed the same table `nft -f` does, and each `list table` line was
// answered by one line of JSON; a bad line gave `Error: …` on stderr and no table.
import { execa } from 'execa';
import t from 'tap';
import { NamespaceAgent } from '../../src/backends/agent.js';
import { forkingRunner } from '../../src/backends/forker.js';
import { installBySession } from '../../src/backends/host.js';
import { OBSERVER_LIST_LINE, OBSERVER_READ_ARGV, OBSERVER_SESSION_ARGV, observerRuleset } from '../../src/plan/observer.js';
import { parseObserver } from '../../src/probes/observe.js';
import { needsRoot, vethPair } from './helpers.js';

const NS = [`lab-obs${process.pid}-a`, `lab-obs${process.pid}-b`] as const;
const rules = [{ id: 'p0:echo', match: 'meta l4proto icmp icmp type echo-request' }];
const oneShot = async (): Promise<string> => (await execa('ip', ['netns', 'exec', NS[0], ...OBSERVER_READ_ARGV])).stdout;
const tx = (json: string): number | undefined => parseObserver(json, ['lo', 'eth0']).get('p0:echo')?.get('eth0')?.tx;
/** The processes in NS[0] besides the agent, by command name. */
const others = async (agentPid: number | undefined): Promise<string[]> => {
  const pids = (await execa('ip', ['netns', 'pids', NS[0]])).stdout.split('\n').filter(Boolean).map(Number);
  const names = await Promise.all(pids.filter((p) => p !== agentPid).map(async (p) => (await execa('cat', [`/proc/${p}/comm`], { reject: false })).stdout));
  return names.filter(Boolean);
};

const setup = async (t: { teardown(fn: () => unknown): void }) => {
  await vethPair(t, NS);
  const agent = await NamespaceAgent.start(forkingRunner(), NS[0], 60_000);
  t.teardown(() => agent.stop());
  const pids = (await execa('ip', ['netns', 'pids', NS[0]])).stdout.split('\n').filter(Boolean).map(Number);
  return { agent, agentPid: pids[0] };
};

t.test('installed and read through one nft the agent forked: the same table and counts as nft -f and a one-shot listing', { skip: needsRoot }, async (t) => {
  const { agent, agentPid } = await setup(t);
  const session = await installBySession(agent.open({ argv: OBSERVER_SESSION_ARGV }), observerRuleset(['lo', 'eth0'], rules), 5_000);
  t.ok(session, 'the listing answered');
  if (!session) return;
  t.same(await others(agentPid), ['nft'], 'one nft in the namespace besides the agent');
  const first = await oneShot();
  t.same(parseObserver(first, ['lo', 'eth0']).get('p0:echo'), new Map([['lo', { tx: 0, rx: 0 }], ['eth0', { tx: 0, rx: 0 }]]), 'the table is there, counting on lo and eth0');
  const chains = (JSON.parse(first) as { nftables: { chain?: { name: string; hook?: string } }[] }).nftables.flatMap((x) => (x.chain ? [`${x.chain.name}:${x.chain.hook}`] : []));
  t.same(chains, ['rx0:ingress', 'tx0:egress', 'rx1:ingress', 'tx1:egress'], 'the chains nft -f makes of the script');

  await execa('ip', ['netns', 'exec', NS[0], 'ping', '-c', '2', '-i', '0.2', '-W', '1', '192.0.2.2']);
  const answer = session.waitForLine((l) => l.startsWith('{"nftables"'));
  session.write?.(OBSERVER_LIST_LINE);
  const read = await answer;
  t.equal(tx(read ?? '{}'), 2, 'two echo requests counted on eth0, read through the session');
  t.same(parseObserver(read ?? '{}', ['lo', 'eth0']), parseObserver(await oneShot(), ['lo', 'eth0']), 'the same as a process of its own');

  const ended = await session.stop(2_000);
  t.notOk(ended.timedOut, 'closing it ends it');
  t.same(await others(agentPid), [], 'no nft left behind');
});

t.test('a script nft refuses: no session, its complaint seen, no table', { skip: needsRoot }, async (t) => {
  const { agent, agentPid } = await setup(t);
  const bad = observerRuleset(['eth0'], [{ id: 'x', match: 'meta l4proto nosuchproto' }]);
  const session = agent.open({ argv: OBSERVER_SESSION_ARGV });
  const complaint = session.waitForLine(() => true, 'stderr');
  t.equal(await installBySession(session, bad, 5_000), undefined);
  t.match(await complaint, /^Error: /, 'nft said why on stderr');
  t.equal((await execa('ip', ['netns', 'exec', NS[0], ...OBSERVER_READ_ARGV], { reject: false })).exitCode, 1, 'no table');
  await session.done;
  t.same(await others(agentPid), [], 'the refused session ended');
});

t.test('a command that cannot be started: ended with 127 and the reason on stderr', { skip: needsRoot }, async (t) => {
  const { agent } = await setup(t);
  const session = agent.open({ argv: ['no-such-command-of-lab'] });
  const complaint = session.waitForLine(() => true, 'stderr');
  t.equal((await session.done).exitCode, 127);
  t.match(await complaint, /no-such-command-of-lab/);
  t.equal(await session.waitForLine(() => true), undefined, 'nothing more to read once it ended');
});
