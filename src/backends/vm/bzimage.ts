// Reading a kernel image: its version string, and the compressed vmlinux inside a bzImage.
//
// QEMU boots an uncompressed vmlinux through PVH without decompressing it first. Under TCG the
// decompression of a bzImage takes seconds (measured: 8 s for Debian's xz-compressed 6.1 kernel),
// so the VM backend extracts vmlinux once and caches it.

type PayloadFormat = 'gzip' | 'xz' | 'zstd' | 'lzma' | 'lz4' | 'bzip2' | 'lzo';

interface Payload {
  offset: number;
  length: number;
  format: PayloadFormat;
}

const MAGICS: [PayloadFormat, number[]][] = [
  ['gzip', [0x1f, 0x8b]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
  ['bzip2', [0x42, 0x5a, 0x68]],
  ['lz4', [0x02, 0x21, 0x4c, 0x18]],
  ['lzo', [0x89, 0x4c, 0x5a, 0x4f]],
  ['lzma', [0x5d, 0x00, 0x00]],
];

/** Whether `buf` is a bzImage: the "HdrS" boot protocol signature at 0x202. */
export const isBzImage = (buf: Uint8Array): boolean =>
  buf.length > 0x260 && Buffer.from(buf.subarray(0x202, 0x206)).toString('latin1') === 'HdrS';

/** The version string a bzImage carries (`6.1.0-57-amd64 (debian-kernel@…) #1 SMP …`), if any. */
export const bzImageVersion = (buf: Uint8Array): string | undefined => {
  if (!isBzImage(buf)) return undefined;
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const pointer = b.readUInt16LE(0x20e);
  if (pointer === 0) return undefined;
  const start = pointer + 0x200;
  const end = b.indexOf(0, start);
  if (end < 0 || end - start > 512) return undefined;
  return b.subarray(start, end).toString('latin1');
};

/** The release (`uname -r`) from a version string: its first word. */
export const releaseOf = (version: string): string => version.split(' ')[0] ?? version;

/** Where the compressed kernel sits inside a bzImage (boot protocol 2.08+), and how it is compressed. */
export const bzImagePayload = (buf: Uint8Array): Payload | undefined => {
  if (!isBzImage(buf)) return undefined;
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const setupSects = b[0x1f1] || 4;
  const base = (setupSects + 1) * 512;
  const offset = base + b.readUInt32LE(0x248);
  const length = b.readUInt32LE(0x24c);
  if (length === 0 || offset + length > b.length) return undefined;
  const format = MAGICS.find(([, magic]) => magic.every((byte, i) => b[offset + i] === byte))?.[0];
  return format ? { offset, length, format } : undefined;
};

/** Offsets of the program headers of a little-endian ELF64 file; undefined when it is not one. */
const programHeaders = (b: Buffer): number[] | undefined => {
  if (b.length < 64 || b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2 || b[5] !== 1) return undefined;
  const phoff = Number(b.readBigUInt64LE(0x20));
  const phentsize = b.readUInt16LE(0x36);
  return Array.from({ length: b.readUInt16LE(0x38) }, (_, i) => phoff + i * phentsize);
};

/**
 * Whether an ELF vmlinux has the Xen PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY), which QEMU
 * needs to boot it directly. Kernels built without CONFIG_PVH lack it.
 */
export const hasPvhNote = (elf: Uint8Array): boolean => {
  const b = Buffer.from(elf.buffer, elf.byteOffset, elf.byteLength);
  for (const ph of programHeaders(b) ?? []) {
    if (ph + 56 > b.length || b.readUInt32LE(ph) !== 4 /* PT_NOTE */) continue;
    let at = Number(b.readBigUInt64LE(ph + 8));
    const end = at + Number(b.readBigUInt64LE(ph + 32));
    while (at + 12 <= end && end <= b.length) {
      const namesz = b.readUInt32LE(at);
      const descsz = b.readUInt32LE(at + 4);
      const type = b.readUInt32LE(at + 8);
      const name = b.subarray(at + 12, at + 12 + Math.max(0, namesz - 1)).toString('latin1');
      if (name === 'Xen' && type === 18) return true;
      at += 12 + Math.ceil(namesz / 4) * 4 + Math.ceil(descsz / 4) * 4;
    }
  }
  return false;
};

/** Whether a file is a statically linked ELF executable (no PT_INTERP program header). */
export const isStaticElf = (elf: Uint8Array): boolean => {
  const b = Buffer.from(elf.buffer, elf.byteOffset, elf.byteLength);
  const headers = programHeaders(b);
  if (!headers) return false;
  return !headers.some((ph) => ph + 4 <= b.length && b.readUInt32LE(ph) === 3 /* PT_INTERP */);
};
