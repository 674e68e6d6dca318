// The observer reader on the real nft: one `nft -j -i` per namespace answers each reading with the
// counts a process of its own (`nft -j list table …`) reads at the same moment. Checked by hand
// first (2026-12-03, nft 1.0.6): three `list table netdev netns_lab_observe` lines written to
// `ip netns exec h-nft-1 nft -j -i` gave three lines of JSON, 8,916 characters each, identical to
// the one-shot listing, at ~0.7 ms per answer against ~5 ms per process.
import { execa } from 'execa';
import t from 'tap';
import { plainRunner } from '../../src/backends/runner.js';
import { OBSERVER_READ_ARGV, observerRuleset } from '../../src/plan/observer.js';
import { parseObserver } from '../../src/probes/observe.js';
import { observerReader } from '../../src/probes/observer-reader.js';
import { needsRoot, vethPair } from './helpers.js';

const NS = [`lab-orx-${process.pid}-a`, `lab-orx-${process.pid}-b`] as const;
const inA = (...argv: string[]) => ['ip', 'netns', 'exec', NS[0], ...argv];

t.test('interactive readings match one-shot readings and follow the counts', { skip: needsRoot }, async (t) => {
  await vethPair(t, NS);
  const rules = [{ id: 'p0:echo', match: 'meta l4proto icmp icmp type echo-request' }];
  await execa('ip', ['netns', 'exec', NS[0], 'nft', '-f', '-'], { input: observerRuleset(['eth0'], rules) });

  const runner = plainRunner();
  let onces = 0;
  const reader = observerReader({
    listArgv: OBSERVER_READ_ARGV,
    start: (_node, cmd) => runner.start({ ...cmd, argv: inA(...cmd.argv) }),
    async once() {
      onces++;
      return (await runner.run({ argv: inA(...OBSERVER_READ_ARGV) })).stdout;
    },
    answerMs: 5_000,
  });
  t.teardown(() => reader.stop());
  const oneShot = async (): Promise<string> => (await execa('ip', ['netns', 'exec', NS[0], ...OBSERVER_READ_ARGV])).stdout;
  const tx = (json: string): number | undefined => parseObserver(json, ['eth0']).get('p0:echo')?.get('eth0')?.tx;

  const before = await reader.read('a');
  t.equal(tx(before), 0, 'nothing counted yet');
  t.same(parseObserver(before, ['eth0']), parseObserver(await oneShot(), ['eth0']), 'the same counts as a process of its own');
  await execa('ip', ['netns', 'exec', NS[0], 'ping', '-c', '2', '-i', '0.2', '-W', '1', '192.0.2.2']);
  const after = await reader.read('a');
  t.equal(tx(after), 2, 'two echo requests went out of eth0');
  t.same(parseObserver(after, ['eth0']), parseObserver(await oneShot(), ['eth0']), 'again the same as a process of its own');
  t.equal(onces, 0, 'every reading came from the interactive nft');
  await reader.stop();
});
