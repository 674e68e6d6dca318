// `--kernel host|debian|VERSION|PATH`: which kernel a run uses, before anything is fetched.
import { UsageError } from '../../errors.js';

export type KernelSpec =
  /** The running kernel, with the host backend. */
  | { kind: 'host' }
  /** Debian's current kernel: the one the linux-image-amd64 meta-package depends on. */
  | { kind: 'debian' }
  /** A Debian kernel package by release, e.g. 6.1.0-57-amd64 (package linux-image-6.1.0-57-amd64). */
  | { kind: 'release'; release: string }
  /** A kernel package file (.deb), an extracted package tree, or a bzImage. */
  | { kind: 'path'; path: string };

const RELEASE = /^\d+\.\d+[0-9a-z.+~-]*$/;
const FLAVOUR = /-(amd64|cloud-amd64|rt-amd64)$/;

export const KERNEL_SPEC_HINT =
  '--kernel takes host (the running kernel), debian (Debian\'s current kernel, in a VM), a Debian kernel ' +
  'release such as 6.1.0-57-amd64, or a path to a linux-image .deb, an extracted package tree or a bzImage';

export const parseKernelSpec = (text: string): KernelSpec => {
  const t = text.trim();
  if (t === 'host') return { kind: 'host' };
  if (t === 'debian') return { kind: 'debian' };
  if (t.includes('/') || t.endsWith('.deb')) return { kind: 'path', path: t };
  if (RELEASE.test(t)) return { kind: 'release', release: FLAVOUR.test(t) ? t : `${t}-amd64` };
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
  if (backend === 'vm' && unique.some((s) => s.kind === 'host')) {
    throw new UsageError('--backend vm boots a kernel in QEMU; --kernel host means the running kernel without a VM: leave out --backend to compare them');
  }
  return unique;
};

/** The Debian package that ships `release`. */
export const packageOf = (release: string): string => `linux-image-${release}`;

/** The release the meta-package depends on, from `apt-cache depends linux-image-amd64`. */
export const parseMetaDepends = (output: string): string | undefined =>
  /Depends:\s*linux-image-(\d[^\s]*)/.exec(output)?.[1];
