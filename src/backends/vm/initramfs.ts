// The initramfs: busybox (static, from Debian's busybox-static), the modules that reach the host
// root, and /init. Built once per kernel and cached next to it.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { CapabilityError } from '../../errors.js';
import type { Runner } from '../runner.js';
import { installHint } from '../packages.js';
import { isStaticElf } from './bzimage.js';
import { cpioArchive, S_IFDIR, S_IFREG, type CpioEntry } from './cpio.js';
import { initScript } from './guest.js';
import type { Kernel } from './kernels.js';

/** Modules /init loads itself, with their dependencies: enough to mount the host root. */
export const BOOT_MODULES = ['virtio_pci', '9pnet_virtio', '9p', 'overlay'] as const;

/**
 * Modules /init loads when the kernel has them: virtio_console carries the guest runner's
 * channel (a virtio-serial port). A kernel without it still boots; lab then runs inside (Node in
 * the guest), as before the guest runner.
 */
export const OPTIONAL_MODULES = ['virtio_console'] as const;

export const BUSYBOX = '/bin/busybox';

/** `insmod PATH` lines of `modprobe --show-depends`, in load order, each once; builtins are skipped. */
export const parseShowDepends = (output: string): string[] =>
  output
    .split('\n')
    .map((l) => /^insmod\s+(\S+)/.exec(l.trim())?.[1])
    .filter((p): p is string => p !== undefined);

/** The load order of `modules` and their dependencies, from the kernel's own modules.dep. */
export const bootModules = async (runner: Runner, kernel: Kernel): Promise<string[]> => {
  if (kernel.modulesRoot === undefined) return [];
  const order: string[] = [];
  for (const m of [...BOOT_MODULES, ...OPTIONAL_MODULES]) {
    const r = await runner.run({ argv: ['modprobe', '-d', kernel.modulesRoot, '-S', kernel.release, '--show-depends', m], timeoutMs: 10_000 });
    if (r.exitCode !== 0 && !/builtin/.test(r.stdout)) {
      if ((OPTIONAL_MODULES as readonly string[]).includes(m)) continue;
      throw new CapabilityError(
        `kernel ${kernel.release}`,
        `it has no module ${m} (${r.stderr.trim() || `modprobe exit ${r.exitCode}`}); the VM needs virtio PCI, 9p over virtio and overlayfs, as modules or built in`,
        'use a kernel with CONFIG_VIRTIO_PCI, CONFIG_NET_9P_VIRTIO, CONFIG_9P_FS and CONFIG_OVERLAY_FS',
      );
    }
    for (const p of parseShowDepends(r.stdout)) if (!order.includes(p)) order.push(p);
  }
  return order;
};

/** A module file as insmod wants it: uncompressed. */
const moduleBytes = async (runner: Runner, path: string): Promise<Buffer> => {
  if (path.endsWith('.ko')) return readFileSync(path);
  if (path.endsWith('.gz')) return gunzipSync(readFileSync(path));
  const tool = path.endsWith('.xz') ? 'xz' : path.endsWith('.zst') ? 'zstd' : undefined;
  if (!tool) throw new Error(`unknown module compression: ${path}`);
  const r = await runner.run({ argv: ['sh', '-c', `${tool} -dc < "$1" | base64 -w0`, 'sh', path], timeoutMs: 30_000 });
  if (r.exitCode !== 0) throw new CapabilityError(tool, `cannot decompress ${path}: ${r.stderr.trim()}`, installHint(tool === 'xz' ? 'xz-utils' : 'zstd'));
  return Buffer.from(r.stdout.trim(), 'base64');
};

export const moduleName = (path: string): string => basename(path).replace(/\.ko(\.(xz|gz|zst))?$/, '.ko');

/** The cached initramfs of `kernel`, built when missing. */
export const ensureInitramfs = async (runner: Runner, kernel: Kernel): Promise<string> => {
  let busybox: Buffer;
  try {
    busybox = readFileSync(BUSYBOX);
  } catch {
    busybox = Buffer.alloc(0);
  }
  if (!isStaticElf(busybox)) {
    throw new CapabilityError('busybox-static', `${BUSYBOX} is missing or not statically linked`, installHint('busybox-static'));
  }
  const modules = await bootModules(runner, kernel);
  const names = modules.map(moduleName);
  const init = initScript({ modules: names, ...(kernel.modulesRoot !== undefined ? { modulesRoot: kernel.modulesRoot } : {}) });
  const key = createHash('sha256').update(init).update(busybox).update(modules.join('\n')).digest('hex').slice(0, 12);
  const file = join(kernel.dir, `initramfs-${key}.cpio`);
  if (existsSync(file)) return file;
  const dirs = ['bin', 'dev', 'proc', 'sys', 'tmp', 'modules', 'lower', 'upper', 'newroot'];
  const entries: CpioEntry[] = [
    ...dirs.map((name) => ({ name, mode: S_IFDIR | 0o755 })),
    { name: 'init', mode: S_IFREG | 0o755, data: Buffer.from(init) },
    { name: 'bin/busybox', mode: S_IFREG | 0o755, data: busybox },
  ];
  for (const [i, path] of modules.entries()) {
    entries.push({ name: `modules/${names[i]}`, mode: S_IFREG | 0o644, data: await moduleBytes(runner, path) });
  }
  const tmp = `${file}.${process.pid}`;
  // Uncompressed: the kernel unpacks it faster than it would gunzip it under TCG.
  writeFileSync(tmp, cpioArchive(entries));
  renameSync(tmp, file);
  return file;
};
