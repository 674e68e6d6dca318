// The sysctl baseline: what is written, in which order, and that the host backend writes it into
// every namespace after creating it and before any device is made (the root batch of links).
import { rmSync } from 'node:fs';
import t from 'tap';
import { baselineArgv, baselineFailure, missingKeys, shownBaselineArgv } from '../../../src/backends/baseline.js';
import { HostBackend } from '../../../src/backends/host.js';
import { StateFile } from '../../../src/backends/state.js';
import { baselineRecord, SYSCTL_BASELINE, sysctlPath } from '../../../src/plan/baseline.js';
import { planCase, withoutProbes } from '../../../src/plan/plan.js';
import { seedScenario } from '../fixtures.js';
import { FakeHost } from './fake-host.js';
import { tempDir } from '../../tmp.js';

t.test('the baseline: the kernel defaults of the knobs verdicts depend on, all before default before lo', async (t) => {
  const b = baselineRecord();
  for (const knob of ['rp_filter', 'arp_ignore', 'arp_announce', 'accept_local', 'route_localnet', 'forwarding', 'log_martians', 'arp_filter', 'proxy_arp']) {
    for (const conf of ['all', 'default', 'lo']) t.equal(b[`net.ipv4.conf.${conf}.${knob}`], 0, `${conf}.${knob} 0`);
  }
  t.equal(b['net.ipv4.ip_forward'], 0);
  t.equal(b['net.ipv4.conf.all.accept_source_route'], 0, 'all and default differ where the kernel has them differ');
  t.equal(b['net.ipv4.conf.default.accept_source_route'], 1);
  t.equal(b['net.ipv4.conf.lo.disable_policy'], 1, "lo's own values are the kernel's for lo");
  t.equal(b['net.ipv6.conf.all.forwarding'], 0);
  t.equal(b['net.ipv6.conf.default.accept_dad'], 1);
  t.notOk(Object.keys(b).some((k) => /mc_forwarding|stable_secret/.test(k)), 'no read-only key, no stable_secret');
  const keys = SYSCTL_BASELINE.map((s) => s.key);
  t.equal(new Set(keys).size, keys.length, 'each key once');
  const first = (conf: string) => keys.findIndex((k) => k.startsWith(`net.ipv4.conf.${conf}.`));
  t.ok(first('all') < first('default') && first('default') < first('lo'), 'all, then default, then lo');
  t.equal(sysctlPath('net.ipv4.conf.all.rp_filter'), 'net/ipv4/conf/all/rp_filter');
});

t.test('the argv: namespaces, settings as files under /proc/sys, then the command it execs', async (t) => {
  const argv = baselineArgv(['ns-a', 'ns-b'], ['ip', '-batch', '-'], [{ key: 'net.ipv4.conf.all.rp_filter', value: 0 }], '/run/netns');
  t.same(argv.slice(3), ['/run/netns', 'ns-a', 'ns-b', '--', 'net/ipv4/conf/all/rp_filter=0', '--', 'exec', 'ip', '-batch', '-']);
  t.same(shownBaselineArgv(argv), ['perl', '-e', '<sysctl baseline>', '/run/netns', 'ns-a', 'ns-b', '--', '<1 settings>', '--', 'exec', 'ip', '-batch', '-']);
  t.same(baselineArgv(['ns-a'], undefined, [], '/x').slice(3), ['/x', 'ns-a', '--']);
  t.same(missingKeys('missing\tnet/ipv6/conf/all/force_forwarding\n'), ['net.ipv6.conf.all.force_forwarding']);
  t.same(baselineFailure('sysctl-baseline\tns-a\tnet/ipv4/conf/all/rp_filter\tInvalid argument\n'), { netns: 'ns-a', key: 'net.ipv4.conf.all.rp_filter', error: 'Invalid argument' });
  t.equal(baselineFailure('RTNETLINK answers: File exists: really\nCommand failed -:1'), undefined, "ip's complaints are not the baseline's");
});

t.test('the host backend writes the baseline into every namespace of the case before the root batch makes devices', async (t) => {
  const host = new FakeHost();
  const dir = tempDir('lab-baseline-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const state = StateFile.create(dir, { pid: process.pid, scenarios: ['x.yaml'] });
  const backend = new HostBackend(host, state, host.exists);
  const plan = withoutProbes(planCase(seedScenario(), 0, `${state.prefix}-1`));
  await backend.down(plan, await backend.up(plan));
  const lines = host.log.map((l) => l.join(' '));
  const namespaces = plan.namespaces.map((n) => n.netns);
  const baseline = lines.indexOf(`sysctl-baseline ${namespaces.join(' ')} (${SYSCTL_BASELINE.length} settings)`);
  t.ok(baseline > 0, 'one baseline for all the namespaces of the case');
  t.ok(namespaces.every((ns) => lines.indexOf(`ip netns add ${ns}`) < baseline), 'after every namespace exists');
  const firstLink = lines.findIndex((l) => /^ip (-n \S+ )?link (add|set)/.test(l));
  t.ok(firstLink > baseline, `before the first device (${lines[firstLink]})`);
  state.close();
});

t.test('later cases write only what the first found different; on a clean root nothing, and no process', async (t) => {
  for (const [differs, expected] of [[[], undefined], [['net/ipv4/conf/all/rp_filter', 'net/ipv4/conf/lo/rp_filter'], '(2 settings)']] as const) {
    const host = new FakeHost();
    host.rootDiffers = [...differs];
    const dir = tempDir('lab-baseline-');
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const state = StateFile.create(dir, { pid: process.pid, scenarios: ['x.yaml'] });
    const backend = new HostBackend(host, state, host.exists);
    for (const i of [1, 2]) {
      const plan = withoutProbes(planCase(seedScenario(), 0, `${state.prefix}-${i}`));
      await backend.down(plan, await backend.up(plan));
    }
    const baselines = host.log.filter((l) => l[0] === 'sysctl-baseline').map((l) => l.at(-1));
    t.same(baselines, expected ? [`(${SYSCTL_BASELINE.length} settings)`, expected] : [`(${SYSCTL_BASELINE.length} settings)`], `root differing in ${differs.length} keys`);
    t.ok(host.log.some((l) => /link add (name )?wlan0 /.test(l.join(' ')) && l.join(' ').includes(`netns ${state.prefix}-2-c0-laptop`)), 'the second case still makes its devices');
    state.close();
  }
});
