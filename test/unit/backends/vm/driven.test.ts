// The pieces of a VM driven from the host (no Node in the guest): QEMU's virtio-serial channel,
// the guest's job that starts the guest runner, the sandbox of lab's host side, and which way a
// run goes.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { qemuArgv, RUNNER_PORT } from '../../../../src/backends/vm/qemu.js';
import { runnerJobScript, RUNNER_FILE } from '../../../../src/backends/vm/guest.js';
import { abortWhenBootEnds, sandboxArgv, SANDBOX } from '../../../../src/backends/vm/drive.js';
import { guestMode } from '../../../../src/backends/vm/run.js';
import { tempDir } from '../../../tmp.js';

t.test('QEMU: a virtio-serial port named lab.runner on a unix socket, only when asked', async (t) => {
  const base = { accel: 'tcg' as const, image: 'k', initramfs: 'i', cpus: 1, memoryMb: 256 };
  const joined = qemuArgv({ ...base, runnerSocket: '/tmp/s/runner.sock' }).join(' ');
  t.match(joined, /-device virtio-serial-pci,id=labvs -chardev socket,id=labrun,path=\/tmp\/s\/runner.sock,server=on,wait=off -device virtserialport,bus=labvs.0,chardev=labrun,name=lab.runner/);
  t.equal(RUNNER_PORT, 'lab.runner');
  t.notMatch(qemuArgv(base).join(' '), /virtio-serial|chardev/);
});

t.test('the runner job is valid sh: share at its host path, the port found by name, perl in place of the job', async (t) => {
  const dir = tempDir('lab-runner-job-');
  const script = runnerJobScript({ cwd: '/w', env: { PATH: '/bin', X: "it's" }, port: RUNNER_PORT, sharePath: '/tmp/lab-vm-x', preload: [['mac80211_hwsim', 'radios=0']] });
  writeFileSync(join(dir, 'job.sh'), script);
  execFileSync('busybox', ['sh', '-n', join(dir, 'job.sh')]);
  t.notMatch(script, /mount|mkdir/, 'the runner binds the share itself (--bind)');
  // The port is found by its name among the virtio ports (read by busybox sh from a fake sysfs).
  const find = script.split('\n').find((l) => l.startsWith('for p in /sys/class/virtio-ports/*'));
  t.ok(find, 'the loop over the virtio ports');
  for (const [port, name] of [['vport0p1', 'org.qemu.guest_agent.0'], ['vport2p1', 'lab.runner'], ['vport3p1', 'lab.runner.x']] as const) {
    execFileSync('mkdir', ['-p', join(dir, 'ports', port)]);
    writeFileSync(join(dir, 'ports', port, 'name'), `${name}\n`);
  }
  const found = execFileSync('busybox', ['sh', '-c', `port=\n${(find ?? '').replace('/sys/class/virtio-ports/*', `${dir}/ports/*`)}\necho "$port"`], { encoding: 'utf8' });
  t.equal(found.trim(), '/dev/vport2p1');
  t.match(script, /modprobe 'mac80211_hwsim' 'radios=0' >\/dev\/null 2>&1 &/);
  t.match(script, new RegExp(`exec env -i PATH='/bin' X='it'\\\\''s' perl /run/lab-vm/${RUNNER_FILE} --bind /run/lab-vm '/tmp/lab-vm-x' "\\$port"`));
});

t.test("lab's host side: a pid and a mount namespace, its own /proc, the host's tracefs hidden", async (t) => {
  const argv = sandboxArgv(['node', 'entry.js', 'run']);
  t.strictSame(argv.slice(0, 8), ['unshare', '--pid', '--fork', '--kill-child', '--mount', '--propagation', 'private', '--']);
  t.strictSame(argv.slice(8), ['sh', '-c', SANDBOX, 'sh', 'node', 'entry.js', 'run']);
  t.match(SANDBOX, /^mount -t proc proc \/proc && mount -t tmpfs -o mode=0755 tmpfs \/sys\/module && /);
  t.match(SANDBOX, /tmpfs \/sys\/kernel\/tracing/);
  t.match(SANDBOX, /exec "\$@"/);
  const sh = tempDir('lab-sandbox-');
  writeFileSync(join(sh, 's.sh'), SANDBOX);
  execFileSync('busybox', ['sh', '-n', join(sh, 's.sh')]);
});

t.test('the guest runner, --explain too, unless LAB_VM_GUEST=node', async (t) => {
  const saved = process.env['LAB_VM_GUEST'];
  t.teardown(() => {
    if (saved === undefined) delete process.env['LAB_VM_GUEST'];
    else process.env['LAB_VM_GUEST'] = saved;
  });
  delete process.env['LAB_VM_GUEST'];
  t.equal(guestMode(), 'runner');
  process.env['LAB_VM_GUEST'] = 'node';
  t.equal(guestMode(), 'node');
  process.env['LAB_VM_GUEST'] = 'runner';
  t.equal(guestMode(), 'runner');
});

t.test('when the guest powers off: lab\'s host side gets its last moments after a clean end, none after a failed boot', async (t) => {
  const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));
  // A clean end (the host side hung up, the guest powered off): not at once, after the grace.
  const clean = new AbortController();
  abortWhenBootEnds(Promise.resolve({ stage: 'done' }), clean, 40);
  await settle(10);
  t.notOk(clean.signal.aborted, 'not killed at once: it may still be writing its report');
  await settle(60);
  t.ok(clean.signal.aborted, 'killed once the grace is over');
  // The host side exited by itself meanwhile: nothing more.
  const exited = new AbortController();
  const spare = abortWhenBootEnds(Promise.resolve({ stage: 'done' }), exited, 40);
  await settle(5);
  spare();
  await settle(60);
  t.notOk(exited.signal.aborted, 'spared');
  // A boot that failed (no /init, no root) or threw: stopped at once.
  for (const booting of [() => Promise.resolve({ stage: 'root' }), () => Promise.reject(new Error('qemu'))]) {
    const failed = new AbortController();
    abortWhenBootEnds(booting(), failed, 10_000);
    await settle(5);
    t.ok(failed.signal.aborted, 'a failed boot stops the host side at once');
  }
});
