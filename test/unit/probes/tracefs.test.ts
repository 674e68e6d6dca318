// The tracers through commandTraceFiles: every tracefs access a command (argv, no shell) of the
// runner, as lab's host side of a VM runs them in the guest. A fake runner plays a guest's tracefs.
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { plainRunner } from '../../../src/backends/runner.js';
import { startDropTracer } from '../../../src/probes/drops.js';
import { startFibTracer } from '../../../src/probes/fib-trace.js';
import type { TraceOwner } from '../../../src/probes/host.js';
import { commandTraceFiles } from '../../../src/probes/tracefs.js';
import type { Command, CommandResult, Runner } from '../../../src/types/runner.js';
import { tempDir } from '../../tmp.js';

/** A guest's tracefs at /T, as commands see it; `events`: the tracepoints its kernel has. */
const fakeGuest = (events: readonly string[]) => {
  const dirs = new Set(['/T', '/T/instances']);
  const files = new Map<string, string>();
  const argvs: string[][] = [];
  const ok = (cmd: Command, stdout = '', exitCode = 0): CommandResult => ({ argv: cmd.argv, exitCode, stdout, stderr: exitCode ? 'no\n' : '', durationMs: 1, timedOut: false });
  const runner: Runner = {
    async run(cmd) {
      const [tool, ...args] = cmd.argv;
      argvs.push([...cmd.argv]);
      const path = args[args.length - 1] as string;
      switch (tool) {
        case 'test':
          return ok(cmd, '', dirs.has(path) || files.has(path) ? 0 : 1);
        case 'mkdir':
          dirs.add(path);
          files.set(join(path, 'trace'), '');
          for (const e of events) {
            dirs.add(join(path, 'events', e));
            files.set(join(path, 'events', e, 'enable'), '0');
          }
          return ok(cmd);
        case 'rmdir':
          return ok(cmd, '', dirs.delete(path) ? 0 : 1);
        case 'cat':
          return ok(cmd, files.get(path) ?? '', files.has(path) ? 0 : 1);
        case 'dd': {
          const pipe = cmd.argv.find((a) => a.startsWith('if='))?.slice(3);
          if (pipe !== undefined) {
            // A trace_pipe read without blocking: what the buffer holds, consumed, then EAGAIN.
            const trace = join(pipe, '..', 'trace');
            const held = files.get(trace) ?? '';
            files.set(trace, '');
            return { ...ok(cmd, held, 1), stderr: `dd: error reading '${pipe}': Resource temporarily unavailable\n` };
          }
          const of = (cmd.argv.find((a) => a.startsWith('of=')) as string).slice(3);
          files.set(of, cmd.input ?? '');
          return ok(cmd);
        }
        default:
          return ok(cmd, '', 127);
      }
    },
    start: () => {
      throw new Error('no long-lived commands');
    },
  };
  return { runner, files, dirs, argvs };
};

const owner = (): TraceOwner & { instances: string[] } => {
  const instances: string[] = [];
  return {
    instances,
    ownMount: () => undefined,
    shareMount: () => undefined,
    releaseMount: () => undefined,
    ownTracefs: (u) => void instances.push(u.path),
    releaseTracefs: (p) => void instances.splice(instances.indexOf(p), 1),
  };
};

const kfree = (reason: string) => `  <idle>-0 [000] ..s1. 1.0: kfree_skb: skbaddr=00 rx_sk=00 protocol=2048 location=x+0x1/0x2 reason: ${reason}\n`;

t.test('drop reasons through commands: an instance of the run, a filter in one write, the window cleared then read', async (t) => {
  const g = fakeGuest(['skb/kfree_skb']);
  const state = owner();
  const tracer = await startDropTracer(g.runner, state, 'r1', '/T', commandTraceFiles(g.runner));
  if (!('window' in tracer)) return t.fail(`unavailable: ${tracer.unavailable}`);
  t.ok(g.dirs.has('/T/instances/lab-r1'));
  t.equal(g.files.get('/T/instances/lab-r1/events/skb/kfree_skb/filter'), 'protocol == 2048 || protocol == 2054 || protocol == 34525');
  t.equal(g.files.get('/T/instances/lab-r1/events/skb/kfree_skb/enable'), '1');
  g.files.set('/T/instances/lab-r1/trace', kfree('NO_SOCKET'));
  const { result, drops } = await tracer.window(async () => {
    // What the kernel traces during the probe.
    g.files.set('/T/instances/lab-r1/trace', (g.files.get('/T/instances/lab-r1/trace') ?? '') + kfree('IP_RPFILTER') + kfree('IP_RPFILTER'));
    return 7;
  });
  t.equal(result, 7);
  t.same(drops, [{ reason: 'IP_RPFILTER', count: 2 }], 'what was there before the window is cleared first');
  await tracer.stop();
  t.notOk(g.dirs.has('/T/instances/lab-r1'), 'the instance is removed');
  t.same(state.instances, []);
  for (const argv of g.argvs) t.notOk(['sh', 'bash'].includes(argv[0] as string), `no shell: ${argv.join(' ')}`);
});

t.test('a guest kernel without the tracepoint: unavailable, said why, the instance removed', async (t) => {
  const g = fakeGuest([]);
  const state = owner();
  const tracer = await startDropTracer(g.runner, state, 'r2', '/T', commandTraceFiles(g.runner));
  t.match(tracer, { unavailable: /no skb:kfree_skb tracepoint/ });
  t.notOk(g.dirs.has('/T/instances/lab-r2'));
  t.same(state.instances, []);
});

t.test('route lookups through commands: mark and since drain the buffer, one drain at a time', async (t) => {
  const g = fakeGuest(['fib/fib_table_lookup']);
  const tracer = await startFibTracer(g.runner, owner(), 'r3', '/T', commandTraceFiles(g.runner));
  if (!('mark' in tracer)) return t.fail(`unavailable: ${tracer.unavailable}`);
  t.equal(g.files.get('/T/instances/lab-r3-fib/events/fib/fib_table_lookup/enable'), '1');
  const trace = '/T/instances/lab-r3-fib/trace';
  const line = '           socat-23247   [000] .....  6132.217376: fib_table_lookup: table 254 oif 0 iif 1 proto 17 198.51.100.71/38906 -> 198.51.100.71/9 tos 0 scope 0 flags 0 ==> dev eth0 gw 0.0.0.0/:: err 0';
  g.files.set(trace, `${line}\n`);
  const [m1, m2] = await Promise.all([tracer.mark(), tracer.mark()]);
  t.equal(m1, 1, 'the lookup before the mark is drained');
  t.equal(m2, 1, 'the second drain waits for the first and finds the buffer cleared');
  g.files.set(trace, `${line}\n${line}\n`);
  t.equal((await tracer.since(m1)).length, 2);
  t.equal(g.files.get(trace), '', 'each drain consumes what it read');
  t.ok(g.argvs.some((a) => a[0] === 'dd' && a.includes('if=/T/instances/lab-r3-fib/trace_pipe') && a.includes('iflag=nonblock')), 'through the pipe, without waiting');
  t.notOk(g.argvs.some((a) => a[0] === 'cat' && a[1] === trace), 'never read-then-clear of trace (what comes between would be lost)');
  await tracer.stop();
});

t.test('commandTraceFiles against real commands: dd truncates and writes; cat reads; errors throw', async (t) => {
  const dir = tempDir('lab-tracefs-');
  const files = commandTraceFiles(plainRunner());
  const f = join(dir, 'enable');
  writeFileSync(f, 'xxxxxxxx');
  await files.write(f, '1');
  t.equal(readFileSync(f, 'utf8'), '1', 'opened truncating, as `>` does');
  await files.write(f, '');
  t.equal(readFileSync(f, 'utf8'), '');
  await files.write(f, 'a b\tc');
  t.equal(await files.read(f), 'a b\tc');
  t.equal(await files.exists(f), true);
  t.equal(await files.exists(join(dir, 'none')), false);
  await files.mkdir(join(dir, 'i'));
  t.equal(await files.exists(join(dir, 'i')), true);
  await files.rmdir(join(dir, 'i'));
  t.equal(await files.exists(join(dir, 'i')), false);
  await t.rejects(files.read(join(dir, 'none')), /cat .*none/);
  await t.rejects(files.rmdir(join(dir, 'none')), /rmdir/);
});

t.test('a tracer whose instance went with its tracefs (another lab unmounted it) stops without an error', async (t) => {
  for (const start of [startDropTracer, startFibTracer]) {
    const g = fakeGuest(['skb/kfree_skb', 'fib/fib_table_lookup']);
    const state = owner();
    const tracer = await start(g.runner, state, 'r1', '/T', commandTraceFiles(g.runner));
    if ('unavailable' in tracer) throw new Error(tracer.unavailable);
    t.equal(state.instances.length, 1);
    for (const d of [...g.dirs]) if (d.startsWith('/T/instances/')) g.dirs.delete(d);
    for (const f of [...g.files.keys()]) if (f.startsWith('/T/instances/')) g.files.delete(f);
    await t.resolves(tracer.stop(), `${start.name}: stop resolves`);
    t.same(state.instances, [], 'and the instance is no longer recorded');
    t.notOk(g.argvs.some((a) => a[0] === 'rmdir'), 'nothing to remove');
  }
});

t.test('tracefs mounted already: the tracer asks to share the mount, and mounts nothing', async (t) => {
  const g = fakeGuest(['skb/kfree_skb']);
  const shared: string[] = [];
  const state = { ...owner(), shareMount: (target: string) => void shared.push(target) };
  const tracer = await startDropTracer(g.runner, state, 'r1', '/T', commandTraceFiles(g.runner));
  t.notOk('unavailable' in tracer);
  t.same(shared, ['/T']);
  t.notOk(g.argvs.some((a) => a[0] === 'mount'));
  if (!('unavailable' in tracer)) await tracer.stop();
});
