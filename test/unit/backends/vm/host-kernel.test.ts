// `--backend vm --kernel host`: the running kernel's own packages, from the host's archive. Ubuntu
// (a hosted runner: -azure; a desktop: -generic) is shown with packages built here in Ubuntu's
// layout and apt answering as noble would (ubuntu-debs.ts); this machine (Debian bookworm running a
// 6.18 built elsewhere) gets the clear refusal.
import t from 'tap';
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { release } from 'node:os';
import { hostKernelPlan, hostPackageRelease, osIds } from '../../../../src/backends/vm/host-kernel.js';
import { ensureKernel } from '../../../../src/backends/vm/kernels.js';
import { CapabilityError } from '../../../../src/errors.js';
import { tempDir } from '../../../tmp.js';
import { ubuntuApt, ubuntuDebs } from './ubuntu-debs.js';

const UBUNTU = 'PRETTY_NAME="Ubuntu 24.04.1 LTS"\nNAME="Ubuntu"\nVERSION_ID="24.04"\nID=ubuntu\nID_LIKE=debian\n';
const DEBIAN = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n';
const FEDORA = 'NAME="Fedora Linux"\nID=fedora\n';

t.test('os-release: ID then ID_LIKE', async (t) => {
  t.strictSame(osIds(UBUNTU), ['ubuntu', 'debian']);
  t.strictSame(osIds(DEBIAN), ['debian']);
  t.strictSame(osIds('ID="linuxmint"\nID_LIKE="ubuntu debian"\n'), ['linuxmint', 'ubuntu', 'debian']);
  t.strictSame(osIds(''), []);
});

t.test('which packages are the running kernel', async (t) => {
  t.strictSame(hostKernelPlan({ release: '6.8.0-1021-azure', osRelease: UBUNTU }), {
    ok: true, release: '6.8.0-1021-azure', distro: 'ubuntu',
    packages: ['linux-image-6.8.0-1021-azure', 'linux-modules-6.8.0-1021-azure', 'linux-modules-extra-6.8.0-1021-azure'],
  }, 'a hosted runner: image, modules and modules-extra of its Azure kernel');
  t.strictSame(hostKernelPlan({ release: '6.1.0-28-amd64', osRelease: DEBIAN }), { ok: true, release: '6.1.0-28-amd64', distro: 'debian', packages: ['linux-image-6.1.0-28-amd64'] });
  const here = hostKernelPlan({ release: '6.18.44-fc-v1147', osRelease: DEBIAN });
  t.equal(here.ok, false);
  t.match(!here.ok && here.why, /the running kernel 6\.18\.44-fc-v1147 is not a packaged Debian kernel \(Debian's kernel packages are named for releases ending in -amd64/);
  const mixed = hostKernelPlan({ release: '6.1.0-28-amd64', osRelease: UBUNTU });
  t.match(!mixed.ok && mixed.why, /not a packaged Ubuntu kernel/, 'a Debian release on Ubuntu is not in Ubuntu\'s archive');
  const fedora = hostKernelPlan({ release: '6.11.4-301.fc41.x86_64', osRelease: FEDORA });
  t.match(!fedora.ok && fedora.why, /is on fedora, not Debian or Ubuntu/);
});

t.test('this machine: --kernel host in a VM stops with the reason (exit 3), before any apt call', { skip: /-amd64$|-generic$/.test(release()) ? 'this machine runs a packaged kernel' : false }, async (t) => {
  const runner = ubuntuApt(new Map());
  const err = await ensureKernel({ kind: 'host', vm: true }, { runner, cacheDir: tempDir('lab-host-cache-'), say: () => undefined }).then(() => undefined, (e: unknown) => e);
  t.type(err, CapabilityError);
  t.match(String((err as Error).message), new RegExp(`^--kernel host in a VM: the running kernel ${release().replaceAll('.', '\\.')} is not a packaged`));
  t.strictSame(runner.asked, []);
});

t.test('an Ubuntu runner: --kernel host fetches its release (image + modules + modules-extra) and assembles it with hwsim', async (t) => {
  const R = '6.8.0-1021-azure';
  const runner = ubuntuApt(ubuntuDebs(false, R));
  const k = await ensureKernel({ kind: 'host', vm: true }, { runner, cacheDir: tempDir('lab-host-cache-'), say: () => undefined, host: { release: R, osRelease: UBUNTU } });
  t.equal(k.release, R);
  t.equal(k.source, `linux-image-${R}`);
  t.strictSame(runner.asked.filter((a) => a[1] === 'show').map((a) => a.at(-1)), [`linux-image-${R}`, `linux-modules-${R}`, `linux-modules-extra-${R}`], 'each package asked for first');
  t.strictSame(runner.asked.find((a) => a[1] === 'download')?.filter((a) => a.startsWith('linux-')), [`linux-image-${R}`, `linux-modules-${R}`, `linux-modules-extra-${R}`]);
  const root = k.modulesRoot as string;
  t.ok(existsSync(`${root}/lib/modules/${R}/modules.dep`));
  t.match(execFileSync('modprobe', ['-d', root, '-S', R, '--show-depends', 'mac80211_hwsim'], { encoding: 'utf8' }), /mac80211_hwsim\.ko\.zst/);
});

t.test('the running kernel the lists no longer have: refused, naming the missing packages, nothing downloaded', async (t) => {
  const R = '6.8.0-1021-azure';
  // The archive has the image but not modules-extra (the check is live: one package short is enough).
  const debs = new Map([...ubuntuDebs(false, R)].filter(([p]) => !p.startsWith('linux-modules-extra-')));
  const runner = ubuntuApt(debs);
  const err = await hostPackageRelease(runner, { release: R, osRelease: UBUNTU }).then(() => undefined, (e: unknown) => e);
  t.type(err, CapabilityError);
  t.match(String((err as Error).message), /the package lists have no linux-modules-extra-6\.8\.0-1021-azure \(the running kernel 6\.8\.0-1021-azure/);
  t.notOk(runner.asked.some((a) => a[1] === 'download'));
});
