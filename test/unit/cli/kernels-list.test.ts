// `lab kernels`: apt-cache output recorded on this machine, a fake cache directory with one
// fetched package kernel and one path kernel.
import t from 'tap';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Runner } from '../../../src/backends/runner.js';
import { kernelsListCommand } from '../../../src/cli/kernels-list.js';
import { tempDir } from '../../tmp.js';

const search = readFileSync(join(import.meta.dirname, '../backends/vm/fixtures/apt-cache-search-bookworm.txt'), 'utf8');

/** apt-cache answers `search` from the recording (or fails, when `offline`); nothing else runs. */
const aptCache = (offline = false): Runner & { asked: string[][] } => {
  const asked: string[][] = [];
  return {
    asked,
    async run(cmd) {
      asked.push([...cmd.argv]);
      const ok = !offline && cmd.argv[0] === 'apt-cache' && cmd.argv[1] === 'search';
      return { argv: cmd.argv, exitCode: ok ? 0 : 100, stdout: ok ? search : '', stderr: ok ? '' : 'E: no lists', durationMs: 0, timedOut: false };
    },
    start() {
      throw new Error('not used');
    },
  };
};

/** A cache directory as `lab run --kernel` leaves it: kernels/NAME/kernel.json next to the image. */
const fakeCache = (): string => {
  const dir = tempDir('lab-kernels-cache-');
  const entry = (name: string, release: string, source: string) => {
    const k = join(dir, 'kernels', name);
    mkdirSync(k, { recursive: true });
    writeFileSync(join(k, 'vmlinux'), 'x');
    writeFileSync(join(k, 'kernel.json'), JSON.stringify({ release, source, image: join(k, 'vmlinux'), fetchedAt: '2026-12-03T00:00:00Z' }));
  };
  entry('6.12.118+deb12-amd64', '6.12.118+deb12-amd64', 'linux-image-6.12.118+deb12-amd64');
  entry('img-abc', '6.6.1-custom', '/home/me/bzImage');
  // Half-built (no kernel.json): not a kernel yet.
  mkdirSync(join(dir, 'kernels', '.6.1.0-57-amd64.123'), { recursive: true });
  return dir;
};

const capture = () => {
  const o = { out: '', err: '' };
  return { o, io: { out: (s: string) => (o.out += s), err: (s: string) => (o.err += s) } };
};

t.test('--json: fetchable 6.1 and 6.12 releases, the cached ones marked, a path kernel too', async (t) => {
  const runner = aptCache();
  const { o, io } = capture();
  t.equal(await kernelsListCommand({ json: true, all: false }, io, { runner, cacheDir: fakeCache() }), 0);
  t.strictSame(runner.asked, [['apt-cache', 'search', '--names-only', '^linux-image-[0-9].*-(amd64|generic)$']]);
  const doc = JSON.parse(o.out) as { kernels: { release: string; series: string; fetchable: boolean; cached: boolean; flavour?: string; source?: string }[] };
  const by = (r: string) => doc.kernels.filter((k) => k.release === r);
  t.match(by('6.12.118+deb12-amd64'), [{ series: '6.12', distro: 'debian', fetchable: true, cached: true, source: 'linux-image-6.12.118+deb12-amd64' }]);
  t.match(by('6.1.0-57-amd64'), [{ series: '6.1', fetchable: true, cached: false }], 'a half-built entry is not cached');
  t.match(by('6.6.1-custom'), [{ series: '6.6', fetchable: false, cached: true, source: '/home/me/bzImage' }]);
  t.notOk(by('6.6.1-custom')[0] && 'distro' in (by('6.6.1-custom')[0] as object), 'a path kernel has no distribution');
  t.notOk(doc.kernels.some((k) => k.flavour === 'cloud-amd64' || k.flavour === 'rt-amd64'), 'default flavours only');
  t.strictSame(doc.kernels.filter((k) => k.series === '6.12').length, 8, '6.12.100 to 6.12.118 in bookworm-security');
});

t.test('--all adds the cloud and rt flavours', async (t) => {
  const { o, io } = capture();
  await kernelsListCommand({ json: true, all: true }, io, { runner: aptCache(), cacheDir: fakeCache() });
  const doc = JSON.parse(o.out) as { kernels: { release: string }[] };
  t.ok(doc.kernels.some((k) => k.release === '6.12.118+deb12-cloud-amd64'));
  t.ok(doc.kernels.some((k) => k.release === '6.1.0-57-rt-amd64'));
});

t.test('the table: one line per kernel; offline, the cache still answers and stderr says why the list is short', async (t) => {
  const { o, io } = capture();
  t.equal(await kernelsListCommand({ json: false, all: false }, io, { runner: aptCache(true), cacheDir: fakeCache() }), 0);
  const lines = o.out.trim().split('\n');
  t.equal(lines.length, 5, 'top rule, head, two cached kernels, bottom rule');
  t.match(o.out, /6\.12\.118\+deb12-amd64\s*│ 6\.12\s*│ debian\s*│ -\s*│ yes/);
  t.match(o.err, /offer no kernel image \(run `apt-get update`/);
});
