// Which Debian package gives each tool lab runs, and which make target installs it. `make run`
// installs only what the default scenario needs (`make deps`); the rest comes with the target
// named here, so a missing tool's message (exit 3) says exactly what to install.
// test/unit/backends/packages.test.ts checks this table against the Makefile's lists.
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';

export const MAKE_TARGET_OF: Readonly<Record<string, string>> = {
  iproute2: 'deps',
  nftables: 'deps',
  socat: 'deps',
  'iputils-ping': 'deps',
  'perl-base': 'deps',
  'util-linux': 'deps',
  findutils: 'deps',
  tcpdump: 'deps-pcap',
  iw: 'deps-wireless',
  hostapd: 'deps-wireless',
  wpasupplicant: 'deps-wireless',
  'qemu-system-x86': 'deps-vm',
  'busybox-static': 'deps-vm',
  kmod: 'deps-vm',
  'xz-utils': 'deps-vm',
  zstd: 'deps-vm',
};

/** The remedy for a missing package: the apt-get command, and the make target in a clone of lab. */
export const installHint = (pkg: string): string => {
  const target = MAKE_TARGET_OF[pkg];
  return `install it: apt-get install ${pkg}${target ? ` (in a clone of lab: make ${target})` : ''}`;
};

/** `name` as the shell would find it on PATH, without starting it (under TCG a start costs 0.2-0.5 s). */
export const onPath = (name: string, path: string = process.env['PATH'] ?? ''): string | undefined =>
  path.split(':').filter(Boolean).map((dir) => join(dir, name)).find((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
