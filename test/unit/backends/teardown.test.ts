import { join } from 'node:path';
import t from 'tap';
import { StateFile } from '../../../src/backends/state.js';
import { teardownRecorded } from '../../../src/backends/teardown.js';
import { FakeHost } from './fake-host.js';
import { tempDir } from '../../tmp.js';

const lab = () => StateFile.create(tempDir('lab-teardown-'), { pid: process.pid, scenarios: ['x.yaml'] });

t.test('teardown removes every kind of thing a lab recorded, and releases each', async (t) => {
  const host = new FakeHost();
  const state = lab();
  for (const ns of ['lab-x-c0-a', 'lab-x-c0-b']) {
    state.own(ns);
    host.namespaces.add(ns);
  }
  state.ownProcess(4242, 'qemu');
  state.ownMount('/sys/kernel/tracing', 'tracefs');
  state.ownTracefs({ kind: 'instance', path: '/sys/kernel/tracing/instances/lab-x' });
  state.ownTracefs({ kind: 'enable', path: '/sys/kernel/tracing/events/skb/kfree_skb/enable' });
  const killed: number[] = [];
  const removedDirs: string[] = [];
  const written: [string, string][] = [];
  const report = await teardownRecorded(state, {
    runner: host,
    inodeOf: (ns) => (host.namespaces.has(ns) ? '4:1' : undefined),
    startOf: () => state.processes[0]?.pidStart ?? 'x',
    kill: (pid) => void killed.push(pid),
    rmdir: (p) => void removedDirs.push(p),
    writeFile: (p, text) => void written.push([p, text]),
  });
  t.same([...host.namespaces], [], 'namespaces deleted');
  t.same(killed, [4242], 'the process killed');
  t.same(removedDirs, ['/sys/kernel/tracing/instances/lab-x'], 'the tracefs instance removed');
  t.same(written, [['/sys/kernel/tracing/events/skb/kfree_skb/enable', '0\n']], 'the event disabled again');
  t.ok(host.log.some((a) => a.join(' ') === 'umount /sys/kernel/tracing'), 'tracefs unmounted');
  t.same(report.failed, []);
  t.notOk(state.ownsAnything, 'the state records nothing any more');
  const again = await teardownRecorded(state, { runner: host });
  t.same(again, { removed: [], skipped: [], failed: [] }, 'a second teardown has nothing to do');
  state.close();
});

t.test('a namespace of the same name that is not the one the lab made is left alone', async (t) => {
  const host = new FakeHost();
  const state = lab();
  const snapshotWith = (inode: string) => ({ ...state.snapshot, namespaceInodes: { 'lab-x-c0-a': inode } });
  state.own('lab-x-c0-a');
  host.namespaces.add('lab-x-c0-a');
  // Record an inode as `created` would, then pretend the namespace was replaced.
  const recorded = StateFile.adopt(state.path, snapshotWith('4:100'), 'tearing-down');
  const report = await teardownRecorded(recorded, { runner: host, inodeOf: () => '4:200' });
  t.ok(host.namespaces.has('lab-x-c0-a'), 'still there');
  t.match(report.skipped, [/not the namespace this lab created/]);
  t.notOk(recorded.ownsAnything, 'and no longer claimed');
  recorded.close();
});

t.test('while a command that may still create them runs, absent namespaces stay recorded', async (t) => {
  const host = new FakeHost();
  const state = lab();
  state.own('lab-x-c0-a');
  state.own('lab-x-c1-a');
  host.namespaces.add('lab-x-c0-a');
  const inodeOf = (ns: string) => (host.namespaces.has(ns) ? '4:1' : undefined);
  const report = await teardownRecorded(state, { runner: host, inodeOf, keepAbsent: true });
  t.same([...host.namespaces], [], 'what is there is removed');
  t.same(state.namespaces, ['lab-x-c1-a'], 'what is not there yet stays recorded');
  t.match(report.skipped, [/lab-x-c1-a: not there \(yet\)/]);
  // The command in flight made it after all; lab clean, later, removes it.
  host.namespaces.add('lab-x-c1-a');
  await teardownRecorded(state, { runner: host, inodeOf });
  t.same([...host.namespaces], []);
  t.notOk(state.ownsAnything);
  state.close();
});

t.test('a reused pid is not killed; a shared mount stays; a failed removal stays recorded', async (t) => {
  const host = new FakeHost();
  const failing: typeof host.run = async (cmd) =>
    cmd.argv[2] === 'del' ? { argv: cmd.argv, exitCode: 1, stdout: '', stderr: 'Device or resource busy', durationMs: 1, timedOut: false } : FakeHost.prototype.run.call(host, cmd);
  host.run = failing;
  const state = lab();
  state.own('lab-x-c0-a');
  host.namespaces.add('lab-x-c0-a');
  state.ownProcess(process.pid, 'me');
  state.ownMount('/mnt/shared', 'tracefs');
  const killed: number[] = [];
  const report = await teardownRecorded(state, {
    runner: host,
    inodeOf: () => '4:1',
    startOf: () => 'some other start time',
    kill: (pid) => void killed.push(pid),
    sharedElsewhere: (p) => p === '/mnt/shared',
  });
  t.same(killed, [], 'the pid belongs to another process now');
  t.match(report.skipped, [/that pid is now another process/, /another live lab uses it/]);
  t.match(report.failed, [/namespace lab-x-c0-a: .*Device or resource busy/]);
  t.same(state.namespaces, ['lab-x-c0-a'], 'what could not be removed stays recorded for a retry');
  t.same(state.mounts, [], 'a shared mount is released, not unmounted');
  t.notOk(host.log.some((a) => a[0] === 'umount'));
  state.close();
});
