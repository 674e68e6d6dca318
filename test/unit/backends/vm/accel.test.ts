// KVM or TCG: KVM is tried once with a short timeout, the answer cached per host kernel and QEMU
// version. A fake runner answers `qemu --version`, a fake boot stands for QEMU.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACCEL_FILE, chooseAccel, KVM_CHECK_TIMEOUT_MS, type AccelContext } from '../../../../src/backends/vm/accel.js';
import type { BootOptions, BootResult } from '../../../../src/backends/vm/qemu.js';
import type { Command, Runner } from '../../../../src/backends/runner.js';

/** A temporary directory, removed when the file's tests are done. */
const scratch = (prefix: string): string => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

const qemuRunner = (version: string, asked: Command[] = []): Runner => ({
  async run(cmd) {
    asked.push(cmd);
    return { argv: cmd.argv, exitCode: 0, stdout: `${version}\nCopyright (c) 2003-2022\n`, stderr: '', durationMs: 1, timedOut: false };
  },
  start() {
    throw new Error('not used');
  },
});

const result = (over: Partial<BootResult>): BootResult => ({
  jobExit: undefined, stage: 'none', timedOut: false, qemuExit: undefined, qemuStderr: '', durationMs: 0, marks: {}, ...over,
});

/** A boot that records its options and answers `answer`. */
const fakeBoot = (answer: Partial<BootResult>) => {
  const calls: BootOptions[] = [];
  const boot = async (o: BootOptions): Promise<BootResult> => {
    calls.push(o);
    return result(answer);
  };
  return { boot, calls };
};

const context = (over: Partial<AccelContext>): AccelContext => {
  const dir = scratch('lab-accel-');
  const kvm = join(dir, 'kvm');
  writeFileSync(kvm, '');
  return {
    runner: qemuRunner('QEMU emulator version 7.2.0'),
    cacheDir: dir,
    image: '/k/vmlinux',
    initramfs: '/k/initramfs.cpio',
    scratch: dir,
    kvmDevice: kvm,
    env: {},
    ...over,
  };
};

t.test('a KVM boot that does not reach /init in time means TCG, and the answer is cached', async (t) => {
  const hang = fakeBoot({ stage: 'none', timedOut: true });
  const ctx = context({ boot: hang.boot });
  const first = await chooseAccel(ctx);
  t.match(first, { accel: 'tcg', reason: `a KVM boot did not reach /init within ${KVM_CHECK_TIMEOUT_MS / 1000} s`, hostKernel: release(), qemu: 'QEMU emulator version 7.2.0' });
  t.equal(hang.calls.length, 1);
  const call = hang.calls[0];
  t.equal(call?.bootTimeoutMs, KVM_CHECK_TIMEOUT_MS, 'the short timeout');
  t.ok((call?.totalTimeoutMs ?? Infinity) <= KVM_CHECK_TIMEOUT_MS + 2_000, 'QEMU is killed soon after');
  t.equal(call?.untilAlive, true, 'stops as soon as the guest is alive');
  t.match(call?.argv.join(' '), /accel=kvm.* lab\.probe=1/);
  t.match(JSON.parse(readFileSync(join(ctx.cacheDir, ACCEL_FILE), 'utf8')), { accel: 'tcg' });

  const again = await chooseAccel(ctx);
  t.strictSame(again, first, 'the cached answer');
  t.equal(hang.calls.length, 1, 'no second boot');
});

t.test('the cached answer is for one host kernel and one QEMU: a new QEMU checks again', async (t) => {
  const works = fakeBoot({ stage: 'booted', durationMs: 812 });
  const ctx = context({ boot: works.boot });
  writeFileSync(join(ctx.cacheDir, ACCEL_FILE), JSON.stringify({ accel: 'tcg', reason: 'old', hostKernel: release(), qemu: 'QEMU emulator version 6.0.0', checkedAt: '' }));
  const a = await chooseAccel(ctx);
  t.match(a, { accel: 'kvm', reason: 'KVM booted in 812 ms' });
  t.equal(works.calls.length, 1);
  writeFileSync(join(ctx.cacheDir, ACCEL_FILE), JSON.stringify({ ...a, hostKernel: 'another-kernel' }));
  await chooseAccel(ctx);
  t.equal(works.calls.length, 2, 'another host kernel: checked again');
});

t.test('QEMU failing at once says why; an unusable /dev/kvm or LAB_VM_ACCEL needs no boot', async (t) => {
  const refused = fakeBoot({ stage: 'none', qemuExit: 1, qemuStderr: 'qemu-system-x86_64: failed to initialize kvm: Permission denied\n' });
  t.match(await chooseAccel(context({ boot: refused.boot })), { accel: 'tcg', reason: 'KVM failed: qemu-system-x86_64: failed to initialize kvm: Permission denied' });

  const never = fakeBoot({ stage: 'booted' });
  const noDevice = await chooseAccel(context({ boot: never.boot, kvmDevice: '/nonexistent/kvm' }));
  t.match(noDevice, { accel: 'tcg', reason: '/dev/kvm is not usable (ENOENT)' });
  const forced = await chooseAccel(context({ boot: never.boot, env: { LAB_VM_ACCEL: 'tcg' } }));
  t.match(forced, { accel: 'tcg', reason: 'LAB_VM_ACCEL' });
  t.equal(never.calls.length, 0);
});
