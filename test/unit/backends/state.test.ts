import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { findLab, isOwnerAlive, livenessOf, namespaceInode, processStartTime, readStates, sameNamespace, StateFile } from '../../../src/backends/state.js';
import { tempDir } from '../../tmp.js';

t.test('the state file records what the run owns, as it changes', async (t) => {
  const dir = tempDir('lab-state-');
  const s = new StateFile(dir, { runId: 'abc123', prefix: 'lab-abc123', pid: process.pid, scenarios: ['x.yaml'] });
  s.own('lab-abc123-c0-laptop');
  s.own('lab-abc123-c0-ap');
  s.own('lab-abc123-c0-ap');
  const onDisk = JSON.parse(readFileSync(s.path, 'utf8'));
  t.same(onDisk.namespaces, ['lab-abc123-c0-laptop', 'lab-abc123-c0-ap']);
  t.equal(onDisk.pidStart, processStartTime(process.pid));
  s.release('lab-abc123-c0-laptop');
  t.same(readStates(dir).map((r) => r.state.namespaces), [['lab-abc123-c0-ap']]);
  s.close();
  t.notOk(existsSync(s.path));
  t.same(readStates(dir), []);
  t.ok(s.closed);
  // An interrupted run's second teardown may still release what the first removed.
  s.release('lab-abc123-c0-ap');
  t.notOk(existsSync(s.path), 'a closed state file is not written again');
});

t.test('an owner is alive only if its pid runs and started when recorded', async (t) => {
  t.ok(isOwnerAlive({ pid: process.pid, pidStart: processStartTime(process.pid) }));
  t.notOk(isOwnerAlive({ pid: process.pid, pidStart: 'not-the-start-time' }), 'a reused pid is not the owner');
  t.notOk(isOwnerAlive({ pid: 2 ** 22 + 1, pidStart: null }), 'no such process');
});

t.test('a killed owner is dead at once, even before its parent reaps it (a zombie)', async (t) => {
  // perl forks a child, kills it and sleeps without waiting for it: the child stays a zombie.
  const parent = spawn('perl', ['-e', '$| = 1; my $p = fork; if (!$p) { sleep 60; exit } kill 9, $p; print "$p\\n"; sleep 60'], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => void parent.kill('SIGKILL'));
  const pid = Number(await new Promise<string>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(d.toString()))));
  while (!/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) await new Promise((r) => setTimeout(r, 5));
  t.ok(processStartTime(pid), 'the zombie still has its /proc entry');
  t.notOk(isOwnerAlive({ pid, pidStart: processStartTime(pid) }), 'but it is not alive');
  t.equal(livenessOf({ pid, pidStart: processStartTime(pid), runId: 'x', startedAt: new Date().toISOString(), scenarios: [], namespaces: [] } as never), 'dead');
});

t.test('create picks a fresh id and never takes over the state file of another lab', async (t) => {
  const dir = tempDir('lab-state-');
  const ids = new Set<string>();
  for (let i = 0; i < 50; i++) ids.add(StateFile.create(dir, { pid: process.pid, scenarios: [] }).runId);
  t.equal(ids.size, 50, 'fifty labs, fifty ids');
  t.equal(readStates(dir).length, 50);
  const taken = [...ids][0]!;
  t.throws(() => new StateFile(dir, { runId: taken, prefix: `lab-${taken}`, pid: 1, scenarios: [] }, true), { code: 'EEXIST' });
  const s = StateFile.create(dir, { pid: process.pid, scenarios: [] });
  t.equal(s.prefix, `lab-${s.runId}`);
  t.match(s.runId, /^[0-9a-f]{6}$/);
});

t.test('a state file records processes, mounts, tracefs and namespace identities, and a kept lab', async (t) => {
  const dir = tempDir('lab-state-');
  const netnsDir = tempDir('lab-netns-');
  const s = StateFile.create(dir, { pid: process.pid, scenarios: ['x.yaml'], kind: 'kept', status: 'building' });
  s.own('lab-x-c0-a');
  writeFileSync(join(netnsDir, 'lab-x-c0-a'), '');
  s.createdIn(netnsDir, 'lab-x-c0-a');
  s.ownProcess(process.pid, 'a trace reader');
  s.ownMount('/sys/kernel/tracing', 'tracefs');
  s.ownTracefs({ kind: 'instance', path: '/sys/kernel/tracing/instances/lab-x' });
  s.keep({ scenario: 'x', file: 'x.yaml', case: 'c', caseIndex: 0, nodes: [{ node: 'a', netns: 'lab-x-c0-a' }] });
  const [entry] = readStates(dir);
  const onDisk = entry!.state;
  t.equal(onDisk.version, 2);
  t.equal(onDisk.kind, 'kept');
  t.equal(onDisk.status, 'up');
  t.same(onDisk.lab?.nodes, [{ node: 'a', netns: 'lab-x-c0-a' }]);
  t.match(onDisk.namespaceInodes?.['lab-x-c0-a'], /^\d+:\d+:\d+$/, 'dev:inode:ctime');
  t.equal(onDisk.namespaceInodes?.['lab-x-c0-a'], namespaceInode('lab-x-c0-a', netnsDir));
  t.same(onDisk.processes, [{ pid: process.pid, pidStart: processStartTime(process.pid), what: 'a trace reader' }]);
  t.same(onDisk.mounts, [{ target: '/sys/kernel/tracing', what: 'tracefs' }]);
  t.same(onDisk.tracefs, [{ kind: 'instance', path: '/sys/kernel/tracing/instances/lab-x' }]);
  s.release('lab-x-c0-a');
  t.same(readStates(dir)[0]!.state.namespaceInodes, {}, 'a released namespace loses its identity too');
  const adopted = StateFile.adopt(entry!.path, readStates(dir)[0]!.state, 'tearing-down', process.pid);
  t.equal(readStates(dir)[0]!.state.status, 'tearing-down');
  t.equal(readStates(dir)[0]!.state.pid, process.pid, 'the adopting process owns it now');
  adopted.close();
  t.same(readStates(dir), []);
});

t.test('who may remove a lab: live owner never, kept lab only by lab down, dead owner by lab clean', async (t) => {
  const base = { runId: 'a', prefix: 'lab-a', pid: 1, pidStart: null, startedAt: '', scenarios: [], namespaces: [] };
  const alive = () => true;
  const dead = () => false;
  t.equal(livenessOf({ ...base, kind: 'run', status: 'running' }, alive), 'live');
  t.equal(livenessOf({ ...base, kind: 'run', status: 'running' }, dead), 'dead');
  t.equal(livenessOf({ ...base }, dead), 'dead', 'a file from before kept labs is a run');
  t.equal(livenessOf({ ...base, kind: 'kept', status: 'building' }, alive), 'live', 'lab up still building');
  t.equal(livenessOf({ ...base, kind: 'kept', status: 'building' }, dead), 'dead', 'lab up killed while building');
  t.equal(livenessOf({ ...base, kind: 'kept', status: 'up' }, dead), 'kept', 'built and kept: no owner needed');
  t.equal(livenessOf({ ...base, kind: 'kept', status: 'tearing-down' }, dead), 'dead', 'lab down killed half-way');
  t.equal(livenessOf({ ...base, kind: 'kept', status: 'tearing-down' }, alive), 'live', 'lab down at work');
});

t.test('labs are found by id or by a unique start of it; foreign files are ignored', async (t) => {
  const dir = tempDir('lab-state-');
  for (const runId of ['abc123', 'abd456', 'ffff00']) new StateFile(dir, { runId, prefix: `lab-${runId}`, pid: process.pid, scenarios: [] });
  writeFileSync(join(dir, 'notes.json'), '{"hello": "world"}');
  writeFileSync(join(dir, 'broken.json'), '{"runId": ');
  const entries = readStates(dir);
  t.same(entries.map((e) => e.state.runId), ['abc123', 'abd456', 'ffff00']);
  t.equal((findLab(entries, 'abc123') as { state: { runId: string } }).state.runId, 'abc123');
  t.equal((findLab(entries, 'ff') as { state: { runId: string } }).state.runId, 'ffff00');
  t.equal((findLab(entries, 'ab') as unknown[]).length, 2, 'ambiguous');
  t.equal(findLab(entries, 'zz'), undefined);
  t.equal(findLab(entries, ''), undefined);
});

t.test('a namespace is the one recorded when its inode and its handle\'s ctime are', async (t) => {
  t.ok(sameNamespace('4:4026532177:1796394832278435956', '4:4026532177:1796394832278435956'));
  // Measured: `ip netns del X; ip netns add X` gave the same inode, another ctime.
  t.notOk(sameNamespace('4:4026532177:1796394832278435956', '4:4026532177:1796394834150435956'), 'a reused inode is not the same namespace');
  t.notOk(sameNamespace('4:4026532177:1796394832278435956', '4:4026532178:1796394832278435956'));
  t.ok(sameNamespace('4:4026532177', '4:4026532177:1796394834150435956'), 'an older record (dev:inode) is compared by its inode');
  t.notOk(sameNamespace('4:4026532177', '4:4026532178:1796394834150435956'));
});

t.test('the identity of a handle changes with a new file behind the same name', async (t) => {
  const netnsDir = tempDir('lab-netns-');
  t.teardown(() => rmSync(netnsDir, { recursive: true, force: true }));
  writeFileSync(join(netnsDir, 'n'), '');
  const first = namespaceInode('n', netnsDir) ?? '';
  t.equal(namespaceInode('n', netnsDir), first, 'read twice: the same');
  rmSync(join(netnsDir, 'n'));
  await new Promise((r) => setTimeout(r, 5));
  writeFileSync(join(netnsDir, 'n'), '');
  const second = namespaceInode('n', netnsDir) ?? '';
  t.notOk(sameNamespace(first, second), `made again: ${first} then ${second}`);
  t.equal(namespaceInode('gone', netnsDir), undefined);
});
