// `lab doctor` rows for what is optional on the host backend: wireless on this kernel, tracefs,
// and the VM backend (QEMU, KVM or TCG, busybox-static, cached kernels). Cheap: nothing is booted.
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import type { Capability } from '../capabilities.js';
import type { Runner } from '../runner.js';
import { hwsimCapability } from '../wireless/support.js';
import { cachedAccel, kvmUsable, qemuVersion } from './accel.js';
import { isStaticElf } from './bzimage.js';
import { BUSYBOX } from './initramfs.js';
import { cachedKernels } from './kernels.js';
import { installHint, onPath } from '../packages.js';

export const optionalCapabilities = async (runner: Runner, cacheDir: string): Promise<Capability[]> => {
  const hwsim = await hwsimCapability(runner, false);
  const tracefs = ['/sys/kernel/tracing/trace', '/sys/kernel/debug/tracing/trace'].find((p) => existsSync(p));
  const qemu = await qemuVersion(runner);
  let busybox = false;
  try {
    busybox = isStaticElf(readFileSync(BUSYBOX));
  } catch {
    busybox = false;
  }
  const kvmProblem = kvmUsable();
  const answer = qemu ? cachedAccel(cacheDir, release(), qemu) : undefined;
  const accel: Capability = kvmProblem
    ? { name: 'VM acceleration', ok: true, detail: `TCG (${kvmProblem})`, remedy: '' }
    : answer
      ? { name: 'VM acceleration', ok: true, detail: `${answer.accel.toUpperCase()} (${answer.reason}; checked ${answer.checkedAt})`, remedy: '' }
      : { name: 'VM acceleration', ok: true, detail: '/dev/kvm is there; the first VM run tries it and falls back to TCG', remedy: '' };
  const kernels = cachedKernels(cacheDir);
  // Tools only some runs need, each with the package and make target that bring it.
  const tools: [tool: string, pkg: string, use: string][] = [
    ['ping', 'iputils-ping', 'ICMP probes'],
    ['tcpdump', 'tcpdump', 'pcaps (--out)'],
    ['iw', 'iw', 'wireless links'],
    ['hostapd', 'hostapd', 'wireless mode ap'],
    ['wpa_supplicant', 'wpasupplicant', 'wireless mode ap'],
    ['depmod', 'kmod', 'the VM backend, hwsim'],
  ];
  const toolRows = tools.map(([tool, pkg, use]): Capability => {
    const found = onPath(tool);
    return { name: tool, ok: found !== undefined, detail: found ? `${found} (${use})` : `not installed: ${use} need it`, remedy: installHint(pkg) };
  });
  return [
    ...toolRows,
    { ...hwsim, name: 'hwsim (host kernel)' },
    {
      name: 'tracefs',
      ok: tracefs !== undefined,
      detail: tracefs ? `mounted (${tracefs.replace(/\/trace$/, '')})` : 'not mounted: drop reasons (--explain) need it',
      remedy: 'mount -t tracefs nodev /sys/kernel/tracing',
    },
    { name: 'qemu', ok: qemu !== undefined, detail: qemu ?? 'qemu-system-x86_64 is not installed: no VM backend', remedy: installHint('qemu-system-x86') },
    accel,
    { name: 'busybox-static', ok: busybox, detail: busybox ? `${BUSYBOX} (static)` : `${BUSYBOX} is missing or dynamic: no VM initramfs`, remedy: installHint('busybox-static') },
    {
      name: 'cached kernels',
      ok: true,
      detail: kernels.length
        ? kernels.map((k) => `${k.release} (${k.source})`).join(', ') + ` in ${cacheDir}`
        : `none in ${cacheDir} (lab run --kernel debian fetches one)`,
      remedy: '',
    },
  ];
};
