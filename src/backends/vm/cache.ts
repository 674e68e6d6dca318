// Where the VM backend keeps what it fetched and built: kernels (extracted packages, vmlinux,
// initramfs), the KVM answer, and the console log of each kernel's last boot.
import { join } from 'node:path';

/** LAB_CACHE_DIR overrides it (tests, non-root experiments). */
export const defaultCacheDir = (): string => process.env['LAB_CACHE_DIR'] ?? '/var/cache/netns-lab';

export const kernelsDir = (cacheDir: string): string => join(cacheDir, 'kernels');

/** What a cached kernel directory holds; written last, so a half-built directory has none. */
export const KERNEL_META = 'kernel.json';

export interface KernelMeta {
  /** `uname -r` inside the guest. */
  release: string;
  /** Where it came from: a Debian package name, or a path. */
  source: string;
  /** What QEMU's -kernel gets: an uncompressed vmlinux (PVH boot), or the bzImage. */
  image: string;
  /** The directory holding lib/modules/RELEASE, absent for a kernel without modules. */
  modulesRoot?: string;
  fetchedAt: string;
}
