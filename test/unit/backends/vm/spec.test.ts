// --kernel and --backend, the QEMU command line and the scripts the guest runs.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../../../../src/errors.js';
import { initScript, jobScript, shq } from '../../../../src/backends/vm/guest.js';
import { kernelsOfRun, parseKernelSpec, parseMetaDepends } from '../../../../src/backends/vm/kernel-spec.js';
import { qemuArgv } from '../../../../src/backends/vm/qemu.js';
import { parseInnerReport } from '../../../../src/backends/vm/run.js';
import { tempDir } from '../../../tmp.js';

t.test('--kernel values', async (t) => {
  t.strictSame(parseKernelSpec('host'), { kind: 'host' });
  t.strictSame(parseKernelSpec('debian'), { kind: 'debian' });
  t.strictSame(parseKernelSpec('6.1.0-57'), { kind: 'release', release: '6.1.0-57-amd64' });
  t.strictSame(parseKernelSpec('6.12.117+deb12-cloud-amd64'), { kind: 'release', release: '6.12.117+deb12-cloud-amd64' });
  t.strictSame(parseKernelSpec('./vmlinuz'), { kind: 'path', path: './vmlinuz' });
  t.strictSame(parseKernelSpec('linux.deb'), { kind: 'path', path: 'linux.deb' });
  t.throws(() => parseKernelSpec('latest'), UsageError);
});

t.test('--backend and --kernel together', async (t) => {
  t.strictSame(kernelsOfRun(undefined, []), [{ kind: 'host' }]);
  t.strictSame(kernelsOfRun('vm', []), [{ kind: 'debian' }]);
  t.strictSame(kernelsOfRun(undefined, ['host', 'debian', 'debian']), [{ kind: 'host' }, { kind: 'debian' }], 'each kernel once, in order');
  t.throws(() => kernelsOfRun('host', ['debian']), /--backend host runs on the running kernel only/);
  t.strictSame(kernelsOfRun('vm', ['host']), [{ kind: 'host', vm: true }], '--backend vm --kernel host: the running kernel in a VM');
});

t.test("Debian's current kernel from apt-cache depends", async (t) => {
  t.equal(parseMetaDepends('linux-image-amd64\n  Depends: linux-image-6.1.0-57-amd64\n'), '6.1.0-57-amd64');
  t.equal(parseMetaDepends('linux-image-amd64\n'), undefined);
});

t.test('QEMU: host root read-only over 9p, the share read-write, KVM or TCG', async (t) => {
  const argv = qemuArgv({ accel: 'tcg', image: '/k/vmlinux', initramfs: '/k/i.cpio', share: '/tmp/s', cpus: 2, memoryMb: 1024 });
  const joined = argv.join(' ');
  t.match(joined, /-machine q35,accel=tcg -cpu max -smp 2 -m 1024/);
  t.match(joined, /-virtfs local,path=\/,mount_tag=labroot,security_model=none,readonly=on,multidevs=remap/);
  t.match(joined, /-virtfs local,path=\/tmp\/s,mount_tag=labshare,security_model=none( |$)/);
  t.match(joined, /-no-reboot/);
  t.match(qemuArgv({ accel: 'kvm', image: 'a', initramfs: 'b', cpus: 1, memoryMb: 256 }).join(' '), /accel=kvm -cpu host/);
});

t.test('the init script is valid sh, and mounts the guest modules only when there are some', async (t) => {
  const dir = tempDir('lab-init-');
  const withModules = initScript({ modules: ['virtio.ko', "odd'name.ko"], modulesRoot: '/var/cache/k' });
  writeFileSync(join(dir, 'init'), withModules);
  execFileSync('busybox', ['sh', '-n', join(dir, 'init')]);
  t.match(withModules, /mount --bind '\/newroot\/var\/cache\/k\/lib\/modules' \/newroot\/lib\/modules/);
  t.match(withModules, /for m in 'virtio.ko' 'odd'\\''name.ko'; do/);
  t.notMatch(initScript({ modules: [] }), /lib\/modules/);
});

t.test('the job passes arguments through the shell untouched and records the exit code', async (t) => {
  const dir = tempDir('lab-job-');
  const script = jobScript({ cwd: dir, argv: ['sh', '-c', 'printf "%s|" "$@"; echo oops >&2; exit 3', 'sh', "it's", '$HOME', 'a b'], env: { X: '1' } })
    .replaceAll('/run/lab-vm', dir);
  writeFileSync(join(dir, 'job.sh'), script);
  let code = 0;
  try {
    execFileSync('sh', [join(dir, 'job.sh')], { stdio: 'pipe' });
  } catch (err) {
    code = (err as { status: number }).status;
  }
  t.equal(code, 3);
  t.equal(readFileSync(join(dir, 'stdout'), 'utf8'), "it's|$HOME|a b|");
  t.equal(readFileSync(join(dir, 'stderr'), 'utf8'), 'oops\n');
  t.equal(shq("a'b"), "'a'\\''b'");
});

t.test("the inner report keeps the user's file names", async (t) => {
  const json = JSON.stringify({ scenarios: [{ name: 's', file: '/work/s.yaml', kernel: '6.1.0-57-amd64', cases: [{ name: 'c', status: 'pass', probes: [], expectations: [] }] }] });
  const [r] = parseInnerReport(json, ['s.yaml'], ['/work/s.yaml']);
  t.equal(r?.file, 's.yaml');
  t.equal(r?.kernel, '6.1.0-57-amd64');
  t.equal(r?.cases[0]?.durationMs, 0);
});
