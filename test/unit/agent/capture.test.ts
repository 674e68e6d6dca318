// The pcap the radio media's capture writes (src/agent/capture.pl, its pure subs): the frames of
// captures tcpdump wrote on a monitor radio in a VM (test/unit/probes/fixtures), written again by
// the program, read by lab's parser as the same frames at the same times. The capture itself
// (packet socket, timestamps, against tcpdump on one device) is test/integration/packet-capture.test.ts.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKET_CAPTURE } from '../../../src/agent/programs.js';
import { parseRadiotapPcap } from '../../../src/probes/radiotap.js';

const fixture = (name: string): Buffer => readFileSync(join(import.meta.dirname, '..', 'probes', 'fixtures', name));

/** The program's subs (main not run), then `code`, with `input` on stdin; stdout as bytes. */
const withSubs = (code: string, input = '') =>
  spawnSync('perl', ['-e', `${PACKET_CAPTURE.replace(/\nmain\(@ARGV\) unless caller;\n$/, '\n')}${code}`], { input });

/** A classic µs pcap's records (little-endian, as tcpdump wrote the fixtures): seconds, µs, the frame. */
const records = (file: Buffer): { sec: number; usec: number; frame: Buffer }[] => {
  const out = [];
  for (let at = 24; at + 16 <= file.length; ) {
    const len = file.readUInt32LE(at + 8);
    out.push({ sec: file.readUInt32LE(at), usec: file.readUInt32LE(at + 4), frame: file.subarray(at + 16, at + 16 + len) });
    at += 16 + len;
  }
  return out;
};

for (const name of ['medium-mesh.pcap', 'medium-ap.pcap']) {
  t.test(`${name}, written again by the capture: the same frames at the same times`, async (t) => {
    const original = fixture(name);
    t.equal(original.readUInt32LE(0), 0xa1b2c3d4, 'the fixture is a µs pcap');
    const lines = records(original).map((r) => `${r.sec} ${r.usec * 1000} ${r.frame.toString('hex')}`).join('\n');
    const r = withSubs('binmode STDOUT; print pcap_header(127); while (<STDIN>) { chomp; my ($s, $n, $h) = split / /; print pcap_record($s, $n, pack("H*", $h)) }', `${lines}\n`);
    t.equal(r.status, 0, r.stderr.toString());
    const written = r.stdout;
    t.equal(written.readUInt32LE(0), 0xa1b23c4d, 'nanosecond magic');
    t.equal(written.readUInt32LE(20), 127, 'radiotap link type');
    t.equal(written.readUInt32LE(16), 262144, 'snapshot length');
    const frames = parseRadiotapPcap(written);
    t.ok(frames.length > 0);
    t.same(frames, parseRadiotapPcap(original));
  });
}

t.test('a frame longer than the snapshot length is cut there and keeps its length', async (t) => {
  const r = withSubs('binmode STDOUT; print pcap_record(1, 2, "x" x 262150)');
  const out = r.stdout;
  t.same([out.readUInt32LE(0), out.readUInt32LE(4), out.readUInt32LE(8), out.readUInt32LE(12)], [1, 2, 262144, 262150]);
  t.equal(out.length, 16 + 262144);
});

t.test('bad arguments: exit 255 and the usage, no file', async (t) => {
  const r = spawnSync('perl', ['-e', PACKET_CAPTURE, 'eth0', '/nonexistent/x.pcap'], { encoding: 'utf8' });
  t.equal(r.status, 255);
  t.equal(r.stderr, 'usage: DEV FILE SECONDS\n');
});
