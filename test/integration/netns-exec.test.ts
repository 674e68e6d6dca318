// lab's perl process does what `ip netns exec NS CMD…` does itself (setns, a mount namespace of
// its own, a /sys of the namespace) before it execs CMD, and an agent it is asked to start that
// way is a fork of itself, not a new perl: the command must not be able to tell the difference.
import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import t from 'tap';
import { NamespaceAgent } from '../../src/backends/agent.js';
import { plainRunner } from '../../src/backends/runner.js';
import { forkingRunner } from '../../src/backends/forker.js';
import { needsRoot } from './helpers.js';

const NS = `lab-nsx${process.pid}-a`;

/** What a command sees of its namespaces: network namespace, /sys/class/net, the /sys mount. */
const view = (labMnt: string): string[] => [
  'sh',
  '-c',
  `readlink /proc/self/ns/net; ls /sys/class/net; awk '$5 == "/sys"' /proc/self/mountinfo | sed 's/.* - //'; [ "$(readlink /proc/self/ns/mnt)" != "${labMnt}" ] && echo own mount namespace`,
];

t.test('ip netns exec through lab\'s perl process is ip netns exec', { skip: needsRoot }, async (t) => {
  await execa('ip', ['netns', 'add', NS]);
  t.teardown(() => execa('ip', ['netns', 'del', NS], { reject: false }));
  await execa('ip', ['-n', NS, 'link', 'add', 'x0', 'type', 'veth', 'peer', 'name', 'x1']);

  const forked = forkingRunner();
  const plain = plainRunner();
  const both = async (argv: string[]) => Promise.all([forked.run({ argv }), plain.run({ argv })]);

  const labMnt = (await execa('readlink', ['/proc/self/ns/mnt'])).stdout;
  const [a, b] = await both(['ip', 'netns', 'exec', NS, ...view(labMnt)]);
  t.equal(a.exitCode, 0, a.stderr);
  t.match(a.stdout, new RegExp(`^net:\\[\\d+\\]\nlo\nx0\nx1\nsysfs ${NS} rw\nown mount namespace\n$`), 'the namespace, its devices in /sys, a sysfs of its own');
  t.equal(a.stdout, b.stdout, 'what ip netns exec shows the command');
  const rootNet = (await execa('readlink', ['/proc/self/ns/net'])).stdout;
  t.not(a.stdout.split('\n')[0], rootNet, 'not lab\'s own namespace');
  const sysNow = (await execa('sh', ['-c', 'awk \'$5 == "/sys"\' /proc/self/mountinfo | sed \'s/.* - //\''])).stdout;
  t.match(sysNow, /^sysfs sysfs /, 'lab\'s own /sys is untouched');

  for (const argv of [
    ['ip', 'netns', 'exec', NS, 'lab-no-such-command'],
    ['ip', 'netns', 'exec', `lab-nsx${process.pid}-missing`, 'true'],
    ['ip', 'netns', 'exec', '../x', 'true'],
    ['ip', 'netns', 'exec', NS, 'sh', '-c', 'echo out; echo err >&2; exit 3'],
  ]) {
    const [x, y] = await both(argv);
    t.same([x.exitCode, x.stdout, x.stderr], [y.exitCode, y.stdout, y.stderr], `same answer: ${argv.slice(3).join(' ')}`);
  }
});

t.test('an agent asked for that way is a fork of lab\'s perl process, not a new perl', { skip: needsRoot }, async (t) => {
  await execa('ip', ['netns', 'add', NS]);
  t.teardown(() => execa('ip', ['netns', 'del', NS], { reject: false }));
  const agent = await NamespaceAgent.start(forkingRunner(), NS, 30_000);
  try {
    const pids = (await execa('ip', ['netns', 'pids', NS])).stdout.split('\n').filter(Boolean);
    t.equal(pids.length, 1, 'the agent is the one process inside');
    const cmdline = readFileSync(`/proc/${pids[0]}/cmdline`, 'utf8').split('\0').filter(Boolean);
    t.same(cmdline.slice(0, 2), ['perl', '-e'], 'perl');
    t.equal(cmdline.length, 3, 'with the command line of lab\'s own perl process: it was not exec\'d');
    const r = await agent.run({ argv: ['cat', '/sys/class/net/lo/type'] });
    t.equal(r.stdout.trim(), '772', 'its commands see the namespace\'s /sys');
    const here = (await execa('readlink', [`/proc/${pids[0]}/ns/net`])).stdout;
    const there = (await execa('ip', ['netns', 'exec', NS, 'readlink', '/proc/self/ns/net'])).stdout;
    t.equal(here, there, 'it is in the namespace');
  } finally {
    await agent.stop();
  }
});
