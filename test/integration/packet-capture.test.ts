// The radio media's capture (src/agent/capture.pl), forked by a real agent, against tcpdump on the
// same device: the same pcap. Checked by hand first (2026-12-04, a veth pair in two namespaces,
// the program and `tcpdump -i va -w F -U --immediate-mode -s 0` side by side, ping and a UDP
// datagram): `tcpdump -r -xx` of both files printed the same frames, bytes and timestamps; the
// first frame's time was off until the program asked the kernel for receive timestamps before the
// first frame (its SIOCGSTAMPNS after bind). Monitor interfaces (link type 127) need
// mac80211_hwsim: the VM tests capture there (vm-wireless-ready, vm.test).
import { execa } from 'execa';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { NamespaceAgent } from '../../src/backends/agent.js';
import { forkingRunner } from '../../src/backends/forker.js';
import { PACKET_CAPTURE } from '../../src/agent/programs.js';
import { startCaptures, tcpdumpArgv } from '../../src/probes/tcpdump.js';
import { needsRoot, vethPair } from './helpers.js';

const NS = [`lab-cap${process.pid}-a`, `lab-cap${process.pid}-b`] as const;

/** The processes in NS[0] besides the agent, by command name. */
const others = async (agentPid: number | undefined): Promise<string[]> => {
  const pids = (await execa('ip', ['netns', 'pids', NS[0]])).stdout.split('\n').filter(Boolean).map(Number);
  const names = await Promise.all(pids.filter((p) => p !== agentPid).map(async (p) => (await execa('cat', [`/proc/${p}/comm`], { reject: false })).stdout));
  return names.filter(Boolean);
};

/** A pcap's records as tcpdump prints them with every byte, from the first ARP request on (before it, the veth's own IPv6 start-up frames, which one capture may have begun earlier than the other). */
const frames = async (file: string): Promise<string> => {
  const out = (await execa('tcpdump', ['-r', file, '-nn', '-tt', '-xx'], { reject: false })).stdout;
  return out.slice(Math.max(0, out.indexOf(' ARP, Request') - 20));
};

const setup = async (t: { teardown(fn: () => unknown): void }) => {
  await vethPair(t, NS);
  const dir = mkdtempSync(join(tmpdir(), 'lab-capture-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const agent = await NamespaceAgent.start(forkingRunner(), NS[0], 60_000);
  t.teardown(() => agent.stop());
  const agentPid = Number((await execa('ip', ['netns', 'pids', NS[0]])).stdout.split('\n')[0]);
  return { dir, agent, agentPid };
};

t.test('the agent-forked capture writes what tcpdump writes of the same frames', { skip: needsRoot }, async (t) => {
  const { dir, agent, agentPid } = await setup(t);
  const targets = [
    { node: 'a', dev: 'eth0', file: join(dir, 'lab.pcap'), promiscuous: true },
    { node: 'a', dev: 'eth0', file: join(dir, 'tcpdump.pcap'), promiscuous: true },
  ];
  const runner = forkingRunner();
  const { dumps, late } = await startCaptures({ timeScale: 1 }, targets, 10_000, (target) =>
    target.file.endsWith('lab.pcap')
      ? agent.open({ argv: ['perl', '-e', PACKET_CAPTURE, target.dev, target.file, '60'] })
      : runner.start({ argv: ['ip', 'netns', 'exec', NS[0], ...tcpdumpArgv(target.dev, target.file, target)], timeoutMs: 60_000 }),
  );
  t.same(late, [], 'both say they listen, with the pcap header written');
  t.same((await others(agentPid)).sort(), ['perl', 'tcpdump'], 'the capture runs in the namespace as a fork of the agent (perl), beside tcpdump');
  // A fork, not a new perl: its command line is still the agent's (an exec'd one would show the
  // capture's text; measured in a TCG guest, such a perl cost 0.3-0.44 s of CPU each).
  const pids = (await execa('ip', ['netns', 'pids', NS[0]])).stdout.split('\n').filter(Boolean).map(Number).filter((p) => p !== agentPid);
  const cmdlines = await Promise.all(pids.map(async (p) => (await execa('cat', [`/proc/${p}/cmdline`], { reject: false })).stdout));
  const capture = cmdlines.find((c) => c.startsWith('perl'));
  t.match(capture, /namespace agent of netns-lab/, 'the capture is a fork of the agent');
  t.notMatch(capture, /A packet capture of one device/, 'not a perl of its own');

  await execa('ip', ['netns', 'exec', NS[0], 'ping', '-c', '2', '-i', '0.2', '-W', '1', '192.0.2.2']);
  await execa('ip', ['netns', 'exec', NS[0], 'socat', '-u', 'STDIN', 'UDP-SENDTO:192.0.2.2:47000'], { input: 'lab-capture-marker' });
  await new Promise((r) => setTimeout(r, 200));
  const [ours, theirs] = await Promise.all(dumps.map((d) => d.proc.stop()));
  t.notOk(ours?.timedOut, 'stopping the capture ends it');
  t.equal(ours?.exitCode, 0, 'exit 0 at SIGTERM, as tcpdump');
  t.notOk(theirs?.timedOut);

  const mine = readFileSync(targets[0]!.file);
  t.equal(mine.readUInt32LE(0), 0xa1b23c4d, 'nanosecond pcap');
  t.equal(mine.readUInt32LE(20), 1, 'Ethernet link type (1), as tcpdump chose for a veth');
  const [a, b] = await Promise.all([frames(targets[0]!.file), frames(targets[1]!.file)]);
  t.match(a, /ICMP echo request[\s\S]*ICMP echo reply[\s\S]*UDP, length 18/, 'the echo exchange and the datagram are there');
  t.equal(a, b, 'the same frames, bytes and timestamps as tcpdump');
  t.same(await others(agentPid), [], 'nothing left running in the namespace');
});

t.test('a device that is not there: no listening line, exit 255 and why; nothing written', { skip: needsRoot }, async (t) => {
  const { dir, agent } = await setup(t);
  const file = join(dir, 'none.pcap');
  const proc = agent.open({ argv: ['perl', '-e', PACKET_CAPTURE, 'nosuchdev0', file, '60'] });
  const said = proc.waitForLine(() => true, 'stderr');
  t.equal((await proc.done).exitCode, 255);
  t.match(await said, /^nosuchdev0: no such device here: No such device/);
  t.throws(() => readFileSync(file), 'no file');
});

t.test('the capture ends with its agent (its stdin ends), leaving nothing behind', { skip: needsRoot }, async (t) => {
  const { dir, agent, agentPid } = await setup(t);
  const proc = agent.open({ argv: ['perl', '-e', PACKET_CAPTURE, 'eth0', join(dir, 'x.pcap'), '60'] });
  t.ok(await proc.waitForLine((l) => l.startsWith('listening on eth0'), 'stderr'), 'listening');
  t.same(await others(agentPid), ['perl']);
  agent.kill();
  // The agent is gone: the capture sees its stdin end and exits on its own.
  const deadline = Date.now() + 5_000;
  let left = await others(agentPid);
  while (left.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    left = await others(agentPid);
  }
  t.same(left, [], 'no capture left in the namespace');
});
