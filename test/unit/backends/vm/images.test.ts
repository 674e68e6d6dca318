// The initramfs archive and the kernel image readers, on bytes built here.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bzImagePayload, bzImageVersion, hasPvhNote, isStaticElf, releaseOf } from '../../../../src/backends/vm/bzimage.js';
import { cpioArchive, S_IFDIR, S_IFREG } from '../../../../src/backends/vm/cpio.js';
import { parseShowDepends, moduleName } from '../../../../src/backends/vm/initramfs.js';
import { fakeBzImage } from './fake-kernel.js';
import { tempDir } from '../../../tmp.js';

t.test('cpio(1) reads the archive back: names, modes and contents', async (t) => {
  const dir = tempDir('lab-cpio-');
  const archive = cpioArchive([
    { name: 'bin', mode: S_IFDIR | 0o755 },
    { name: 'init', mode: S_IFREG | 0o755, data: Buffer.from('#!/bin/sh\necho hi\n') },
    { name: 'bin/odd-size', mode: S_IFREG | 0o644, data: Buffer.from('12345') },
  ]);
  writeFileSync(join(dir, 'a.cpio'), archive);
  const listing = execFileSync('cpio', ['-itv', '--quiet', '-F', join(dir, 'a.cpio')], { encoding: 'utf8' });
  t.match(listing, /drwxr-xr-x .* bin\n/);
  t.match(listing, /-rwxr-xr-x .* 18 .* init\n/);
  t.match(listing, /-rw-r--r-- .* 5 .* bin\/odd-size\n/);
  execFileSync('cpio', ['-idm', '--quiet', '-F', join(dir, 'a.cpio')], { cwd: dir });
  t.equal(readFileSync(join(dir, 'bin/odd-size'), 'utf8'), '12345');
  t.equal(readFileSync(join(dir, 'init'), 'utf8'), '#!/bin/sh\necho hi\n');
});

t.test('a bzImage tells its release and where its compressed kernel is', async (t) => {
  const b = fakeBzImage();
  t.equal(releaseOf(bzImageVersion(b) ?? ''), '6.1.0-57-amd64');
  t.strictSame(bzImagePayload(b), { offset: 1024 + 0x100, length: 64, format: 'xz' });
  t.equal(bzImagePayload(Buffer.alloc(4096)), undefined, 'not a bzImage');
});

t.test('ELF checks: static busybox, no PVH note in an ordinary executable', async (t) => {
  t.equal(isStaticElf(readFileSync(process.execPath)), false, 'node is dynamically linked');
  t.equal(isStaticElf(Buffer.from('not an elf')), false);
  t.equal(hasPvhNote(readFileSync(process.execPath)), false);
});

t.test('module load order from modprobe --show-depends', async (t) => {
  t.strictSame(parseShowDepends([
    'insmod /k/lib/modules/6.1/kernel/net/9p/9pnet.ko ',
    'builtin virtio',
    'insmod /k/lib/modules/6.1/kernel/fs/9p/9p.ko.xz opt=1',
  ].join('\n')), ['/k/lib/modules/6.1/kernel/net/9p/9pnet.ko', '/k/lib/modules/6.1/kernel/fs/9p/9p.ko.xz']);
  t.equal(moduleName('/k/9p.ko.xz'), '9p.ko');
  t.equal(moduleName('/k/9pnet_virtio.ko.zst'), '9pnet_virtio.ko');
});
