// --kernel ubuntu and an Ubuntu release, without an Ubuntu archive (this machine has none): the
// packages are built here with dpkg-deb in Ubuntu's layout (linux-image-R: boot/vmlinuz-R;
// linux-modules-R: lib/modules/R/kernel/...; linux-modules-extra-R: mac80211_hwsim, as .ko.zst like
// noble's), and apt-cache answers come from fixtures written in apt-cache's format
// (fixtures/ubuntu-noble.md). dpkg-deb, depmod, modprobe and zstd are the real ones; only apt is faked.
import t from 'tap';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ensureKernel } from '../../../../src/backends/vm/kernels.js';
import { UsageError } from '../../../../src/errors.js';
import { tempDir } from '../../../tmp.js';
import { execFileSync } from 'node:child_process';
import { RELEASE, ubuntuApt, ubuntuDebs } from './ubuntu-debs.js';

/** What the VM backend does with the kernel: modprobe -d ROOT -S RELEASE (initramfs.ts, the guest's modprobe). */
const modprobeFinds = (root: string, module: string): string =>
  execFileSync('modprobe', ['-d', root, '-S', RELEASE, '--show-depends', module], { encoding: 'utf8' });

const assembles = (name: string, spec: Parameters<typeof ensureKernel>[0], usr: boolean) => t.test(name, async (t) => {
  const debs = ubuntuDebs(usr);
  const runner = ubuntuApt(debs);
  const cacheDir = tempDir('lab-ubuntu-cache-');
  const k = await ensureKernel(spec, { runner, cacheDir, say: () => undefined });
  t.equal(k.release, RELEASE);
  t.equal(k.source, `linux-image-${RELEASE}`);
  t.strictSame(runner.asked.find((a) => a[1] === 'download')?.filter((a) => a.startsWith('linux-')),
    [`linux-image-${RELEASE}`, `linux-modules-${RELEASE}`, `linux-modules-extra-${RELEASE}`], 'image, modules and modules-extra in one download');
  // The fake image's payload is not a real vmlinux: the bzImage itself is what QEMU gets.
  t.equal(k.image, join(k.dir, 'root/boot', `vmlinuz-${RELEASE}`));
  t.ok(existsSync(k.image));
  const root = k.modulesRoot as string;
  t.equal(root, join(k.dir, 'root'));
  const mods = join(root, 'lib/modules', RELEASE);
  t.ok(existsSync(join(mods, 'modules.dep')), 'depmod ran over the merged tree');
  t.match(modprobeFinds(root, 'mac80211_hwsim'), /insmod \S+\/lib\/modules\/6\.8\.0-49-generic\/kernel\/drivers\/net\/wireless\/virtual\/mac80211_hwsim\.ko\.zst/, 'hwsim from modules-extra');
  t.match(modprobeFinds(root, 'virtio_pci'), /virtio_pci\.ko\.zst/, 'a boot module from linux-modules');
  t.notOk(existsSync(join(mods, 'kernel/sound')), 'pruned like a Debian kernel');
  t.notOk(existsSync(join(root, 'usr/lib/modules')), 'nothing left under usr/lib/modules');
  t.strictSame(readdirSync(k.dir).filter((n) => n.endsWith('.deb')), [], 'the downloaded .debs are gone');
});

assembles('--kernel ubuntu: linux-image-generic → its release → three packages → vmlinuz and lib/modules with hwsim', { kind: 'ubuntu' }, false);
assembles('an Ubuntu release, with merged-/usr packages (usr/lib/modules)', { kind: 'release', release: RELEASE }, true);

t.test('an Ubuntu release the archive lacks: a usage error naming the nearest ones', async (t) => {
  const runner = ubuntuApt(ubuntuDebs());
  const err = await ensureKernel({ kind: 'release', release: '6.8.0-99-generic' }, { runner, cacheDir: tempDir('lab-ubuntu-cache-'), say: () => undefined })
    .then(() => undefined, (e: unknown) => e);
  t.type(err, UsageError);
  t.match(String((err as Error).message), /no linux-image-6\.8\.0-99-generic \/ linux-modules-6\.8\.0-99-generic \/ linux-modules-extra-6\.8\.0-99-generic; the nearest are 6\.8\.0-49-generic, 6\.8\.0-45-generic;/);
});

t.test('the check is live: without modules-extra there is no hwsim', async (t) => {
  const debs = ubuntuDebs();
  const cacheDir = tempDir('lab-ubuntu-cache-');
  const k = await ensureKernel({ kind: 'ubuntu' }, { runner: ubuntuApt(debs), cacheDir, say: () => undefined });
  // Rebuild the same release from image + modules only, in another cache: modprobe no longer finds hwsim.
  const partial = new Map([...debs].filter(([p]) => !p.startsWith('linux-modules-extra-')));
  const deb = partial.get(`linux-modules-${RELEASE}`) as string;
  const root = tempDir('lab-ubuntu-partial-');
  execFileSync('dpkg-deb', ['-x', deb, root]);
  execFileSync('depmod', ['-b', root, RELEASE], { stdio: 'ignore' });
  t.throws(() => execFileSync('modprobe', ['-d', root, '-S', RELEASE, '--show-depends', 'mac80211_hwsim'], { stdio: 'pipe' }));
  t.match(modprobeFinds(k.modulesRoot as string, 'mac80211_hwsim'), /mac80211_hwsim/);
});
