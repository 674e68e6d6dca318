import { readFileSync } from 'node:fs';
import t from 'tap';
import { DIRECT_MAX, driverLine, drivable, laneErrors, runInNamespaces, type NsCommand } from '../../../src/backends/driver.js';
import { failedBatchLine } from '../../../src/plan/batch.js';
import type { Command, CommandResult, Runner } from '../../../src/backends/runner.js';

const ok = (cmd: Command, over: Partial<CommandResult> = {}): CommandResult => ({
  argv: cmd.argv, exitCode: 0, stdout: '', stderr: '', durationMs: 1, timedOut: false, ...over,
});

/** Records each command with what its driver lines' files held while it ran. */
const recorder = (fail?: (cmd: Command) => Partial<CommandResult> | undefined) => {
  const seen: { argv: readonly string[]; input?: string; files: string[] }[] = [];
  const runner: Runner = {
    async run(cmd) {
      const files = (cmd.input ?? '').split('\n').flatMap((l) => l.split(' ').filter((tok) => tok.includes('lab-driver-')).map((f) => readFileSync(f, 'utf8')));
      seen.push({ argv: cmd.argv, ...(cmd.input !== undefined ? { input: cmd.input } : {}), files });
      return ok(cmd, fail?.(cmd) ?? {});
    },
    start: () => {
      throw new Error('not used');
    },
  };
  return { runner, seen };
};

const cmds = (n: number): NsCommand[] =>
  Array.from({ length: n }, (_, i) => ({ netns: `lab-x-c0-n${i}`, argv: ['ip', '-batch', '-'], input: `link set dev lo up\naddr add 192.0.2.${i + 1}/24 dev eth0\n` }));

t.test('a handful of commands run as processes of their own', async (t) => {
  const { runner, seen } = recorder();
  t.equal(await runInNamespaces(runner, cmds(DIRECT_MAX), 'parallel'), undefined);
  t.same(seen.map((s) => s.argv), cmds(DIRECT_MAX).map((c) => ['ip', '-n', c.netns, '-batch', '-']));
});

const XARGS = ['xargs', '--verbose', '-L', '1', '-P', '1', '--', 'nsenter'];

t.test('more go through two lanes of nsenter side by side, inputs in files that are gone afterwards', async (t) => {
  const { runner, seen } = recorder();
  const commands = [...cmds(5), { netns: 'lab-x-c0-n9', argv: ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1'] }];
  t.equal(await runInNamespaces(runner, commands, 'parallel'), undefined);
  t.equal(seen.length, 2, 'two lanes');
  t.same(seen.map((s) => s.argv), [XARGS, XARGS]);
  const lines = seen.flatMap((s) => (s.input ?? '').trim().split('\n'));
  t.equal(lines.length, 6);
  t.ok(lines.every((l) => /^--net=\S+\/lab-x-c0-n\d /.test(l)));
  t.ok(lines.some((l) => l.endsWith('/lab-x-c0-n9 sysctl -q -w net.ipv4.ip_forward=1')));
  t.same(seen.flatMap((s) => s.files).sort(), cmds(5).map((c) => c.input).sort(), 'each input was in its file');
  const file = /(\S*lab-driver-\S*)/.exec(lines[0] ?? '')?.[1] ?? '';
  t.throws(() => readFileSync(file), 'and the files are removed');
});

t.test('a sequence is one lane, in order', async (t) => {
  const { runner, seen } = recorder();
  await runInNamespaces(runner, cmds(5), 'sequence');
  t.equal(seen.length, 1);
  t.same((seen[0]?.input ?? '').trim().split('\n').map((l) => l.split(' ')[0]?.split('/').pop()), cmds(5).map((c) => c.netns));
});

t.test('a failure names the command and its own line, as if it had run alone', async (t) => {
  const { runner } = recorder((cmd) => {
    const lines = (cmd.input ?? '').trim().split('\n');
    const bad = lines.findIndex((l) => l.includes('/lab-x-c0-n3 '));
    if (bad < 0) return undefined;
    const file = lines[bad]?.split(' ').pop() ?? '';
    const echo = lines.map((l) => `nsenter '${l.split(' ')[0]}' ${l.split(' ').slice(1).join(' ')}`);
    const stderr = [...echo.slice(0, bad + 1), 'Error: any valid prefix is expected.', `Command failed ${file}:2`, ...echo.slice(bad + 1)].join('\n');
    return { exitCode: 123, stderr: `${stderr}\n` };
  });
  const failure = await runInNamespaces(runner, cmds(6), 'parallel');
  t.equal(failure?.index, 3);
  t.same(failure?.result.argv, ['ip', '-n', 'lab-x-c0-n3', '-batch', '-']);
  t.equal(failure?.result.stderr, 'Error: any valid prefix is expected.\nCommand failed -:2', 'the inner line reads like a batch of its own');
});

t.test('xargs --verbose output splits into each command\'s stderr', async (t) => {
  const err = "nsenter '--net=/run/netns/a' ip -batch /tmp/x/0\nnsenter '--net=/run/netns/b' sysctl -q -w 'k=1'\nsysctl: cannot stat /proc/sys/k\n";
  t.same(laneErrors(err, 2), ['', 'sysctl: cannot stat /proc/sys/k\n']);
  t.same(laneErrors('', 1), ['']);
});

t.test('only plain tokens and a final `-` for input can be driven', async (t) => {
  t.ok(drivable({ netns: 'a', argv: ['nft', '-f', '-'], input: 'x' }));
  t.notOk(drivable({ netns: 'a', argv: ['nft', '-f', '/dev/stdin'], input: 'x' }));
  t.notOk(drivable({ netns: 'a', argv: ['sh', '-c', 'echo a b'] }));
  t.equal(driverLine({ netns: 'a', argv: ['nft', '-f', '-'] }, '/tmp/f', '/run/netns'), '--net=/run/netns/a nft -f /tmp/f');
  t.equal(failedBatchLine('x\nCommand failed -:4\n'), 3, 'the root batch\'s failed line, read as any batch\'s');
  t.equal(failedBatchLine('x'), undefined);
});
