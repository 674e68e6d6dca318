// The guest runner kept (a kept VM lab): the host hanging up ends only its session, and the next
// host attaches. A virtio-serial port with no host reads as end-of-file and reads again once a
// host connects; a FIFO does the same (no writer: EOF; a new writer: data), so the runner reads
// its requests from a FIFO here, each "host" a writer that opens and closes it, and answers on
// its stdout.
import t, { type Test } from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, constants, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Duplex } from 'node:stream';
import { GuestRunner } from '../../../../src/backends/vm/guest-runner.js';
import { GUEST_RUNNER_PL } from '../../../../src/backends/vm/guest-runner-pl.js';
import { tempDir } from '../../../tmp.js';

const hex = (s: string): string => Buffer.from(s).toString('hex');

/** The runner on a FIFO: `host()` opens a writer (a host connecting), `lines()` what it said so far. */
const onFifo = (t: Test, flags: string[] = []) => {
  const fifo = join(tempDir('guest-runner-kept-'), 'port');
  t.equal(spawnSync('mkfifo', [fifo]).status, 0);
  // Opened for reading without waiting for a writer: the runner sees end-of-file until one comes.
  const readEnd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const child = spawn('perl', ['-e', GUEST_RUNNER_PL, '--', ...flags, '-'], { stdio: [readEnd, 'pipe', 'inherit'] });
  closeSync(readEnd);
  let out = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let alive = true;
  void exited.then(() => (alive = false));
  t.teardown(() => {
    if (alive) child.kill('SIGKILL');
  });
  const host = () => {
    const fd = openSync(fifo, constants.O_WRONLY);
    return {
      send: (...fields: (string | number)[]) => writeSync(fd, `${fields.join('\t')}\n`),
      hangUp: () => closeSync(fd),
    };
  };
  const lines = () => out.split('\n').filter(Boolean);
  const until = async (test: () => boolean, ms = 5_000): Promise<boolean> => {
    const deadline = Date.now() + ms;
    while (!test()) {
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 20));
    }
    return true;
  };
  return { host, lines, until, exited, isAlive: () => alive };
};

const pidsOf = (lines: string[], id: number): number[] => lines.filter((l) => l.startsWith(`pid\t${id}\t`)).map((l) => Number(l.split('\t')[2]));
const running = (pid: number): boolean => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

t.test('kept: a host hanging up ends its session; the next host attaches and is answered', async (t) => {
  const r = onFifo(t);
  const first = r.host();
  t.ok(await r.until(() => r.lines().some((l) => l.startsWith('hello\t'))), 'hello at start');
  first.send('keep', 1);
  first.send('start', 1, 0, hex('sleep'), hex('30'));
  t.ok(await r.until(() => pidsOf(r.lines(), 1).length === 1), 'the first host\'s command runs');
  const [sleeper = 0] = pidsOf(r.lines(), 1);
  const before = r.lines().length;
  first.hangUp();
  t.ok(await r.until(() => !running(sleeper)), 'its command is killed when it hangs up');
  await new Promise((resolve) => setTimeout(resolve, 500));
  t.ok(r.isAlive(), 'the runner waits for the next host');
  t.strictSame(r.lines().slice(before), [], 'and says nothing of the ended session (no exit for the killed command)');

  const second = r.host();
  second.send('attach');
  t.ok(await r.until(() => r.lines().slice(before).some((l) => l.startsWith('hello\t'))), 'attach: hello again');
  // The next host numbers its requests from 1 again.
  second.send('start', 1, 0, hex('echo'), hex('again'));
  t.ok(await r.until(() => r.lines().some((l) => l.startsWith('exit\t1\t0\t'))), 'its command 1 runs to its end');
  t.ok(r.lines().includes(`out\t1\t${hex('again\n')}`), 'with its own output');
  second.send('keep', 0);
  second.hangUp();
  t.equal(await r.exited, 0, 'not kept any more: the hang-up ends the runner');
});

t.test('not kept (a run): the host hanging up ends the runner (negative control of the above)', async (t) => {
  const r = onFifo(t);
  const host = r.host();
  t.ok(await r.until(() => r.lines().some((l) => l.startsWith('hello\t'))));
  host.send('start', 1, 0, hex('sleep'), hex('30'));
  t.ok(await r.until(() => pidsOf(r.lines(), 1).length === 1));
  const [sleeper = 0] = pidsOf(r.lines(), 1);
  host.hangUp();
  t.equal(await r.exited, 0, 'the runner exits');
  t.ok(await r.until(() => !running(sleeper)), 'and its command is killed');
});

t.test('--keep: kept from the start (a kept VM lab\'s further ports), no keep request needed', async (t) => {
  const r = onFifo(t, ['--keep']);
  const first = r.host();
  t.ok(await r.until(() => r.lines().some((l) => l.startsWith('hello\t'))));
  first.hangUp();
  await new Promise((resolve) => setTimeout(resolve, 500));
  t.ok(r.isAlive(), 'the hang-up did not end it');
  const second = r.host();
  second.send('attach');
  t.ok(await r.until(() => r.lines().filter((l) => l.startsWith('hello\t')).length === 2), 'the next host is answered');
  second.send('keep', 0);
  second.hangUp();
  t.equal(await r.exited, 0);
});

t.test('attach on a live session: what it started is killed and forgotten', async (t) => {
  const r = onFifo(t);
  const host = r.host();
  t.ok(await r.until(() => r.lines().some((l) => l.startsWith('hello\t'))));
  host.send('start', 7, 0, hex('sleep'), hex('30'));
  t.ok(await r.until(() => pidsOf(r.lines(), 7).length === 1));
  const [sleeper = 0] = pidsOf(r.lines(), 7);
  host.send('attach');
  t.ok(await r.until(() => r.lines().filter((l) => l.startsWith('hello\t')).length === 2), 'hello again');
  t.ok(await r.until(() => !running(sleeper)), 'the earlier command is killed');
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.notOk(r.lines().some((l) => l.startsWith('exit\t7\t')), 'and no exit of it reaches the new session');
  host.hangUp();
  t.equal(await r.exited, 0);
});

/** A GuestRunner on a fake channel: what the guest would say is pushed by the test. */
const fakeGuest = () => {
  const fromGuest = new PassThrough();
  const sent: string[] = [];
  const channel = Duplex.from({
    readable: fromGuest,
    writable: new (class extends PassThrough {
      override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void) {
        sent.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      }
    })(),
  });
  return { runner: new GuestRunner(channel), say: (line: string) => fromGuest.write(`${line}\n`), sent };
};

t.test('GuestRunner: what comes before the hello is another session\'s, ignored', async (t) => {
  const g = fakeGuest();
  const r = g.runner.run({ argv: ['true'] });
  // A stale exit of an earlier host's request 1, then the hello, then the real answer.
  g.say('exit\t1\t9\t0\t');
  g.say('hello\t42');
  t.equal(await g.runner.hello, 42);
  g.say('exit\t1\t0\t0\t');
  const res = await r;
  t.equal(res.exitCode, 0, 'the stale exit 9 was not taken for the answer');
  g.runner.close();
});

t.test('GuestRunner.attachCommand: bytes as they come, stdin, the signal that ended it, a lost channel', async (t) => {
  const g = fakeGuest();
  g.say('hello\t1');
  await g.runner.hello;
  const got: string[] = [];
  const cmd = g.runner.attachCommand(['cat'], { timeoutMs: 0, sink: (stream, bytes) => got.push(`${stream}:${bytes.toString()}`) });
  cmd.write('typed');
  cmd.end();
  cmd.kill('INT');
  await new Promise((resolve) => setImmediate(resolve));
  t.strictSame(g.sent.slice(-4), [`start\t1\t0\t${hex('cat')}`, `in\t1\t${hex('typed')}`, 'eof\t1', 'kill\t1\tINT']);
  g.say(`out\t1\t${hex('ab')}`);
  g.say(`err\t1\t${hex('\u00e9')}`);
  g.say('exit\t1\t-1\t0\t2');
  t.strictSame(await cmd.done, { exitCode: -1, signal: 2, timedOut: false });
  t.strictSame(got, ['stdout:ab', 'stderr:é']);
  const timed = g.runner.attachCommand(['sleep', '9'], { timeoutMs: 100, sink: () => undefined });
  g.say('exit\t2\t-1\t1\t9');
  t.match(await timed.done, { timedOut: true });
  const lost = g.runner.attachCommand(['sleep', '9'], { timeoutMs: 0, sink: () => undefined });
  g.runner.close();
  t.match(await lost.done, { exitCode: -1, lost: /closed/ });
});

t.test('attachFree: the first further port to answer; a busy one is hung up at once, the main port last', async (t) => {
  const { createServer } = await import('node:net');
  const { attachFree } = await import('../../../../src/backends/vm/kept.js');
  const dir = tempDir('attach-free-');
  const closed: string[] = [];
  /** A port's socket: `free` answers an attach with hello (a kept runner with no host), a busy one never does. */
  const port = async (name: string, free: boolean, pid = 0) => {
    const server = createServer((c) => {
      c.on('data', (d) => {
        if (free && d.toString().includes('attach')) c.write(`hello\t${pid}\n`);
      });
      c.on('close', () => closed.push(name));
    });
    const path = join(dir, `${name}.sock`);
    await new Promise<void>((resolve) => server.listen(path, resolve));
    t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
    return path;
  };
  const busy = await port('busy', false);
  const free = await port('free', true, 11);
  const main = await port('main', true, 22);
  const started = performance.now();
  const runner = await attachFree({ socket: main, moreSockets: [busy, free] });
  t.ok(performance.now() - started < 1_500, 'not held up by the busy port');
  t.equal(await runner.hello, 11, 'the free port\'s runner');
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.strictSame(closed, ['busy'], 'the busy port\'s connection is hung up at once');
  runner.close();
  const fallback = await attachFree({ socket: main, moreSockets: [busy] });
  t.equal(await fallback.hello, 22, 'every further port busy: the main one');
  fallback.close();
});
