// --kernel PATH: a bzImage alone, a bzImage with its modules beside it (/boot/vmlinuz-R and
// /lib/modules/R), an extracted package directory. Real files, a runner that can do nothing (so no
// vmlinux is extracted from the fake image and the image itself is what boots).
import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { debianRelease, ensureKernel } from '../../../../src/backends/vm/kernels.js';
import type { Runner } from '../../../../src/backends/runner.js';
import { UsageError } from '../../../../src/errors.js';
import { fakeBzImage } from './fake-kernel.js';

/** A temporary directory, removed when the file's tests are done. */
const scratch = (prefix: string): string => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

const RELEASE = '6.1.0-57-amd64';

const nothing: Runner = {
  async run(cmd) {
    return { argv: cmd.argv, exitCode: 1, stdout: '', stderr: 'not here', durationMs: 0, timedOut: false };
  },
  start() {
    throw new Error('not used');
  },
};

/** ROOT/boot/vmlinuz-R, and ROOT/lib/modules/R (with modules.dep when `depmod`). */
const kernelTree = (modules: 'none' | 'bare' | 'depmod'): string => {
  const root = scratch('lab-kernel-path-');
  mkdirSync(join(root, 'boot'));
  writeFileSync(join(root, 'boot', `vmlinuz-${RELEASE}`), fakeBzImage(RELEASE));
  if (modules !== 'none') mkdirSync(join(root, 'lib/modules', RELEASE, 'kernel'), { recursive: true });
  if (modules === 'depmod') writeFileSync(join(root, 'lib/modules', RELEASE, 'modules.dep'), '');
  return root;
};

const ctx = () => ({ runner: nothing, cacheDir: scratch('lab-kernel-cache-'), say: () => undefined });

t.test('a bzImage alone: its release from its header, no modules', async (t) => {
  const root = kernelTree('none');
  const image = join(root, 'boot', `vmlinuz-${RELEASE}`);
  const k = await ensureKernel({ kind: 'path', path: image }, ctx());
  t.match(k, { release: RELEASE, source: image, image });
  t.equal(k.modulesRoot, undefined);
});

t.test('a bzImage in boot/ next to lib/modules/RELEASE brings its modules (an installed kernel)', async (t) => {
  const root = kernelTree('depmod');
  const image = join(root, 'boot', `vmlinuz-${RELEASE}`);
  const c = ctx();
  const k = await ensureKernel({ kind: 'path', path: image }, c);
  t.match(k, { release: RELEASE, modulesRoot: root });
  t.strictSame(await ensureKernel({ kind: 'path', path: image }, c), k, 'cached');
  const dir = await ensureKernel({ kind: 'path', path: root }, c);
  t.match(dir, { release: RELEASE, modulesRoot: root, source: root }, 'the package directory itself');
});

t.test('modules without modules.dep (dpkg-deb -x): lab says which depmod to run and writes nothing there', async (t) => {
  const root = kernelTree('bare');
  const image = join(root, 'boot', `vmlinuz-${RELEASE}`);
  await t.rejects(ensureKernel({ kind: 'path', path: image }, ctx()), new UsageError(
    `--kernel: ${join(root, 'lib/modules', RELEASE)} has no modules.dep; run \`depmod -b ${root} ${RELEASE}\` first (lab does not write into it)`,
  ));
  await t.rejects(ensureKernel({ kind: 'path', path: root }, ctx()), /has no modules\.dep/);
});

t.test('what is not a kernel says what would be', async (t) => {
  const dir = scratch('lab-kernel-path-');
  writeFileSync(join(dir, 'notes.txt'), 'hello');
  await t.rejects(ensureKernel({ kind: 'path', path: join(dir, 'notes.txt') }, ctx()), /not a bzImage, a linux-image \.deb, or an extracted package directory/);
  await t.rejects(ensureKernel({ kind: 'path', path: join(dir, 'missing') }, ctx()), /no such file or directory/);
  await t.rejects(ensureKernel({ kind: 'path', path: dir }, ctx()), /a kernel directory holds boot\/vmlinuz-RELEASE and lib\/modules\/RELEASE/);
});

t.test("Debian's current release is asked of apt-cache once per state of the package lists", async (t) => {
  const lists = scratch('lab-apt-lists-');
  const asked: string[][] = [];
  const apt: Runner = {
    async run(cmd) {
      asked.push([...cmd.argv]);
      return { argv: cmd.argv, exitCode: 0, stdout: 'linux-image-amd64\n  Depends: linux-image-6.1.0-57-amd64\n', stderr: '', durationMs: 0, timedOut: false };
    },
    start() {
      throw new Error('not used');
    },
  };
  const c = { ...ctx(), runner: apt };
  t.equal(await debianRelease(c, lists), '6.1.0-57-amd64');
  t.equal(await debianRelease(c, lists), '6.1.0-57-amd64');
  t.equal(asked.length, 1, 'the second answer from the cache');
  // apt-get update: new lists, asked again.
  utimesSync(lists, new Date(), new Date(Date.now() + 5_000));
  await debianRelease(c, lists);
  t.equal(asked.length, 2);
});
