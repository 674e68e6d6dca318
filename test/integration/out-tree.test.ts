// `--out DIR`, for real: every delivered probe's datagram is in the pcap of every device on its
// path (issue 15, point 3: they were header-only for any case that finished in under a second),
// one folder per scenario file, and a fresh tree per run that leaves the user's own files alone
// (point 6). Checked by hand first: tcpdump without --immediate-mode, SIGTERM 0.1 s after one
// datagram on lo, wrote a 24-byte pcap although it said "4 packets received by filter".
import { execa } from 'execa';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { lab, needsRoot, SEED } from './helpers.js';
import { tempDir } from '../tmp.js';

interface Report {
  scenarios: { name: string; file: string; cases: { name: string; status: string; probes: { to: string; delivered: boolean; path: string[] }[] }[] }[];
}

/** How many UDP datagrams to `port` the pcap holds (tcpdump reads it). */
const datagramsIn = async (pcap: string, port: string): Promise<number> => {
  const r = await execa('tcpdump', ['-r', pcap, '-n', `udp dst port ${port}`], { reject: false });
  if (r.exitCode !== 0) throw new Error(`tcpdump -r ${pcap}: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l.trim()).length;
};

const caseDir = (name: string) => name.toLowerCase().replace(/[^a-z0-9._-]+/g, '-');

t.test('each delivered datagram is in the pcap of every device on its path', { skip: needsRoot }, async (t) => {
  const out = tempDir('lab-out-pcap-');
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  const r = await lab(['run', SEED, '--out', out, '--format', 'json']);
  t.equal(r.exitCode, 0, String(r.stderr));
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
  let checked = 0;
  for (const c of report.scenarios[0]?.cases ?? []) {
    const dir = join(out, 'laptop-two-nics', caseDir(c.name));
    for (const p of c.probes.filter((p) => p.delivered)) {
      const port = p.to.split(':').pop() ?? '';
      for (const device of p.path) {
        const n = await datagramsIn(join(dir, `${device.replace(':', '-')}.pcap`), port);
        t.ok(n >= 1, `${c.name}: ${device} has the datagram to port ${port} (${n})`);
        checked += 1;
      }
    }
  }
  t.ok(checked >= 9, `every device of every delivered path was checked (${checked})`);
  // The check is live: a NIC the datagram did not cross has no copy of it.
  const lo = report.scenarios[0]?.cases.find((c) => c.name.startsWith('without a recipe'));
  const port = lo?.probes[0]?.to.split(':').pop() ?? '';
  t.equal(await datagramsIn(join(out, 'laptop-two-nics', caseDir(lo?.name ?? ''), 'laptop-wlan0.pcap'), port), 0, 'not on wlan0 when it went through lo');
});

t.test('one folder per scenario file; a fresh tree per run; the rest of DIR untouched', { skip: needsRoot }, async (t) => {
  const dir = tempDir('lab-out-files-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'out');
  // Two files, the same cases.
  const one = join(dir, 'one.yaml');
  const two = join(dir, 'two.yaml');
  copyFileSync(SEED, one);
  copyFileSync(SEED, two);
  mkdirSync(join(out, 'mine'), { recursive: true });
  writeFileSync(join(out, 'mine', 'notes.txt'), 'the user\'s\n');
  writeFileSync(join(out, 'keep.txt'), 'the user\'s\n');

  const wire = 'accept-local sends it over the wire';
  const first = await lab(['run', one, two, '--out', out, '--format', 'json', '--case', wire]);
  t.equal(first.exitCode, 0, String(first.stderr));
  const ran = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
  for (const [i, s] of ['one', 'two'].entries()) {
    const pcap = join(out, s, caseDir(wire), 'laptop-wlan0.pcap');
    const port = ran.scenarios[i]?.cases[0]?.probes[0]?.to.split(':').pop() ?? '';
    t.ok(existsSync(pcap), `${s}.yaml has its own folder`);
    t.equal(existsSync(pcap) ? await datagramsIn(pcap, port) : 0, 1, `${s}'s pcap has its own datagram (port ${port})`);
  }

  const lo = 'without a recipe the kernel short-cuts through lo';
  const second = await lab(['run', one, '--out', out, '--format', 'json', '--case', lo]);
  t.equal(second.exitCode, 0, String(second.stderr));
  t.same(readdirSync(out).sort(), ['.lab-out.json', 'keep.txt', 'mine', 'one', 'report.json'], "the last run's folders only, and the user's files");
  t.same(readdirSync(join(out, 'one')), [caseDir(lo)], 'the stale case folder is gone');
  t.equal(readFileSync(join(out, 'mine', 'notes.txt'), 'utf8'), "the user's\n");
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
  t.same(report.scenarios.map((s) => s.cases.map((c) => c.name)), [[lo]], 'report.json is this run\'s');
});

t.test('two files of one name get two folders', { skip: needsRoot }, async (t) => {
  const dir = tempDir('lab-out-names-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'a'));
  mkdirSync(join(dir, 'b'));
  copyFileSync(SEED, join(dir, 'a', 'seed.yaml'));
  copyFileSync(SEED, join(dir, 'b', 'seed.yaml'));
  const out = join(dir, 'out');
  const r = await lab(['run', join(dir, 'a', 'seed.yaml'), join(dir, 'b', 'seed.yaml'), '--out', out, '--case', 'accept-local sends it over the wire']);
  t.equal(r.exitCode, 0, String(r.stderr));
  t.same(readdirSync(out).filter((n) => n.startsWith('seed')).sort(), ['seed', 'seed-2']);
});
