// What lab up and --explain print about the ops a case applied besides its topology.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { describeUp } from '../../../src/cli/up.js';
import { parseScenario } from '../../../src/recipes/scenario.js';
import { planCase } from '../../../src/plan/plan.js';
import { appliedLines } from '../../../src/report/applied.js';
import { tableReport } from '../../../src/report/table.js';

const FILE = 'test/integration/fixtures/routing-router.yaml';
const scenario = parseScenario(readFileSync(FILE, 'utf8'), FILE);
const SOURCE_RULE = scenario.cases.findIndex((c) => c.name === 'a source rule sends it out of eth1');

t.test('each applied op is one line: node, the command as typed, why', async (t) => {
  const lines = appliedLines(planCase(scenario, SOURCE_RULE, 'lab-x').ops);
  t.same(lines, [
    'h1: ip route add default via 192.0.2.254  # route of h1: default goes via 192.0.2.254 (line 11)',
    'h1: ip -6 route add default via 2001:db8:1::fe  # route of h1: default (IPv6) goes via 2001:db8:1::fe (line 12)',
    'h1: ip route add default via 203.0.113.254 dev eth1 table 100  # route of h1 in table wan (100): default goes via 203.0.113.254 out of eth1 (line 73)',
    'h1: ip rule add pref 100 from 203.0.113.1 lookup 100  # rule of h1 at pref 100 (IPv4): packets matching from 203.0.113.1 look up table wan (100) (line 74)',
    'r1: sysctl -q -w net.ipv4.ip_forward=1  # r1 forwards packets between its devices (a router): IPv4',
    'r1: sysctl -q -w net.ipv6.conf.all.forwarding=1  # r1 forwards packets between its devices (a router): IPv6',
    'r1: sysctl -q -w net.ipv4.conf.all.rp_filter=0  # sysctl of r1 (its sysctl:)',
    'r1: sysctl -q -w net.ipv4.conf.default.rp_filter=0  # sysctl of r1 (its sysctl:)',
    'h2: ip route add default via 198.51.100.254 dev eth0  # route of h2: default goes via 198.51.100.254 out of eth0 (line 19)',
    'h2: ip -6 route add default via 2001:db8:2::fe  # route of h2: default (IPv6) goes via 2001:db8:2::fe (line 20)',
  ]);
  t.same(appliedLines([{ node: 'a', argv: ['sh', '-c', 'echo hi'], why: 'setup' }]), ["a: sh -c 'echo hi'  # setup"],
    'quoted as a shell would need it');
});

t.test('lab up lists the applied ops under the nodes', async (t) => {
  const text = describeUp('abc123', scenario, planCase(scenario, SOURCE_RULE, 'lab-abc123'));
  t.match(text, /\napplied:\n {2}h1: ip route add default via 192\.0\.2\.254 {2}# route of h1/);
  t.match(text, /\n {2}h1: ip rule add pref 100 from 203\.0\.113\.1 lookup 100 {2}# rule of h1 at pref 100/);
  const bare = parseScenario(readFileSync('scenarios/laptop-two-nics.yaml', 'utf8'), 'seed.yaml');
  t.notMatch(describeUp('abc123', bare, planCase(bare, 0, 'lab-abc123')), /applied:/, 'nothing applied, no section');
});

t.test('--explain shows what a case applied; without it the table does not', async (t) => {
  const c = { name: 'c', status: 'pass' as const, probes: [], expectations: [], durationMs: 1, applied: ['r1: sysctl -q -w net.ipv4.ip_forward=1  # router'] };
  const results = [{ name: 's', file: 's.yaml', kernel: '6.18', cases: [c] }];
  t.match(tableReport(results, { explain: true, width: 200 }), /\$ r1: sysctl -q -w net\.ipv4\.ip_forward=1 {2}# router/);
  t.notMatch(tableReport(results, { width: 200 }), /ip_forward/);
});
