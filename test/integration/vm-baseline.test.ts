// The sysctl baseline for real (issue 15.1): a VM whose root namespace is set up like an Ubuntu
// runner's (/etc/sysctl.d/10-network-security.conf: rp_filter=2 on all and default; systemd's
// 50-default.conf: accept_source_route=0, promote_secondaries=1; 10-ipv6-privacy.conf:
// use_tempaddr=2; Docker on GitHub's runners: ip_forward=1) gives every wired scenario the verdicts
// this machine's clean root gives. The same boot shows that a namespace made without lab inherits
// that root's IPv4 values (so the hazard is real there) and that IPv6 does not inherit.
import t from 'tap';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { lab, needsRoot, ROOT, userEnv } from './helpers.js';
import { tempDir } from '../tmp.js';

const qemu = existsSync('/usr/bin/qemu-system-x86_64');
const skip = needsRoot || (qemu ? false : 'needs qemu-system-x86 (make deps)');

/** The root sysctls of an Ubuntu runner that reach a new namespace (plus two that do not, for the contrast). */
const UBUNTU_LIKE = [
  'net.ipv4.conf.all.rp_filter=2', 'net.ipv4.conf.default.rp_filter=2',
  'net.ipv4.conf.all.accept_source_route=0', 'net.ipv4.conf.default.accept_source_route=0',
  'net.ipv4.conf.default.promote_secondaries=1',
  'net.ipv6.conf.all.use_tempaddr=2', 'net.ipv6.conf.default.use_tempaddr=2',
  'net.ipv4.ip_forward=1',
];

// The wired scenarios whose verdicts depend most on conf defaults; the whole set (51 cases) takes
// ~40 min under TCG on a loaded 2-core machine, these ~15.
const FILES = ['laptop-two-nics', 'why-not-delivered', 'route-localnet'].map((s) => join(ROOT, 'scenarios', `${s}.yaml`));

t.setTimeout(45 * 60_000);

type Report = { scenarios: { name: string; sysctl_baseline?: Record<string, number>; cases: { name: string; status: string; probes: { delivered: boolean; cause: string | null }[] }[] }[] };
const verdicts = (doc: Report): Map<string, string> =>
  new Map(doc.scenarios.flatMap((s) => s.cases.map((c) => [`${s.name} › ${c.name}`, `${c.status} ${c.probes.map((p) => (p.delivered ? 'delivered' : p.cause)).join(',')}`] as const)));

t.test('an Ubuntu-like root namespace changes no verdict', { skip }, async (t) => {
  const host = await lab(['run', ...FILES, '--format', 'json']);
  t.equal(host.exitCode, 0, String(host.stderr));
  const out = tempDir('lab-vm-baseline-');
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  const vm = await lab(['run', '--backend', 'vm', ...FILES, '--format', 'json', '--out', out], {
    timeout: 44 * 60_000,
    env: { ...userEnv(), LAB_VM_ROOT_SYSCTLS: UBUNTU_LIKE.join(' '), LAB_VM_TIMEOUT_MS: String(40 * 60_000) },
  });
  t.equal(vm.exitCode, 0, String(vm.stderr));
  const onHost = verdicts(JSON.parse(String(host.stdout)) as Report);
  const guest = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
  const inVm = verdicts(guest);
  t.ok(onHost.size >= 16, `${onHost.size} cases`);
  t.strictSame([...inVm], [...onHost], 'every case: same status, same delivery and cause per probe');
  t.equal(guest.scenarios[0]?.sysctl_baseline?.['net.ipv4.conf.all.rp_filter'], 0, 'the report says what every namespace started from');

  // The hazard is real in that guest: a plain `ip netns add` namespace starts from its root's IPv4 values.
  const inherited = readFileSync(join(out, readdirSync(out).find((n) => n.endsWith('inherited-sysctls.txt')) ?? '-'), 'utf8');
  t.match(inherited, /^\/proc\/sys\/net\/ipv4\/conf\/all\/rp_filter:2$/m, 'a raw namespace inherits rp_filter=2 on all');
  t.match(inherited, /^\/proc\/sys\/net\/ipv4\/conf\/default\/rp_filter:2$/m, 'and on default');
  t.match(inherited, /^\/proc\/sys\/net\/ipv4\/conf\/lo\/rp_filter:2$/m, 'and its lo has it too');
  t.match(inherited, /^\/proc\/sys\/net\/ipv4\/ip_forward:1$/m, 'and forwarding');
  t.match(inherited, /^\/proc\/sys\/net\/ipv6\/conf\/all\/use_tempaddr:0$/m, 'IPv6 does not inherit (devconf_inherit_init_net=0)');
});
