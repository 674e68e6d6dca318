// `--kernel host|debian|VERSION|PATH`: which kernel a run uses, before anything is fetched.
import { UsageError } from '../../errors.js';
import { distroOf } from './kernel-catalog.js';

export { parseMetaDepends } from './kernel-catalog.js';

export type KernelSpec =
  /** The running kernel: the host backend, or (`--backend vm`) its own packages in a VM. */
  | { kind: 'host'; vm?: true }
  /** Debian's current kernel: the one the linux-image-amd64 meta-package depends on. */
  | { kind: 'debian' }
  /** Ubuntu's current kernel: the one the linux-image-generic meta-package depends on. */
  | { kind: 'ubuntu' }
  /**
   * A kernel by release: Debian's (6.1.0-57-amd64, 6.12.118+deb12-amd64: package linux-image-R) or
   * Ubuntu's (6.8.0-49-generic: linux-image-R, linux-modules-R, linux-modules-extra-R).
   */
  | { kind: 'release'; release: string }
  /** A kernel package file (.deb), an extracted package tree, or a bzImage. */
  | { kind: 'path'; path: string };

const RELEASE = /^\d+\.\d+[0-9a-z.+~-]*$/;

export const KERNEL_SPEC_HINT =
  '--kernel takes host (the running kernel), debian or ubuntu (that distribution\'s current kernel, in a VM), ' +
  'a kernel release such as 6.1.0-57-amd64, 6.12.118+deb12-amd64 or 6.8.0-49-generic (`lab kernels` lists them), or a path to a linux-image .deb, an extracted package tree or a bzImage';

export const parseKernelSpec = (text: string): KernelSpec => {
  const t = text.trim();
  if (t === 'host') return { kind: 'host' };
  if (t === 'debian') return { kind: 'debian' };
  if (t === 'ubuntu') return { kind: 'ubuntu' };
  if (t.includes('/') || t.endsWith('.deb')) return { kind: 'path', path: t };
  if (RELEASE.test(t)) return { kind: 'release', release: distroOf(t) ? t : `${t}-amd64` };
  throw new UsageError(`--kernel ${JSON.stringify(text)} is not a kernel; ${KERNEL_SPEC_HINT}`);
};

export const formatKernelSpec = (spec: KernelSpec): string =>
  spec.kind === 'release' ? spec.release : spec.kind === 'path' ? spec.path : spec.kind;

/**
 * The kernels of a run, in order, each once. Without --kernel: the running kernel for the host
 * backend, Debian's for the VM backend. `--backend host` with a kernel other than host is a
 * contradiction; a kernel other than host implies the VM backend.
 */
export const kernelsOfRun = (backend: 'host' | 'vm' | undefined, kernels: readonly string[]): KernelSpec[] => {
  const specs = kernels.map(parseKernelSpec);
  const seen = new Set<string>();
  const unique = specs.filter((s) => {
    const key = formatKernelSpec(s);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  if (unique.length === 0) return [backend === 'vm' ? { kind: 'debian' } : { kind: 'host' }];
  if (backend === 'host') {
    const other = unique.find((s) => s.kind !== 'host');
    if (other) {
      throw new UsageError(
        `--backend host runs on the running kernel only; --kernel ${formatKernelSpec(other)} needs --backend vm ` +
          '(or leave --backend out: a kernel other than host implies the VM)',
      );
    }
  }
  // --backend vm --kernel host: the running kernel's release, fetched from its archive, in a VM.
  if (backend === 'vm') return unique.map((s) => (s.kind === 'host' ? { kind: 'host', vm: true } : s));
  return unique;
};

/** Whether a kernel of the run boots a VM (every one but the host kernel on the host backend). */
export const needsVm = (spec: KernelSpec): boolean => spec.kind !== 'host' || spec.vm === true;

/** The image package of `release` (Ubuntu's modules are in more packages: packagesOf). */
export const packageOf = (release: string): string => `linux-image-${release}`;
