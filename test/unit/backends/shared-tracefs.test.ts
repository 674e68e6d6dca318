// Two labs and one tracefs mount (measured on this machine, which boots without tracefs: with
// --jobs 2 on two labs, the first lab to end unmounted the tracefs it had mounted while the other
// still traced in it, and the other then failed on its instance: "internal error: ENOENT ...
// rmdir '/sys/kernel/tracing/instances/lab-…-fib'"). A mount another live lab made is shared; a
// run's teardown leaves what another live lab still uses, and the last one out takes it away.
import { rmSync } from 'node:fs';
import t from 'tap';
import { StateFile, usedByOthers } from '../../../src/backends/state.js';
import { teardownRecorded } from '../../../src/backends/teardown.js';
import { FakeHost } from './fake-host.js';
import { tempDir } from '../../tmp.js';

const ROOT = '/sys/kernel/tracing';
const setup = () => {
  const dir = tempDir('lab-shared-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const lab = (pid = process.pid) => StateFile.create(dir, { pid, scenarios: ['x.yaml'] });
  return { dir, lab };
};

t.test('a path is used by another lab when it records it, or a tracefs path under it, and is alive', async (t) => {
  const { dir, lab } = setup();
  const a = lab();
  const b = lab();
  b.ownTracefs({ kind: 'instance', path: `${ROOT}/instances/lab-${b.runId}-fib` });
  const used = usedByOthers(a.runId, dir);
  t.ok(used(ROOT), 'the mount its instance lives in');
  t.ok(used(`${ROOT}/instances/lab-${b.runId}-fib`), 'the instance itself');
  t.notOk(used(`${ROOT}x`), 'a path that only starts with the same letters is not under it');
  t.notOk(used('/mnt'), 'an unrelated path');
  t.notOk(usedByOthers(b.runId, dir)(ROOT), "a lab's own records are not someone else's");
  const dead = lab(2 ** 22 + 1);
  dead.ownMount('/mnt', 'x');
  t.notOk(usedByOthers(a.runId, dir)('/mnt'), 'a dead lab uses nothing');
  for (const s of [a, b, dead]) s.close();
});

t.test('a mount another live lab made is this lab\'s too; one no lab made (the system\'s) is nobody\'s', async (t) => {
  const { lab } = setup();
  const a = lab();
  const b = lab();
  b.shareMount(ROOT, 'tracefs');
  t.same(b.snapshot.mounts ?? [], [], 'mounted, but by no lab: left to whoever mounted it');
  a.ownMount(ROOT, 'tracefs for route expectations');
  b.shareMount(ROOT, 'tracefs for route expectations');
  t.same(b.snapshot.mounts, [{ target: ROOT, what: 'tracefs for route expectations' }], 'a lab made it: shared');
  a.close();
  b.close();
});

t.test('the first lab out leaves the shared mount, the last one takes it away', async (t) => {
  const { dir, lab } = setup();
  const host = new FakeHost();
  const a = lab();
  const b = lab();
  a.ownMount(ROOT, 'tracefs');
  b.shareMount(ROOT, 'tracefs');
  b.ownTracefs({ kind: 'instance', path: `${ROOT}/instances/lab-${b.runId}-fib` });
  const first = await teardownRecorded(a, { runner: host, sharedElsewhere: usedByOthers(a.runId, dir), rmdir: () => undefined });
  t.match(first.skipped, [/mount \/sys\/kernel\/tracing \(tracefs\): another live lab uses it/]);
  t.notOk(host.log.some((l) => l[0] === 'umount'), 'not unmounted under the other lab');
  a.close();
  const last = await teardownRecorded(b, { runner: host, sharedElsewhere: usedByOthers(b.runId, dir), rmdir: () => undefined });
  t.same(host.log.filter((l) => l[0] === 'umount'), [['umount', ROOT]], 'the last one out unmounts it');
  t.match(last.removed, [/tracefs instance/, /mount \/sys\/kernel\/tracing/]);
  // Negative control: without the check, the first lab out unmounts it at once.
  const c = lab();
  const d = lab();
  c.ownMount(ROOT, 'tracefs');
  d.ownTracefs({ kind: 'instance', path: `${ROOT}/instances/lab-${d.runId}` });
  const hostC = new FakeHost();
  await teardownRecorded(c, { runner: hostC });
  t.same(hostC.log.filter((l) => l[0] === 'umount'), [['umount', ROOT]], 'without sharedElsewhere: unmounted under the other lab');
  for (const s of [b, c, d]) s.close();
});
