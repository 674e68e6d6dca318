// Which distribution a kernel release belongs to, which packages make it up, and what the package
// lists offer: pure functions over release strings and recorded `apt-cache` output.

export type Distro = 'debian' | 'ubuntu';

/** A kernel the package lists offer (or the cache holds), by release. */
export interface CatalogKernel {
  /** `uname -r` of the kernel, e.g. 6.12.118+deb12-amd64 or 6.8.0-49-generic. */
  release: string;
  /** major.minor: 6.1, 6.12, 6.8. */
  series: string;
  distro: Distro;
  /** amd64, cloud-amd64, rt-amd64 (Debian); generic, lowlatency (Ubuntu). */
  flavour: string;
  /** The image package: linux-image-RELEASE. */
  package: string;
}

/** The meta-package whose dependency names the distribution's current kernel. */
export const META_PACKAGE: Record<Distro, string> = { debian: 'linux-image-amd64', ubuntu: 'linux-image-generic' };

/** Flavours lab boots by default; cloud/rt (Debian) and lowlatency (Ubuntu) are accepted by exact release. */
const DEBIAN_FLAVOUR = /-(amd64|cloud-amd64|rt-amd64)$/;
/** Ubuntu's cloud kernels too: a hosted GitHub runner runs -azure (`--kernel host` in a VM fetches it). */
const UBUNTU_FLAVOUR = /-(generic|lowlatency|azure|aws|gcp|oracle|kvm)$/;

/** Ubuntu names its kernels ...-generic; Debian ...-amd64. */
export const distroOf = (release: string): Distro | undefined =>
  DEBIAN_FLAVOUR.test(release) ? 'debian' : UBUNTU_FLAVOUR.test(release) ? 'ubuntu' : undefined;

/** amd64, cloud-amd64, rt-amd64 (Debian); generic, lowlatency, azure, aws, gcp, oracle, kvm (Ubuntu). */
export const flavourOf = (release: string): string | undefined => /-((?:cloud-|rt-)?amd64|generic|lowlatency|azure|aws|gcp|oracle|kvm)$/.exec(release)?.[1];

export const seriesOf = (release: string): string => /^(\d+\.\d+)/.exec(release)?.[1] ?? release;

/**
 * The packages that together hold vmlinuz and lib/modules of `release`. Debian ships both in the
 * image package; Ubuntu splits the modules into linux-modules-R and linux-modules-extra-R (the
 * latter has mac80211_hwsim and most of net/).
 */
export const packagesOf = (release: string): string[] =>
  distroOf(release) === 'ubuntu'
    ? [`linux-image-${release}`, `linux-modules-${release}`, `linux-modules-extra-${release}`]
    : [`linux-image-${release}`];

/**
 * The `apt-cache search --names-only` pattern for the image packages of the default flavours.
 * A versioned release has a digit after major.minor; meta-packages such as linux-image-6.12-amd64 do not.
 */
export const SEARCH_PATTERN = '^linux-image-[0-9].*-(amd64|generic)$';

const SEARCH_LINE = /^linux-image-(\d+\.\d+[.-]\d[^\s]*)\s+-\s/;

/** Release order: numeric where both sides are numbers (6.12.9 before 6.12.100, 6.1 before 6.12). */
export const compareReleases = (a: string, b: string): number => {
  const pa = a.split(/([0-9]+)/);
  const pb = b.split(/([0-9]+)/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '';
    const y = pb[i] ?? '';
    if (x === y) continue;
    const nx = /^\d+$/.test(x);
    const ny = /^\d+$/.test(y);
    if (nx && ny) return Number(x) - Number(y);
    return x < y ? -1 : 1;
  }
  return 0;
};

/** The versioned kernel image packages in `apt-cache search` output, oldest first, each once. */
export const parseImageSearch = (output: string): CatalogKernel[] => {
  const seen = new Map<string, CatalogKernel>();
  for (const line of output.split('\n')) {
    const release = SEARCH_LINE.exec(line.trim())?.[1];
    const distro = release ? distroOf(release) : undefined;
    const flavour = release ? flavourOf(release) : undefined;
    if (!release || !distro || !flavour) continue;
    seen.set(release, { release, series: seriesOf(release), distro, flavour, package: `linux-image-${release}` });
  }
  return [...seen.values()].sort((a, b) => compareReleases(a.release, b.release));
};

/** The release a meta-package depends on, from `apt-cache depends linux-image-amd64|generic`. */
export const parseMetaDepends = (output: string): string | undefined =>
  /Depends:\s*linux-image-(\d[^\s]*)/.exec(output)?.[1];

/** Near misses for an unknown release: the same series and flavour, newest first, a few. */
export const nearReleases = (release: string, offered: readonly CatalogKernel[], max = 4): string[] => {
  const flavour = flavourOf(release);
  return offered
    .filter((k) => k.series === seriesOf(release) && flavourOf(k.release) === flavour)
    .map((k) => k.release)
    .sort((a, b) => compareReleases(b, a))
    .slice(0, max);
};

/** One row of `lab kernels`: a kernel the package lists offer, the cache holds, or both. */
export interface CatalogRow {
  release: string;
  series: string;
  /** Undefined for a cached kernel given as a path (--kernel PATH). */
  distro?: Distro;
  flavour?: string;
  /** The package lists offer it: `--kernel RELEASE` fetches it. */
  fetchable: boolean;
  /** Fetched (or prepared from a path) already: `--kernel` boots it without a download. */
  cached: boolean;
  /** Where a cached kernel came from: a package name, or the path it was given as. */
  source?: string;
}

/** Default flavours: the ones a network lab boots; the others are shown with --all. */
const DEFAULT_FLAVOURS = new Set(['amd64', 'generic']);

/**
 * The offered and the cached kernels as one list, by release. Cached kernels are always shown;
 * offered ones of other flavours (cloud, rt, lowlatency) only with `all`.
 */
export const kernelCatalog = (
  offered: readonly CatalogKernel[],
  cached: readonly { release: string; source: string }[],
  all = false,
): CatalogRow[] => {
  const rows = new Map<string, CatalogRow>();
  for (const k of offered) {
    if (!all && !DEFAULT_FLAVOURS.has(k.flavour)) continue;
    rows.set(k.release, { release: k.release, series: k.series, distro: k.distro, flavour: k.flavour, fetchable: true, cached: false });
  }
  for (const c of cached) {
    // A path kernel and a package kernel of one release are two rows: they are two cache entries.
    const fromPackage = c.source.startsWith('linux-image-');
    const key = fromPackage ? c.release : `${c.release}\0${c.source}`;
    const had = rows.get(key);
    if (had) {
      rows.set(key, { ...had, cached: true, source: c.source });
      continue;
    }
    const distro = fromPackage ? distroOf(c.release) : undefined;
    const flavour = fromPackage ? flavourOf(c.release) : undefined;
    rows.set(key, {
      release: c.release, series: seriesOf(c.release), ...(distro ? { distro } : {}), ...(flavour ? { flavour } : {}),
      fetchable: false, cached: true, source: c.source,
    });
  }
  return [...rows.values()].sort((a, b) => compareReleases(a.release, b.release) || (a.source ?? '').localeCompare(b.source ?? ''));
};
