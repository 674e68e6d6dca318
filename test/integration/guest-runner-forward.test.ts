// A unix socket forwarded through the guest runner (docs/guest-runner-protocol.md, "Forwarding
// unix sockets") is half-open like a connection inside one machine: lab ending its writing (a
// namespace agent's stdin, NamespaceAgent.stop) must leave the other side free to answer what it
// was asked before. Measured in the VM first (2026-12-04, LAB_TRACE): every `reap` asked beside
// `stop` came back unanswered, so every case's namespaces were emptied again by an `ip netns pids`
// batch. The runner is local here (perl on stdin and stdout, as in the unit tests), in a mount
// namespace of its own: it mounts a tmpfs over the socket's folder, as it does in a guest.
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { GuestRunner } from '../../src/backends/vm/guest-runner.js';
import { GUEST_RUNNER_PL } from '../../src/backends/vm/guest-runner-pl.js';
import { needsRoot } from './helpers.js';

// The guest's side: reads until the end of what it is sent, then answers and closes.
const ANSWERER = 'use Socket; socket(my $s, AF_UNIX, SOCK_STREAM, 0) or die "socket: $!"; connect($s, pack_sockaddr_un($ARGV[0])) or die "connect: $!"; my $got = ""; while (sysread($s, my $b, 4096)) { $got .= $b } defined syswrite($s, "answer to $got") or die "write: $!"; close $s; print "wrote\\n"';

/** The guest runner on stdin and stdout of a local perl with OPTIONS, in a mount namespace of its own; ended with the test. */
const localRunner = async (t: Test, options: string[]): Promise<GuestRunner> => {
  const child = spawn('unshare', ['--mount', '--propagation', 'private', 'perl', '-e', GUEST_RUNNER_PL, '--', ...options, '-'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const runner = new GuestRunner(Duplex.from({ readable: child.stdout, writable: child.stdin }));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  t.teardown(async () => {
    runner.close();
    child.stdin.end();
    await exited;
  });
  await runner.hello;
  return runner;
};

t.test('the host ends its writing; the guest still answers, and the answer arrives', { skip: needsRoot }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lab-forward-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'hub');
  // lab's side, as the agent hub: asks, ends its writing at once, and keeps reading.
  const heard = new Promise<string>((resolve) => {
    const server = createServer((s: Socket) => {
      let text = '';
      s.on('data', (b: Buffer) => (text += b.toString()));
      s.on('close', () => {
        server.close();
        resolve(text);
      });
      s.end('question');
    });
    server.listen(path);
  });
  await new Promise((r) => setTimeout(r, 50));

  const runner = await localRunner(t, []);
  const r = await runner.run({ argv: ['perl', '-e', ANSWERER, path], timeoutMs: 10_000 });
  t.equal(r.exitCode, 0, r.stderr);
  t.equal(r.stdout, 'wrote\n', 'the guest wrote its answer after reading the end of the question');
  t.equal(await heard, 'answer to question', 'and lab heard it');
});

t.test('--bind SRC DST: DST made and showing SRC before the runner says hello; a bind that fails ends it with 72 and why', { skip: needsRoot }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lab-bind-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'shown'), 'from the share\n');
  const dst = join(dir, 'deep', 'er', 'mount point');
  const runner = await localRunner(t, ['--bind', dir, dst]);
  const r = await runner.run({ argv: ['cat', join(dst, 'shown')] });
  t.equal(r.stdout, 'from the share\n', 'the bound folder shows the share');

  const bad = spawn('unshare', ['--mount', '--propagation', 'private', 'perl', '-e', GUEST_RUNNER_PL, '--', '--bind', join(dir, 'nothing here'), join(dir, 'x'), '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let said = '';
  bad.stderr.on('data', (b: Buffer) => (said += b.toString()));
  const code = await new Promise<number | null>((resolve) => bad.once('exit', (c) => resolve(c)));
  t.equal(code, 72);
  t.match(said, /^guest-runner: cannot bind .*nothing here on .*\/x: No such file or directory/);
});
