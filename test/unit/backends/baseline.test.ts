// The sysctl baseline: what is written, in which order, and that the host backend writes it into
// every namespace after creating it and before any device is made (the root batch of links).
import { rmSync } from 'node:fs';
import t, { type Test } from 'tap';
import { baselineArgv, baselineFailure, baselineFound, baselineReadArgv, missingKeys, shownBaselineArgv, startBaselineRead, takeBaselineRead } from '../../../src/backends/baseline.js';
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

t.test('the read: one grep of the files under /proc/sys in the namespace; what differs and what this kernel lacks', async (t) => {
  const settings = [{ key: 'net.ipv4.conf.all.rp_filter', value: 0 }, { key: 'net.ipv6.conf.all.force_forwarding', value: 0 }, { key: 'net.ipv4.conf.all.arp_ignore', value: 0 }];
  t.same(baselineReadArgv('ns-a', settings), ['ip', 'netns', 'exec', 'ns-a', 'grep', '-s', '-H', '', '/proc/sys/net/ipv4/conf/all/rp_filter', '/proc/sys/net/ipv6/conf/all/force_forwarding', '/proc/sys/net/ipv4/conf/all/arp_ignore']);
  t.same(baselineReadArgv(undefined, settings).slice(0, 7), ['unshare', '--net', 'grep', '-s', '-H', '', '/proc/sys/net/ipv4/conf/all/rp_filter'], 'without a namespace: a fresh one of its own');
  t.same(baselineFound('/proc/sys/net/ipv4/conf/all/rp_filter:2\n/proc/sys/net/ipv4/conf/all/arp_ignore:0\n', settings), {
    differs: ['net.ipv4.conf.all.rp_filter'],
    missing: ['net.ipv6.conf.all.force_forwarding'],
  });
  t.same(baselineFound('/proc/sys/net/ipv4/conf/all/rp_filter:0\n/proc/sys/net/ipv6/conf/all/force_forwarding:0\n/proc/sys/net/ipv4/conf/all/arp_ignore:0\n', settings), { differs: [], missing: [] });
  t.equal(baselineFound('', settings), undefined, 'a read that said nothing did not run');
  t.equal(baselineFound('Cannot open network namespace "x": No such file or directory\n', settings), undefined);
});

/** Two cases of the seed, one after the other, on a host whose fresh namespaces differ in `differs`. */
const twoCases = async (t: Test, differs: readonly string[]): Promise<{ lines: string[]; namespaces: string[][] }> => {
  const host = new FakeHost();
  host.rootDiffers = [...differs];
  const dir = tempDir('lab-baseline-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const state = StateFile.create(dir, { pid: process.pid, scenarios: ['x.yaml'] });
  const backend = new HostBackend(host, state, host.exists);
  const namespaces: string[][] = [];
  for (const i of [1, 2]) {
    const plan = withoutProbes(planCase(seedScenario(), 0, `${state.prefix}-${i}`));
    namespaces.push(plan.namespaces.map((n) => n.netns));
    await backend.down(plan, await backend.up(plan));
  }
  state.close();
  return { lines: host.log.map((l) => l.join(' ')), namespaces };
};

const firstDevice = (lines: readonly string[], netns: string): number => lines.findIndex((l) => /^ip (-n \S+ )?link (add|set)/.test(l) && l.includes(netns));

t.test('the first case reads the baseline in one namespace after all exist, and writes what differs into each before the first device', async (t) => {
  const { lines, namespaces } = await twoCases(t, ['net/ipv4/conf/all/rp_filter', 'net/ipv4/conf/lo/rp_filter']);
  const first = namespaces[0] as string[];
  const reads = lines.filter((l) => l.startsWith('sysctl-read '));
  t.same(reads, [`sysctl-read ${first[0]} (${SYSCTL_BASELINE.length} files)`], 'one read, in the first namespace of the first case only');
  const read = lines.indexOf(reads[0] as string);
  t.ok(first.every((ns) => lines.indexOf(`ip netns add ${ns}`) < read), 'after every namespace of the case exists');
  const write = lines.indexOf(`sysctl-baseline ${first.join(' ')} (2 settings)`);
  t.ok(write > read, 'the two keys that differ are written into every namespace of the case');
  const device = firstDevice(lines, first[0] as string);
  t.ok(device > write, `before the first device (${lines[device]})`);
  const second = namespaces[1] as string[];
  const write2 = lines.indexOf(`sysctl-baseline ${second.join(' ')} (2 settings)`);
  t.ok(write2 > 0 && write2 < firstDevice(lines, second[0] as string), 'the second case writes them too, before its devices, without reading again');
});

t.test('on a clean root nothing is written, and later cases make namespaces and devices in one root batch', async (t) => {
  const { lines, namespaces } = await twoCases(t, []);
  t.equal(lines.filter((l) => l.startsWith('sysctl-read ')).length, 1, 'read once');
  t.notOk(lines.some((l) => l.startsWith('sysctl-baseline')), 'no writer process');
  const second = namespaces[1] as string[];
  t.ok(lines.some((l) => /link add (name )?wlan0 /.test(l) && l.includes(`netns ${second[0]}`)), 'the second case still makes its devices');
  t.ok(second.every((ns) => lines.indexOf(`ip netns add ${ns}`) < firstDevice(lines, second[0] as string)), 'after its namespaces');
});

/** Cases of the seed started at once on one backend (or one backend each), their reads slow enough to overlap. */
const atOnce = async (t: Test, differs: readonly string[], backends: 'one' | 'each'): Promise<{ lines: string[]; namespaces: string[][] }> => {
  const host = new FakeHost();
  host.rootDiffers = [...differs];
  host.readDelayMs = 30;
  const dir = tempDir('lab-baseline-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const state = StateFile.create(dir, { pid: process.pid, scenarios: ['x.yaml'] });
  const shared = new HostBackend(host, state, host.exists);
  const plans = [1, 2, 3].map((i) => withoutProbes(planCase(seedScenario(), 0, `${state.prefix}-${i}`)));
  await Promise.all(
    plans.map(async (plan) => {
      const backend = backends === 'one' ? shared : new HostBackend(host, state, host.exists);
      await backend.down(plan, await backend.up(plan));
    }),
  );
  state.close();
  return { lines: host.log.map((l) => l.join(' ')), namespaces: plans.map((p) => p.namespaces.map((n) => n.netns)) };
};

t.test('cases that start at once share one read of the baseline, and each writes what differs before its devices', async (t) => {
  const { lines, namespaces } = await atOnce(t, ['net/ipv4/conf/all/rp_filter'], 'one');
  const reads = lines.filter((l) => l.startsWith('sysctl-read '));
  t.equal(reads.length, 1, `three cases in flight at once, one read (${reads.join('; ')})`);
  const read = lines.indexOf(reads[0] as string);
  for (const ns of namespaces) {
    const write = lines.indexOf(`sysctl-baseline ${ns.join(' ')} (1 settings)`);
    t.ok(write > read, `${ns[0]}: written after the read`);
    t.ok(write < firstDevice(lines, ns[0] as string), `${ns[0]}: and before its first device`);
  }
});

t.test('negative control: backends that share nothing read once each, and the count sees it', async (t) => {
  const { lines } = await atOnce(t, ['net/ipv4/conf/all/rp_filter'], 'each');
  t.equal(lines.filter((l) => l.startsWith('sysctl-read ')).length, 3);
});

t.test('a read that fails fails the cases that waited for it; the next case reads again', async (t) => {
  const host = new FakeHost();
  host.readDelayMs = 30;
  let failing = true;
  const run = host.run.bind(host);
  host.run = async (cmd) => {
    const r = await run(cmd);
    return failing && cmd.argv[4] === 'grep' ? { ...r, exitCode: 1, stdout: '', stderr: 'grep: cannot run' } : r;
  };
  const dir = tempDir('lab-baseline-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const state = StateFile.create(dir, { pid: process.pid, scenarios: ['x.yaml'] });
  const backend = new HostBackend(host, state, host.exists);
  const plan = (i: number) => withoutProbes(planCase(seedScenario(), 0, `${state.prefix}-${i}`));
  const results = await Promise.allSettled([plan(1), plan(2)].map((p) => backend.up(p)));
  t.same(results.map((r) => r.status), ['rejected', 'rejected'], 'both cases fail with it');
  t.match(String((results[1] as PromiseRejectedResult).reason), /cannot run/, 'with the read\'s own error');
  t.equal(host.log.filter((l) => l[0] === 'sysctl-read').length, 1, 'read once');
  t.same([...host.namespaces], [], 'and torn down');
  failing = false;
  const p3 = plan(3);
  await backend.down(p3, await backend.up(p3));
  t.equal(host.log.filter((l) => l[0] === 'sysctl-read').length, 2, 'the next case read again');
  state.close();
});

/** Two cases of the seed on one backend whose baseline was prefetched as the run started. */
const prefetched = async (t: Test, differs: readonly string[], failRead = false): Promise<{ lines: string[]; namespaces: string[][]; backend: HostBackend }> => {
  const host = new FakeHost();
  host.rootDiffers = [...differs];
  host.readDelayMs = 30;
  if (failRead) {
    const run = host.run.bind(host);
    host.run = async (cmd) => (cmd.argv[0] === 'unshare' ? { argv: cmd.argv, exitCode: 1, stdout: '', stderr: 'unshare: cannot', durationMs: 1, timedOut: false } : run(cmd));
  }
  const dir = tempDir('lab-baseline-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const state = StateFile.create(dir, { pid: process.pid, scenarios: ['x.yaml'] });
  const backend = new HostBackend(host, state, host.exists);
  backend.prefetchBaseline();
  const plans = [1, 2].map((i) => withoutProbes(planCase(seedScenario(), 0, `${state.prefix}-${i}`)));
  await Promise.all(plans.map(async (plan) => backend.down(plan, await backend.up(plan))));
  state.close();
  return { lines: host.log.map((l) => l.join(' ')), namespaces: plans.map((p) => p.namespaces.map((n) => n.netns)), backend };
};

t.test('prefetched: read once in a namespace of its own before any case makes one; on a clean root, namespaces and devices in one batch', async (t) => {
  const { lines, namespaces } = await prefetched(t, []);
  const reads = lines.filter((l) => l.startsWith('sysctl-read '));
  t.same(reads, [`sysctl-read (unshare) (${SYSCTL_BASELINE.length} files)`], 'one read, with unshare --net');
  t.ok(lines.indexOf(reads[0] as string) < lines.findIndex((l) => l.startsWith('ip netns add')), 'before the first namespace');
  t.notOk(lines.some((l) => l.startsWith('sysctl-baseline')), 'nothing to write');
  for (const ns of namespaces) t.ok(firstDevice(lines, ns[0] as string) > lines.indexOf(`ip netns add ${ns[0]}`), `${ns[0]}: its devices after its namespaces`);
});

t.test('prefetched on a root that differs: every case writes what differs before its devices', async (t) => {
  const { lines, namespaces } = await prefetched(t, ['net/ipv4/conf/all/rp_filter']);
  t.equal(lines.filter((l) => l.startsWith('sysctl-read ')).length, 1);
  for (const ns of namespaces) {
    const write = lines.indexOf(`sysctl-baseline ${ns.join(' ')} (1 settings)`);
    t.ok(write > 0 && write < firstDevice(lines, ns[0] as string), `${ns[0]}: written before its first device`);
  }
});

t.test('a prefetch that fails is forgotten: the first case reads in its own namespace, as without one', async (t) => {
  const { lines } = await prefetched(t, ['net/ipv4/conf/all/rp_filter'], true);
  const reads = lines.filter((l) => l.startsWith('sysctl-read '));
  t.equal(reads.length, 1, 'read once, by a case');
  t.match(reads[0], /^sysctl-read lab-/, 'in a case\'s namespace');
});

t.test('a read started before the backend (a VM host side, beside the module load) is the prefetch: not read again', async (t) => {
  const host = new FakeHost();
  host.rootDiffers = ['net/ipv4/conf/all/rp_filter'];
  startBaselineRead(host, 10_000);
  const dir = tempDir('lab-baseline-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const state = StateFile.create(dir, { pid: process.pid, scenarios: ['x.yaml'] });
  const backend = new HostBackend(host, state, host.exists);
  backend.prefetchBaseline();
  const plan = withoutProbes(planCase(seedScenario(), 0, `${state.prefix}-1`));
  await backend.down(plan, await backend.up(plan));
  state.close();
  const lines = host.log.map((l) => l.join(' '));
  t.equal(lines.filter((l) => l.startsWith('sysctl-read ')).length, 1, 'one read, the early one');
  t.ok(lines.includes(`sysctl-baseline ${plan.namespaces.map((n) => n.netns).join(' ')} (1 settings)`), 'and what it found differs is written');
  t.equal(takeBaselineRead(), undefined, 'taken once');
});
