// A minimal bzImage header, as the image readers and --kernel PATH see one: setup_sects 1, the
// version string of `release`, an xz payload of 64 bytes.
export const fakeBzImage = (release = '6.1.0-57-amd64'): Buffer => {
  const b = Buffer.alloc(4096);
  b[0x1f1] = 1;
  b.write('HdrS', 0x202, 'latin1');
  b.writeUInt16LE(0x300 - 0x200, 0x20e);
  b.write(`${release} (debian-kernel@lists.debian.org) #1 SMP\0`, 0x300, 'latin1');
  b.writeUInt32LE(0x100, 0x248);
  b.writeUInt32LE(64, 0x24c);
  Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]).copy(b, 1024 + 0x100);
  return b;
};
