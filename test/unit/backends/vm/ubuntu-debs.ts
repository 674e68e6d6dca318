// Ubuntu's kernel packages built here with dpkg-deb in Ubuntu's layout, and apt answering as an
// Ubuntu noble machine would (apt-cache from hand-written fixtures in apt-cache's format, apt-get
// download copying the built .debs). Shared by ubuntu-kernel.test.ts and host-kernel.test.ts.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { forkingRunner } from '../../../../src/backends/forker.js';
import type { Runner } from '../../../../src/backends/runner.js';
import { tempDir } from '../../../tmp.js';
import { fakeBzImage } from './fake-kernel.js';

export const RELEASE = '6.8.0-49-generic';
export const fixture = (name: string): string => readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');

/** One .deb from a tree: DEBIAN/control plus `files` (path → content), built with dpkg-deb. */
export const deb = (out: string, pkg: string, files: Record<string, Buffer | string>): string => {
  const tree = tempDir(`lab-deb-${pkg}-`);
  mkdirSync(join(tree, 'DEBIAN'));
  writeFileSync(join(tree, 'DEBIAN/control'), `Package: ${pkg}\nVersion: 6.8.0-49.49\nArchitecture: amd64\nMaintainer: test <t@example.org>\nDescription: test-built ${pkg}\n`);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(tree, path, '..'), { recursive: true });
    writeFileSync(join(tree, path), content);
  }
  const file = join(out, `${pkg}_6.8.0-49.49_amd64.deb`);
  execFileSync('dpkg-deb', ['--root-owner-group', '-Zgzip', '--build', tree, file], { stdio: 'ignore' });
  return file;
};

export const zst = (text: string): Buffer => execFileSync('zstd', ['-q', '-c'], { input: text });

/** Ubuntu's three packages of RELEASE; `usr` puts the modules under usr/lib/modules (merged /usr). */
export const ubuntuDebs = (usr = false, release = RELEASE): Map<string, string> => {
  const out = tempDir('lab-ubuntu-debs-');
  const lib = usr ? 'usr/lib/modules' : 'lib/modules';
  const m = `${lib}/${release}`;
  return new Map([
    [`linux-image-${release}`, deb(out, `linux-image-${release}`, { [`boot/vmlinuz-${release}`]: fakeBzImage(release) })],
    [`linux-modules-${release}`, deb(out, `linux-modules-${release}`, {
      [`${m}/kernel/drivers/virtio/virtio_pci.ko.zst`]: zst('fake virtio_pci'),
      [`${m}/kernel/net/9p/9pnet_virtio.ko.zst`]: zst('fake 9pnet_virtio'),
      [`${m}/modules.builtin`]: 'kernel/fs/overlayfs/overlay.ko\n',
      [`boot/System.map-${release}`]: '',
    })],
    [`linux-modules-extra-${release}`, deb(out, `linux-modules-extra-${release}`, {
      [`${m}/kernel/drivers/net/wireless/virtual/mac80211_hwsim.ko.zst`]: zst('fake mac80211_hwsim'),
      [`${m}/kernel/sound/core/snd.ko.zst`]: zst('pruned: a network lab never loads sound'),
    })],
  ]);
};

/** apt as an Ubuntu noble machine would answer; every other command runs for real. */
export const ubuntuApt = (debs: Map<string, string>): Runner & { asked: string[][] } => {
  const real = forkingRunner();
  const asked: string[][] = [];
  const answer = (argv: readonly string[], exitCode: number, stdout: string, stderr = '') => ({ argv, exitCode, stdout, stderr, durationMs: 0, timedOut: false });
  return {
    asked,
    async run(cmd) {
      const argv = [...cmd.argv];
      const [cwd, inner] = argv[0] === 'env' && argv[1] === '-C' ? [argv[2] as string, argv.slice(3)] : [undefined, argv];
      if (inner[0] === 'apt-cache' || inner[0] === 'apt-get') asked.push(inner);
      if (inner[0] === 'apt-cache' && inner[1] === 'depends' && inner[2] === 'linux-image-generic') {
        return answer(argv, 0, fixture('ubuntu-apt-cache-depends-linux-image-generic.txt'));
      }
      if (inner[0] === 'apt-cache' && inner[1] === 'search') return answer(argv, 0, fixture('ubuntu-apt-cache-search.txt'));
      // apt-cache show PKG: a stanza for a package the archive has, exit 100 for one it lacks.
      if (inner[0] === 'apt-cache' && inner[1] === 'show') {
        const pkg = inner.at(-1) as string;
        return debs.has(pkg) ? answer(argv, 0, `Package: ${pkg}\nVersion: 6.8.0-49.49\nArchitecture: amd64\n\n`) : answer(argv, 100, '', `E: No packages found\n`);
      }
      if (inner[0] === 'apt-get' && inner[1] === 'download' && cwd) {
        const pkgs = inner.filter((a) => a.startsWith('linux-'));
        const missing = pkgs.find((p) => !debs.has(p));
        // apt-get download fetches all or nothing.
        if (missing) return answer(argv, 100, '', `E: Unable to locate package ${missing}\n`);
        for (const p of pkgs) copyFileSync(debs.get(p) as string, join(cwd, `${p}_6.8.0-49.49_amd64.deb`));
        return answer(argv, 0, '');
      }
      if (inner[0] === 'apt-cache' || inner[0] === 'apt-get') return answer(argv, 100, '', 'E: not recorded');
      return real.run(cmd);
    },
    start() {
      throw new Error('not used');
    },
  };
};

