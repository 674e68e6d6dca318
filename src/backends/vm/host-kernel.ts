// `--kernel host` in a VM (`--backend vm --kernel host`): the running kernel's own release, fetched
// from the distribution's archive like any other release. A hosted runner cannot boot another
// kernel, but can boot its own in QEMU; on a machine whose kernel was not installed from a
// Debian or Ubuntu package (this one's 6.18 is built elsewhere) there is nothing to fetch, and the
// run stops here (exit 3) saying so.
import { readFileSync } from 'node:fs';
import { release as osRelease } from 'node:os';
import { CapabilityError } from '../../errors.js';
import type { Runner } from '../runner.js';
import { distroOf, packagesOf, type Distro } from './kernel-catalog.js';

/** What decides which packages the running kernel is: `uname -r` and /etc/os-release. */
export interface HostKernelFacts {
  release: string;
  /** The text of /etc/os-release ('' when there is none). */
  osRelease: string;
}

export const hostKernelFacts = (): HostKernelFacts => {
  let text = '';
  try {
    text = readFileSync('/etc/os-release', 'utf8');
  } catch {
    text = '';
  }
  return { release: osRelease(), osRelease: text };
};

/** ID and ID_LIKE of an os-release file, lower case: ubuntu → ['ubuntu', 'debian']. */
export const osIds = (text: string): string[] => {
  const value = (key: string): string => {
    const m = new RegExp(`^${key}=("?)([^"\\n]*)\\1$`, 'm').exec(text);
    return (m?.[2] ?? '').toLowerCase();
  };
  return [value('ID'), ...value('ID_LIKE').split(/\s+/)].filter(Boolean);
};

export type HostKernelPlan =
  | { ok: true; release: string; distro: Distro; packages: string[] }
  | { ok: false; why: string };

const NAMING: Record<Distro, string> = {
  debian: "Debian's kernel packages are named for releases ending in -amd64, -cloud-amd64 or -rt-amd64",
  ubuntu: "Ubuntu's kernel packages are named for releases ending in -generic, -lowlatency or a cloud flavour (-azure, -aws, -gcp, -oracle, -kvm)",
};

/**
 * Which packages hold the running kernel (pure). The distribution is the host's (os-release: an
 * Ubuntu runner fetches from Ubuntu's archive, image + modules + modules-extra); the release must
 * be one that distribution names its packages after.
 */
export const hostKernelPlan = (facts: HostKernelFacts): HostKernelPlan => {
  const ids = osIds(facts.osRelease);
  const distro: Distro | undefined = ids[0] === 'ubuntu' || ids.includes('ubuntu') ? 'ubuntu' : ids.includes('debian') ? 'debian' : undefined;
  if (!distro) {
    return { ok: false, why: `the running kernel ${facts.release} is on ${ids[0] ?? 'an unknown system'}, not Debian or Ubuntu: lab fetches kernels from those archives only` };
  }
  if (distroOf(facts.release) !== distro) {
    return { ok: false, why: `the running kernel ${facts.release} is not a packaged ${distro === 'debian' ? 'Debian' : 'Ubuntu'} kernel (${NAMING[distro]}): it was built or installed another way, so the archive has nothing to fetch` };
  }
  return { ok: true, release: facts.release, distro, packages: packagesOf(facts.release) };
};

const REMEDY = 'boot another kernel: --kernel debian or ubuntu, a release (`lab kernels`), or the running kernel\'s image as a path (--kernel /boot/vmlinuz-RELEASE, with its lib/modules)';

/**
 * The release of the running kernel, once the package lists are seen to offer every package of
 * it (`apt-cache show`: an archive drops old releases, a runner's kernel can be newer than the
 * lists it was built with). The caller fetches it as any release.
 */
export const hostPackageRelease = async (runner: Runner, facts: HostKernelFacts = hostKernelFacts()): Promise<string> => {
  const plan = hostKernelPlan(facts);
  if (!plan.ok) throw new CapabilityError('--kernel host in a VM', plan.why, REMEDY);
  const missing: string[] = [];
  for (const pkg of plan.packages) {
    const r = await runner.run({ argv: ['apt-cache', 'show', '--no-all-versions', pkg], timeoutMs: 30_000 });
    if (r.exitCode !== 0 || !r.stdout.includes(`Package: ${pkg}`)) missing.push(pkg);
  }
  if (missing.length > 0) {
    throw new CapabilityError(
      '--kernel host in a VM',
      `the package lists have no ${missing.join(', ')} (the running kernel ${plan.release}: the archive dropped it, or the lists are older than it)`,
      `run \`apt-get update\`, or ${REMEDY}`,
    );
  }
  return plan.release;
};
