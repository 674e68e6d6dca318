// Which kernels the package lists offer, and which packages make up one: over apt-cache output
// recorded on this machine (Debian bookworm with bookworm-security) and written for Ubuntu noble
// (fixtures/ubuntu-noble.md says which is which).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  compareReleases, distroOf, nearReleases, packagesOf, parseImageSearch, parseMetaDepends, seriesOf,
} from '../../../../src/backends/vm/kernel-catalog.js';
import { parseKernelSpec } from '../../../../src/backends/vm/kernel-spec.js';

const fixture = (name: string): string => readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');

t.test('bookworm offers the 6.1 and the 6.12 series; meta-packages are not kernels', async (t) => {
  const offered = parseImageSearch(fixture('apt-cache-search-bookworm.txt'));
  const series = new Set(offered.map((k) => k.series));
  t.strictSame([...series], ['6.1', '6.12']);
  t.ok(offered.some((k) => k.release === '6.1.0-57-amd64'));
  t.ok(offered.some((k) => k.release === '6.12.118+deb12-amd64'));
  t.notOk(offered.some((k) => k.release.startsWith('6.12-')), 'linux-image-6.12-amd64 is a meta-package');
  t.ok(offered.every((k) => k.distro === 'debian' && k.package === `linux-image-${k.release}`));
  // Oldest first, numerically: 6.1.0-9 would sort before 6.1.0-47, 6.12.100 after 6.12.99.
  t.equal(offered[0]?.series, '6.1');
  t.equal(offered.filter((k) => k.flavour === 'amd64').at(-1)?.release, '6.12.118+deb12-amd64');
  t.strictSame([...new Set(offered.map((k) => k.flavour))].sort(), ['amd64', 'cloud-amd64', 'rt-amd64']);
});

t.test('Ubuntu: versioned generic and lowlatency images, not the meta-packages', async (t) => {
  const offered = parseImageSearch(fixture('ubuntu-apt-cache-search.txt'));
  t.strictSame(offered.map((k) => k.release), ['6.8.0-45-generic', '6.8.0-49-generic', '6.8.0-49-lowlatency', '6.11.0-19-generic']);
  t.ok(offered.every((k) => k.distro === 'ubuntu'));
});

t.test('the current kernel from the meta-package of each distribution', async (t) => {
  t.equal(parseMetaDepends(fixture('apt-cache-depends-linux-image-amd64.txt')), '6.1.0-57-amd64');
  t.equal(parseMetaDepends(fixture('ubuntu-apt-cache-depends-linux-image-generic.txt')), '6.8.0-49-generic');
});

t.test('releases: distribution, series, packages, order', async (t) => {
  t.equal(distroOf('6.12.118+deb12-amd64'), 'debian');
  t.equal(distroOf('6.1.0-57-cloud-amd64'), 'debian');
  t.equal(distroOf('6.8.0-49-generic'), 'ubuntu');
  t.equal(distroOf('6.18.44-fc-v1147'), undefined);
  t.equal(seriesOf('6.12.118+deb12-amd64'), '6.12');
  t.strictSame(packagesOf('6.12.118+deb12-amd64'), ['linux-image-6.12.118+deb12-amd64']);
  t.strictSame(packagesOf('6.8.0-49-generic'), ['linux-image-6.8.0-49-generic', 'linux-modules-6.8.0-49-generic', 'linux-modules-extra-6.8.0-49-generic']);
  t.ok(compareReleases('6.12.99+deb12-amd64', '6.12.100+deb12-amd64') < 0);
  t.ok(compareReleases('6.1.0-9-amd64', '6.1.0-47-amd64') < 0);
  t.ok(compareReleases('6.1.0-57-amd64', '6.12.100+deb12-amd64') < 0);
});

t.test('a wrong release: the nearest of its series and flavour, newest first', async (t) => {
  const offered = parseImageSearch(fixture('apt-cache-search-bookworm.txt'));
  t.strictSame(nearReleases('6.12.999+deb12-amd64', offered, 2), ['6.12.118+deb12-amd64', '6.12.117+deb12-amd64']);
  t.strictSame(nearReleases('6.1.0-1-amd64', offered, 1), ['6.1.0-57-amd64']);
  t.strictSame(nearReleases('5.10.0-1-amd64', offered), []);
});

t.test('--kernel: exact Debian 6.1 and 6.12 releases, Ubuntu releases, ubuntu', async (t) => {
  t.strictSame(parseKernelSpec('6.1.0-57-amd64'), { kind: 'release', release: '6.1.0-57-amd64' });
  t.strictSame(parseKernelSpec('6.12.118+deb12-amd64'), { kind: 'release', release: '6.12.118+deb12-amd64' });
  t.strictSame(parseKernelSpec('6.8.0-49-generic'), { kind: 'release', release: '6.8.0-49-generic' });
  t.strictSame(parseKernelSpec('ubuntu'), { kind: 'ubuntu' });
});
