// The guest runner's protocol end to end, without a VM: src/agent/guest-runner.pl on stdin and
// stdout of a local perl, driven by GuestRunner (the host side) like the VM's serial port is.
import t from 'tap';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Duplex } from 'node:stream';
import { GuestRunner } from '../../../../src/backends/vm/guest-runner.js';
import { GUEST_RUNNER_PL } from '../../../../src/backends/vm/guest-runner-pl.js';

const local = (): { runner: GuestRunner; stop(): Promise<void> } => {
  const child = spawn('perl', ['-e', GUEST_RUNNER_PL, '-'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const runner = new GuestRunner(Duplex.from({ readable: child.stdout, writable: child.stdin }));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    runner,
    async stop() {
      runner.close();
      child.stdin.end();
      await exited;
    },
  };
};

t.test('the embedded text is the .pl file (node src/backends/vm/embed-perl.mjs regenerates it)', async (t) => {
  t.equal(GUEST_RUNNER_PL, readFileSync(new URL('../../../../src/agent/guest-runner.pl', import.meta.url), 'utf8'));
});

t.test('run: output, exit code, input, a missing program', async (t) => {
  const { runner, stop } = local();
  t.teardown(stop);
  t.ok((await runner.hello) > 0, 'hello with its pid');
  const r = await runner.run({ argv: ['sh', '-c', 'echo out; echo err >&2; cat; exit 3'], input: 'fed\n' });
  t.strictSame([r.exitCode, r.stdout, r.stderr, r.timedOut], [3, 'out\nfed\n', 'err\n', false]);
  const missing = await runner.run({ argv: ['/nonexistent-program'] });
  t.equal(missing.exitCode, 127);
  t.match(missing.stderr, /nonexistent-program: No such file/);
  // Bytes that are not one UTF-8 chunk: a multi-byte character split by the pipe still arrives whole.
  const big = await runner.run({ argv: ['sh', '-c', 'for i in $(seq 1 20000); do printf "é"; done'] });
  t.equal(big.stdout, 'é'.repeat(20000));
});

t.test('many commands at once keep their own output', async (t) => {
  const { runner, stop } = local();
  t.teardown(stop);
  const results = await Promise.all(
    Array.from({ length: 30 }, (_, i) => runner.run({ argv: ['sh', '-c', `sleep 0.0${i % 10}; echo ${i}; exit ${i}`] })),
  );
  t.strictSame(results.map((r) => [r.stdout, r.exitCode]), Array.from({ length: 30 }, (_, i) => [`${i}\n`, i]));
});

t.test('a timeout kills the command and what it started', async (t) => {
  const { runner, stop } = local();
  t.teardown(stop);
  const started = performance.now();
  const r = await runner.run({ argv: ['sh', '-c', 'sleep 30 >/dev/null & echo $!; sleep 30'], timeoutMs: 300 });
  t.equal(r.timedOut, true);
  t.equal(r.exitCode, -1);
  t.ok(performance.now() - started < 5_000, 'not held up by the background sleep');
  const background = Number(r.stdout.trim());
  await new Promise((resolve) => setTimeout(resolve, 200));
  // Gone, or a zombie nobody reaped yet (state Z): killed either way.
  const alive = (() => {
    try {
      return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${background}/stat`, 'utf8'));
    } catch {
      return false;
    }
  })();
  t.notOk(alive, `the background sleep ${background} was killed with its group`);
});

t.test('start: lines as they come, stdin, stop', async (t) => {
  const { runner, stop } = local();
  t.teardown(stop);
  const p = runner.start({ argv: ['sh', '-c', 'echo ready; while read l; do echo "got $l"; done; echo bye'], interactive: true, timeoutMs: 0 });
  t.equal(await p.waitForLine((l) => l === 'ready'), 'ready');
  p.write?.('one\n');
  t.equal(await p.waitForLine((l) => l.startsWith('got')), 'got one');
  t.ok(p.pid !== undefined && p.pid > 0, 'its pid in the guest');
  p.end?.();
  const r = await p.done;
  t.equal(r.exitCode, 0);
  t.match(r.stdout, /bye\n$/);
  const sleeper = runner.start({ argv: ['sleep', '30'], timeoutMs: 0 });
  const s = await sleeper.stop(500);
  t.equal(s.exitCode, -1, 'ended by its signal');
});

t.test('the channel ending ends every command with an answer', async (t) => {
  const { runner, stop } = local();
  const p = runner.run({ argv: ['sleep', '30'] });
  await runner.hello;
  await stop();
  const r = await p;
  t.equal(r.exitCode, -1);
  t.match(r.stderr, /channel closed/);
  const after = await runner.run({ argv: ['true'] });
  t.equal(after.exitCode, -1, 'a command after the end is answered at once');
});
