// A cpio archive in the "newc" format, the one the kernel unpacks as an initramfs.
// Written here rather than with cpio(1) so that building an initramfs needs no extra tool.

export interface CpioEntry {
  /** Path inside the archive, without a leading slash: `bin/busybox`. */
  name: string;
  /** File type and permission bits, e.g. 0o100755 for an executable, 0o40755 for a directory. */
  mode: number;
  /** File contents (for a symlink: its target); directories have none. */
  data?: Uint8Array;
}

export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;

const hex8 = (n: number): string => n.toString(16).padStart(8, '0');
const pad4 = (n: number): number => (4 - (n % 4)) % 4;

const header = (ino: number, name: string, mode: number, size: number): Buffer => {
  const nameBytes = Buffer.from(`${name}\0`);
  const fields = [ino, mode, 0, 0, 1, 0, size, 0, 0, 0, 0, nameBytes.length, 0].map(hex8).join('');
  const head = Buffer.from(`070701${fields}`);
  return Buffer.concat([head, nameBytes, Buffer.alloc(pad4(head.length + nameBytes.length))]);
};

/** The archive bytes: every entry, then the trailer. Parent directories must be listed before their files. */
export const cpioArchive = (entries: readonly CpioEntry[]): Buffer => {
  const parts: Buffer[] = [];
  entries.forEach((e, i) => {
    const data = e.data ? Buffer.from(e.data) : Buffer.alloc(0);
    parts.push(header(i + 1, e.name.replace(/^\/+/, ''), e.mode, data.length), data, Buffer.alloc(pad4(data.length)));
  });
  parts.push(header(0, 'TRAILER!!!', 0, 0));
  return Buffer.concat(parts);
};
