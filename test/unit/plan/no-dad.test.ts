// IPv6 duplicate address detection off on every device of a scenario with IPv6 addresses, before
// any link comes up (see noDadOps for the measurement that needs it).
import t from 'tap';
import { batchSteps, hostOrder, stepWaves } from '../../../src/plan/batch.js';
import { planCase } from '../../../src/plan/plan.js';
import { noDadOps } from '../../../src/plan/topology.js';
import type { Scenario } from '../../../src/types/scenario.js';
import { seedScenario } from '../fixtures.js';

const ns = (node: string): string => `lab-x-c0-${node}`;

const withV6 = (): Scenario => {
  const s = seedScenario();
  return { ...s, addresses: [...s.addresses, { ref: { node: 'laptop', dev: 'wlan0' }, cidr: '2001:db8::1/64', address: '2001:db8::1', prefix: 64, family: 6 }] };
};

t.test('an IPv4-only scenario gets no DAD ops (the seed stays as fast as it was)', async (t) => {
  t.same(noDadOps(seedScenario()), []);
});

t.test('with one IPv6 address, every device but lo of every node gets accept_dad=0', async (t) => {
  t.same(noDadOps(withV6()).map((o) => `${o.node} ${o.argv.join(' ')} wave ${o.wave}`), [
    'laptop sysctl -q -w net.ipv6.conf.wlan0.accept_dad=0 wave 2',
    'laptop sysctl -q -w net.ipv6.conf.wlan1.accept_dad=0 wave 2',
    'ap sysctl -q -w net.ipv6.conf.br0.accept_dad=0 wave 2',
    'ap sysctl -q -w net.ipv6.conf.port0.accept_dad=0 wave 2',
    'ap sysctl -q -w net.ipv6.conf.port1.accept_dad=0 wave 2',
  ]);
  const dotted = withV6();
  const renamed = { ...dotted, links: dotted.links.map((l) => ({ ...l, ends: [{ ...l.ends[0], dev: `${l.ends[0].dev}.7` }, l.ends[1]] as typeof l.ends })) };
  t.ok(noDadOps(renamed).some((o) => o.argv[3] === 'net.ipv6.conf.wlan0/7.accept_dad=0'), 'a dot of a device name is a slash, as sysctl(8) spells it');
});

t.test('on the host, the DAD sysctls are a wave of their own before any link comes up', async (t) => {
  const plan = planCase(withV6(), 0, 'lab-x');
  const { rest } = hostOrder(plan.ops, ns);
  const waves = stepWaves(batchSteps(rest));
  t.same(waves.slice(0, 2).map((w) => w.map((s) => `${s.kind} ${s.node}`)), [
    ['sysctl laptop', 'sysctl ap'],
    ['ip-batch laptop', 'ip-batch ap'],
  ]);
  const firstUp = rest.findIndex((o) => o.argv.join(' ').startsWith('ip link set wlan0 up') || / up$/.test(o.argv.join(' ')) && o.argv[4] !== 'lo');
  const lastDad = rest.findLastIndex((o) => o.argv[0] === 'sysctl');
  t.ok(lastDad >= 0 && lastDad < firstUp, `every accept_dad (last at ${lastDad}) before the first link up (${firstUp})`);
});
