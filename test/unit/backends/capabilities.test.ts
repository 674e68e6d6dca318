import t from 'tap';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostRequirements, requireAll, runTools } from '../../../src/backends/capabilities.js';
import { CapabilityError } from '../../../src/errors.js';
import type { Case, Probe } from '../../../src/types/scenario.js';
import { seedCase, seedScenario } from '../fixtures.js';
import { tempDir } from '../../tmp.js';
import type { Command, Runner } from '../../../src/backends/runner.js';

const fake = (missing: string[] = []) => {
  const asked: string[] = [];
  const runner: Runner = {
    async run(cmd: Command) {
      const file = cmd.argv[0] as string;
      asked.push(file);
      const gone = missing.includes(file);
      return { argv: cmd.argv, exitCode: gone ? 127 : 0, stdout: gone ? '' : `${file} version 1\n`, stderr: gone ? `${file}: not found` : '', durationMs: 1, timedOut: false };
    },
    start: () => {
      throw new Error('not here');
    },
  };
  return { runner, asked };
};

t.test('the host needs root and six tools; each is asked for once', async (t) => {
  const { runner, asked } = fake();
  const caps = await hostRequirements(runner);
  t.same(caps.map((c) => c.name), ['root', 'iproute2', 'nftables', 'socat', 'perl', 'nsenter', 'xargs']);
  t.same(asked.sort(), ['ip', 'nft', 'nsenter', 'perl', 'socat', 'xargs']);
  t.ok(caps.slice(1).every((c) => c.ok));
});

t.test('a missing tool is named with the package that brings it', async (t) => {
  const { runner } = fake(['nft']);
  const caps = (await hostRequirements(runner)).filter((c) => c.name !== 'root');
  t.throws(() => requireAll(caps), /nftables/);
  t.match(caps.find((c) => c.name === 'nftables'), { ok: false, remedy: 'install it: apt-get install nftables (in a clone of lab: make deps)' });
});

t.test('a guest whose tools the host checked asks only for root: no process started', async (t) => {
  const { runner, asked } = fake();
  const caps = await hostRequirements(runner, { tools: false });
  t.same(caps.map((c) => c.name), ['root']);
  t.same(asked, []);
});

/** A PATH with only these tools on it (empty executables). */
const pathWith = (...tools: string[]): string => {
  const dir = tempDir('lab-path-');
  mkdirSync(dir, { recursive: true });
  for (const tool of tools) {
    writeFileSync(join(dir, tool), '#!/bin/sh\n');
    chmodSync(join(dir, tool), 0o755);
  }
  return dir;
};

t.test('ping only for ICMP probes, tcpdump only for --out; a missing one names its package and make target', async (t) => {
  const udp = seedScenario();
  const icmpCase: Case = { ...seedCase(), probes: seedCase().probes.map((p): Probe => ({ ...p, kind: 'icmp' })) };
  const icmp = seedScenario([seedCase(), icmpCase]);
  t.same(runTools([udp], [[0, 0]], { pcaps: false }, pathWith()), [], 'the default scenario needs neither');
  t.same(runTools([icmp], [[0, 0]], { pcaps: false }, pathWith()), [], 'an ICMP case that is not selected needs nothing');
  const none = runTools([icmp], [[0, 1]], { pcaps: true }, pathWith());
  t.same(none.map((c) => [c.name, c.ok]), [['ping', false], ['tcpdump', false]]);
  t.throws(() => requireAll(none), new CapabilityError('ping', '`ping` is not installed; ICMP probes need it', 'install it: apt-get install iputils-ping (in a clone of lab: make deps)'));
  t.match(none[1], { remedy: 'install it: apt-get install tcpdump (in a clone of lab: make deps-pcap)' });
  t.same(runTools([icmp], [[0, 1]], { pcaps: true }, pathWith('ping', 'tcpdump')).map((c) => c.ok), [true, true], 'found on PATH');
});
