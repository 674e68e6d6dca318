// Kernels for the VM: Debian or Ubuntu packages fetched with `apt-get download`, extracted and cached, or
// a kernel the user points at. Each cached kernel is a directory under kernels/ that appears
// complete or not at all (built under a temporary name, renamed when done).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { basename, dirname, join, resolve } from 'node:path';
import { CapabilityError, UsageError } from '../../errors.js';
import type { Runner } from '../runner.js';
import { installHint } from '../packages.js';
import { bzImagePayload, bzImageVersion, hasPvhNote, isBzImage, releaseOf } from './bzimage.js';
import { KERNEL_META, kernelsDir, type KernelMeta } from './cache.js';
import { distroOf, META_PACKAGE, nearReleases, packagesOf, parseImageSearch, parseMetaDepends, SEARCH_PATTERN, type Distro } from './kernel-catalog.js';
import type { KernelSpec } from './kernel-spec.js';
import { hostPackageRelease, type HostKernelFacts } from './host-kernel.js';

export interface Kernel extends KernelMeta {
  /** The cache directory of this kernel (initramfs, console log). */
  dir: string;
}

export interface KernelContext {
  runner: Runner;
  cacheDir: string;
  /** Progress for slow steps (a download). */
  say(line: string): void;
  /** The running kernel and os-release, for `--kernel host` in a VM (tests give another machine's). */
  host?: HostKernelFacts;
}

/** Module trees that a network lab never loads; removed after extraction to keep the cache small. */
export const PRUNED_MODULE_DIRS = [
  'sound', 'drivers/gpu', 'drivers/media', 'drivers/infiniband', 'drivers/staging', 'drivers/scsi',
  'drivers/usb', 'drivers/iio', 'drivers/hid', 'drivers/input', 'drivers/bluetooth', 'drivers/isdn',
  'drivers/mtd', 'drivers/net/ethernet', 'drivers/net/wireless/intel', 'drivers/net/wireless/ath',
  'drivers/net/wireless/realtek', 'drivers/net/wireless/mediatek', 'drivers/net/wireless/broadcom',
  'drivers/net/wireless/marvell', 'drivers/net/wireless/ralink', 'drivers/net/wireless/ti',
];

const run = async (ctx: KernelContext, argv: string[], timeoutMs: number, cwd?: string) => {
  const r = await ctx.runner.run({ argv: cwd ? ['env', '-C', cwd, ...argv] : argv, timeoutMs });
  return r;
};

const failure = (what: string, r: { exitCode: number; stderr: string; timedOut: boolean }): string =>
  r.timedOut ? `${what} timed out` : `${what} failed (exit ${r.exitCode}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`;

const readMeta = (dir: string): Kernel | undefined => {
  try {
    const meta = JSON.parse(readFileSync(join(dir, KERNEL_META), 'utf8')) as KernelMeta;
    return existsSync(meta.image) ? { ...meta, dir } : undefined;
  } catch {
    return undefined;
  }
};

/** Every complete kernel in the cache, for `lab doctor`. */
export const cachedKernels = (cacheDir: string): Kernel[] => {
  const root = kernelsDir(cacheDir);
  let names: string[] = [];
  try {
    names = readdirSync(root).filter((n) => !n.startsWith('.'));
  } catch {
    return [];
  }
  return names.map((n) => readMeta(join(root, n))).filter((k): k is Kernel => k !== undefined);
};

/** The kernel for `spec`, fetched and prepared if it is not cached yet. */
export const ensureKernel = async (spec: KernelSpec, ctx: KernelContext): Promise<Kernel> => {
  switch (spec.kind) {
    case 'host':
      // Only a VM asks: the running kernel's own packages (host-kernel.ts).
      return ensurePackage(await hostPackageRelease(ctx.runner, ctx.host), ctx);
    case 'debian':
      return ensurePackage(await debianRelease(ctx), ctx);
    case 'ubuntu':
      return ensurePackage(await distroRelease('ubuntu', ctx), ctx);
    case 'release':
      return ensurePackage(spec.release, ctx);
    case 'path':
      return ensurePath(resolve(spec.path), ctx);
  }
};

/** apt's package lists: `apt-get update` replaces files in it, which changes its mtime. */
export const APT_LISTS = '/var/lib/apt/lists';
const releaseFile = (distro: Distro): string => `${distro}-release.json`;

/** Debian's current kernel release (linux-image-amd64). */
export const debianRelease = (ctx: KernelContext, lists: string = APT_LISTS): Promise<string> => distroRelease('debian', ctx, lists);

/**
 * A distribution's current kernel release, from its meta-package (linux-image-amd64 on Debian,
 * linux-image-generic on Ubuntu). The answer is kept until the package lists change: apt-cache
 * takes 1-2 s here, a good part of a wireless run's budget.
 */
export const distroRelease = async (distro: Distro, ctx: KernelContext, lists: string = APT_LISTS): Promise<string> => {
  const meta = META_PACKAGE[distro];
  let listsMtime: number | undefined;
  try {
    listsMtime = statSync(lists).mtimeMs;
  } catch {
    listsMtime = undefined;
  }
  const known = join(ctx.cacheDir, releaseFile(distro));
  if (listsMtime !== undefined) {
    try {
      const c = JSON.parse(readFileSync(known, 'utf8')) as { listsMtime?: number; release?: string };
      if (c.listsMtime === listsMtime && typeof c.release === 'string') return c.release;
    } catch {
      // Not asked yet.
    }
  }
  const r = await run(ctx, ['apt-cache', 'depends', meta], 30_000);
  const release = r.exitCode === 0 ? parseMetaDepends(r.stdout) : undefined;
  if (release) {
    if (listsMtime !== undefined) {
      mkdirSync(ctx.cacheDir, { recursive: true });
      writeFileSync(known, `${JSON.stringify({ listsMtime, release })}\n`);
    }
    return release;
  }
  // Offline, or no package lists: a cached kernel of that distribution still answers.
  const cached = cachedKernels(ctx.cacheDir).filter((k) => k.source.startsWith('linux-image-') && distroOf(k.release) === distro);
  const newest = cached.sort((a, b) => b.fetchedAt.localeCompare(a.fetchedAt))[0];
  if (newest) return newest.release;
  const name = distro === 'debian' ? 'Debian' : 'Ubuntu';
  throw new CapabilityError(
    `${name} kernel`,
    r.exitCode === 0 ? `apt-cache does not know ${meta}` : failure(`\`apt-cache depends ${meta}\``, r),
    `run \`apt-get update\` (${name} package lists with the ${meta} package are needed), or pass --kernel PATH`,
  );
};

/** Builds a cache entry under a temporary name and renames it into place; a concurrent builder's entry wins. */
const build = async (name: string, ctx: KernelContext, make: (tmp: string) => Promise<Omit<KernelMeta, 'fetchedAt'>>): Promise<Kernel> => {
  const final = join(kernelsDir(ctx.cacheDir), name);
  const done = readMeta(final);
  if (done) return done;
  mkdirSync(kernelsDir(ctx.cacheDir), { recursive: true });
  const tmp = join(kernelsDir(ctx.cacheDir), `.${name}.${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  try {
    const meta = await make(tmp);
    // Paths inside tmp become paths inside the final directory.
    const moved = (p: string | undefined) => (p?.startsWith(tmp) ? final + p.slice(tmp.length) : p);
    const full: KernelMeta = { ...meta, image: moved(meta.image) as string, fetchedAt: new Date().toISOString() };
    const modulesRoot = moved(meta.modulesRoot);
    if (modulesRoot !== undefined) full.modulesRoot = modulesRoot;
    writeFileSync(join(tmp, KERNEL_META), `${JSON.stringify(full, null, 2)}\n`);
    if (existsSync(final)) rmSync(final, { recursive: true, force: true });
    renameSync(tmp, final);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  const made = readMeta(final);
  if (!made) throw new Error(`kernel cache entry ${final} is incomplete`);
  return made;
};

/** The kernel releases the package lists offer (`lab kernels`, and the near misses of a wrong --kernel). */
export const offeredKernels = async (ctx: Pick<KernelContext, 'runner'>): Promise<ReturnType<typeof parseImageSearch>> => {
  const r = await ctx.runner.run({ argv: ['apt-cache', 'search', '--names-only', SEARCH_PATTERN], timeoutMs: 30_000 });
  return r.exitCode === 0 ? parseImageSearch(r.stdout) : [];
};

const ensurePackage = async (release: string, ctx: KernelContext): Promise<Kernel> =>
  build(release, ctx, async (tmp) => {
    const pkgs = packagesOf(release);
    ctx.say(`fetching ${pkgs.join(', ')} (apt-get download)…`);
    const r = await run(ctx, ['apt-get', 'download', '-q', '-o', 'APT::Sandbox::User=root', ...pkgs], 600_000, tmp);
    if (r.exitCode !== 0) {
      if (/Unable to locate package|has no installation candidate|Can't select/.test(r.stderr)) {
        const near = nearReleases(release, await offeredKernels(ctx));
        throw new UsageError(
          `--kernel ${release}: the package lists have no ${pkgs.join(' / ')}` +
            (near.length > 0 ? `; the nearest are ${near.join(', ')}` : '') + '; `lab kernels` lists what can be fetched (after apt-get update)',
        );
      }
      throw new CapabilityError('kernel download', failure(`\`apt-get download ${pkgs.join(' ')}\``, r), 'check that the package repositories are reachable and run `apt-get update`');
    }
    const debs = readdirSync(tmp).filter((n) => n.endsWith('.deb')).map((n) => join(tmp, n));
    if (debs.length !== pkgs.length) {
      throw new CapabilityError('kernel download', `apt-get download ${pkgs.join(' ')} left ${debs.length} .deb file(s), expected ${pkgs.length}`, 'run `apt-get update` and try again');
    }
    return extractDebs(debs, pkgs[0] as string, tmp, ctx);
  });

/** dpkg-deb -x, prune, depmod, vmlinux; the .deb is removed afterwards. */
const extractDeb = (deb: string, source: string, tmp: string, ctx: KernelContext): Promise<Omit<KernelMeta, 'fetchedAt'>> =>
  extractDebs([deb], source, tmp, ctx);

/**
 * The packages of one kernel extracted over each other (Ubuntu: image, modules, modules-extra),
 * then pruned, depmod'ed, vmlinux extracted; downloaded .debs are removed afterwards. A package
 * that keeps its modules in usr/lib/modules (merged /usr) has them moved to lib/modules, where
 * the guest binds them from.
 */
const extractDebs = async (debs: readonly string[], source: string, tmp: string, ctx: KernelContext): Promise<Omit<KernelMeta, 'fetchedAt'>> => {
  const root = join(tmp, 'root');
  for (const deb of debs) {
    ctx.say(`extracting ${basename(deb)}…`);
    const x = await run(ctx, ['dpkg-deb', '-x', deb, root], 300_000);
    if (x.exitCode !== 0) throw new CapabilityError('kernel package', failure(`\`dpkg-deb -x ${deb}\``, x), 'check that the file is a kernel package');
    if (deb.startsWith(tmp)) rmSync(deb, { force: true });
  }
  mergeUsrModules(root);
  const releases = existsSync(join(root, 'lib/modules')) ? readdirSync(join(root, 'lib/modules')) : [];
  const release = releases[0];
  const bz = release ? join(root, 'boot', `vmlinuz-${release}`) : undefined;
  if (!release || releases.length !== 1 || !bz || !existsSync(bz)) {
    throw new UsageError(`${source} is not a kernel image package: expected one boot/vmlinuz-RELEASE and lib/modules/RELEASE`);
  }
  for (const d of PRUNED_MODULE_DIRS) rmSync(join(root, 'lib/modules', release, 'kernel', d), { recursive: true, force: true });
  const dep = await run(ctx, ['depmod', '-b', root, release], 120_000);
  if (dep.exitCode !== 0) throw new CapabilityError('depmod', failure('depmod', dep), installHint('kmod'));
  return { release, source, image: await uncompressedOrSame(bz, tmp, ctx), modulesRoot: root };
};

/** ROOT/usr/lib/modules/R → ROOT/lib/modules/R (and usr/boot is not a thing, so boot/ stays). */
const mergeUsrModules = (root: string): void => {
  const usr = join(root, 'usr/lib/modules');
  if (existsSync(usr)) moveInto(usr, join(root, 'lib/modules'));
};

/** Moves the tree `from` into `to`, merging directories that both have (packages split one tree). */
const moveInto = (from: string, to: string): void => {
  if (!existsSync(to)) {
    mkdirSync(dirname(to), { recursive: true });
    renameSync(from, to);
    return;
  }
  for (const n of readdirSync(from)) moveInto(join(from, n), join(to, n));
  rmSync(from, { recursive: true, force: true });
};

/**
 * vmlinux extracted from the bzImage when the kernel can boot it directly (PVH); otherwise the
 * bzImage itself. Decompressing under TCG costs seconds on every boot, extracting it costs once.
 */
export const uncompressedOrSame = async (bzImage: string, tmp: string, ctx: KernelContext): Promise<string> => {
  const buf = readFileSync(bzImage);
  const payload = bzImagePayload(buf);
  if (!payload) return bzImage;
  const out = join(tmp, 'vmlinux');
  const data = buf.subarray(payload.offset, payload.offset + payload.length);
  let elf: Buffer | undefined;
  try {
    if (payload.format === 'gzip') elf = gunzipSync(data);
    else if (payload.format === 'xz' || payload.format === 'zstd') {
      writeFileSync(`${out}.z`, data);
      const tool = payload.format === 'xz' ? ['xz', '-dc', '--single-stream'] : ['zstd', '-dcq'];
      const r = await run(ctx, ['sh', '-c', `${tool.join(' ')} < "$1" > "$2"`, 'sh', `${out}.z`, out], 120_000);
      rmSync(`${out}.z`, { force: true });
      if (r.exitCode === 0 || existsSync(out)) elf = readFileSync(out);
    }
  } catch {
    elf = undefined;
  }
  if (!elf || !hasPvhNote(elf)) {
    rmSync(out, { force: true });
    return bzImage;
  }
  writeFileSync(out, elf);
  return out;
};

const digest = (text: string | Buffer): string => createHash('sha256').update(text).digest('hex').slice(0, 12);

const ensurePath = async (path: string, ctx: KernelContext): Promise<Kernel> => {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new UsageError(`--kernel ${path}: no such file or directory`);
  }
  if (st.isFile() && path.endsWith('.deb')) {
    return build(`deb-${digest(readFileSync(path))}`, ctx, (tmp) => extractDeb(path, path, tmp, ctx));
  }
  if (st.isDirectory()) {
    const modules = join(path, 'lib/modules');
    const releases = existsSync(modules) ? readdirSync(modules) : [];
    const images = existsSync(join(path, 'boot')) ? readdirSync(join(path, 'boot')).filter((n) => n.startsWith('vmlinuz-')) : [];
    const release = releases.length === 1 ? releases[0] : undefined;
    const image = images.length === 1 ? images[0] : release && images.includes(`vmlinuz-${release}`) ? `vmlinuz-${release}` : undefined;
    if (!release || !image) {
      throw new UsageError(`--kernel ${path}: a kernel directory holds boot/vmlinuz-RELEASE and lib/modules/RELEASE (an extracted linux-image package)`);
    }
    const bz = join(path, 'boot', image);
    requireModulesDep(path, release);
    return build(`dir-${digest(`${path}\0${statSync(bz).mtimeMs}`)}`, ctx, async (tmp) => ({
      release, source: path, image: await uncompressedOrSame(bz, tmp, ctx), modulesRoot: path,
    }));
  }
  const buf = readFileSync(path);
  const version = bzImageVersion(buf);
  if (!isBzImage(buf) || !version) {
    throw new UsageError(`--kernel ${path}: not a bzImage, a linux-image .deb, or an extracted package directory`);
  }
  const release = releaseOf(version);
  const modulesRoot = modulesBeside(path, release);
  return build(`img-${digest(modulesRoot === undefined ? buf : Buffer.concat([buf, Buffer.from(`\0${modulesRoot}`)]))}`, ctx, async (tmp) => ({
    release, source: path, image: await uncompressedOrSame(path, tmp, ctx), ...(modulesRoot !== undefined ? { modulesRoot } : {}),
  }));
};

/**
 * The root whose lib/modules/RELEASE belongs to the image at ROOT/boot/FILE: an installed kernel
 * (/boot/vmlinuz-R and /lib/modules/R) or one inside an extracted package. Undefined when there is
 * none: the image boots only if virtio, 9p and overlayfs are built in.
 */
export const modulesBeside = (image: string, release: string): string | undefined => {
  const root = dirname(dirname(image));
  if (basename(dirname(image)) !== 'boot' || !existsSync(join(root, 'lib/modules', release))) return undefined;
  requireModulesDep(root, release);
  return root;
};

/** Modules are found through modules.dep, which a package leaves to its postinst: `dpkg-deb -x` has none. */
const requireModulesDep = (root: string, release: string): void => {
  if (!existsSync(join(root, 'lib/modules', release, 'modules.dep'))) {
    throw new UsageError(
      `--kernel: ${join(root, 'lib/modules', release)} has no modules.dep; run \`depmod -b ${root} ${release}\` first (lab does not write into it)`,
    );
  }
};
