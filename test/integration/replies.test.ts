// Replies and router-side causes, in real namespaces: h1 — r — h2 (two veth LANs, default gateways
// via r), and an asymmetric pair of routers (the reply takes another way back).
// Every expectation here was first reproduced by hand with ip/ping/nstat/tcpdump and the
// skb:kfree_skb tracepoint in namespaces of our own (see src/probes/hops.ts for the route-get
// answers per cause).
//
// Routes: until the scenario language's `routes:` key lands on main, the routes are test-only ops
// appended to each case's plan (plans are data) by a backend wrapper; forwarding uses the existing
// case-level `sysctl:`.
import t from 'tap';
import { HostBackend, type LiveCase } from '../../src/backends/host.js';
import { execaRunner } from '../../src/backends/runner.js';
import { StateFile } from '../../src/backends/state.js';
import { parseScenario } from '../../src/model/load.js';
import { runCase } from '../../src/pipeline.js';
import type { CasePlan } from '../../src/plan/plan.js';
import type { Op } from '../../src/plan/types.js';
import type { CaseResult } from '../../src/verdict/verdict.js';
import { tempDir } from '../tmp.js';
import { needsRoot } from './helpers.js';

/** A backend that adds `extra(plan)` ops at the end of each case's plan: the test's routes. */
class RoutedBackend extends HostBackend {
  constructor(
    runner: ConstructorParameters<typeof HostBackend>[0],
    state: StateFile,
    private readonly extra: (plan: CasePlan) => Op[],
  ) {
    super(runner, state);
  }

  override up(plan: CasePlan): Promise<LiveCase> {
    return super.up({ ...plan, ops: [...plan.ops, ...this.extra(plan)] });
  }
}

const route = (node: string, ...args: string[]): Op => ({ node, argv: ['ip', ...args], why: 'test-only route' });

/** Runs every case of a scenario text with extra ops; returns the cases' results. */
const runAll = async (yaml: string, extra: (plan: CasePlan) => Op[]): Promise<CaseResult[]> => {
  const scenario = parseScenario(yaml, 'replies.yaml');
  const runner = execaRunner();
  const state = StateFile.create(tempDir('lab-replies-state-'), { pid: process.pid, scenarios: ['replies.yaml'] });
  const backend = new RoutedBackend(runner, state, extra);
  try {
    return await Promise.all(scenario.cases.map((_, i) => runCase(runner, backend, scenario, i, `lab-${state.runId}`)));
  } finally {
    await backend.flush();
    state.close();
  }
};

const ROUTER = `
name: router
nodes: { h1: {}, r: {}, h2: {} }
links: [[h1:eth0, r:eth0], [r:eth1, h2:eth0]]
addresses:
  h1:eth0: [192.0.2.1/24, "2001:db8:1::1/64"]
  r:eth0: [192.0.2.254/24, "2001:db8:1::fe/64"]
  r:eth1: [198.51.100.254/24, "2001:db8:2::fe/64"]
  h2:eth0: [198.51.100.2/24, "2001:db8:2::2/64"]
`;

const FORWARD = `sysctl: { r: { net.ipv4.ip_forward: 1, net.ipv6.conf.all.forwarding: 1 } }`;
const BACK = ['h2:eth0', 'r:eth1', 'r:eth0', 'h1:eth0'];
const THERE = ['h1:eth0', 'r:eth0', 'r:eth1', 'h2:eth0'];

const routerCases = `
cases:
  - name: through the router
    ${FORWARD}
    probes:
      - { udp: { from: h1:192.0.2.1, to: 198.51.100.2 } }
      - { icmp: { from: h1:192.0.2.1, to: 198.51.100.2 } }
      - { tcp: { from: h1:192.0.2.1, to: 198.51.100.2 }, expect: { handshake: true } }
      - { icmp: { from: "h1:2001:db8:1::1", to: "2001:db8:2::2" } }
      - { tcp: { from: "h1:2001:db8:1::1", to: "2001:db8:2::2" }, expect: { handshake: true } }
    expect: { delivered: true, path: [${THERE.join(', ')}] }
  - name: forwarding off
    probes:
      - { udp: { from: h1:192.0.2.1, to: 198.51.100.2 } }
      - { icmp: { from: h1:192.0.2.1, to: 198.51.100.2 }, expect: { reply: { delivered: false, reason: FORWARDING_OFF } } }
      - { icmp: { from: "h1:2001:db8:1::1", to: "2001:db8:2::2" } }
      - { tcp: { from: h1:192.0.2.1, to: 198.51.100.2 }, expect: { handshake: false } }
    expect: { delivered: false, reason: FORWARDING_OFF, path: [h1:eth0, r:eth0] }
  - name: no route on the router
    ${FORWARD}
    probes:
      - { icmp: { from: h1:192.0.2.1, to: 203.0.113.5 } }
      - { udp: { from: "h1:2001:db8:1::1", to: "2001:db8:3::5" } }
    expect: { delivered: false, reason: NO_ROUTE }
  - name: blackhole on the router
    ${FORWARD}
    probes:
      - { icmp: { from: h1:192.0.2.1, to: 203.0.113.5 } }
      - { udp: { from: "h1:2001:db8:1::1", to: "2001:db8:3::5" } }
    expect: { delivered: false, reason: BLACKHOLE }
  - name: unreachable on the router
    ${FORWARD}
    probes:
      - { icmp: { from: h1:192.0.2.1, to: 203.0.113.5 } }
      - { tcp: { from: "h1:2001:db8:1::1", to: "[2001:db8:3::5]:80" } }
    expect: { delivered: false, reason: UNREACHABLE }
  - name: prohibit on the router
    ${FORWARD}
    probes:
      - { udp: { from: h1:192.0.2.1, to: 203.0.113.5 } }
      - { icmp: { from: "h1:2001:db8:1::1", to: "2001:db8:3::5" } }
    expect: { delivered: false, reason: PROHIBIT }
  - name: the destination has no route back
    ${FORWARD}
    probes:
      - { icmp: { from: h1:192.0.2.1, to: 198.51.100.2 }, expect: { delivered: true } }
      - { tcp: { from: h1:192.0.2.1, to: 198.51.100.2 }, expect: { delivered: false, handshake: false, reason: NO_ROUTE } }
    expect: { reply: { delivered: false, reason: NO_ROUTE, path: [] } }
  - name: negative control, the opposite expectations
    probes:
      - { icmp: { from: h1:192.0.2.1, to: 198.51.100.2 } }
      - { tcp: { from: h1:192.0.2.1, to: 198.51.100.2 } }
    expect: { delivered: true, handshake: true, reply: { delivered: true, reason: NO_ROUTE, path: [${BACK.join(', ')}] } }
`;

const routerOps = (plan: CasePlan): Op[] => {
  const gateways = [
    route('h1', 'route', 'add', 'default', 'via', '192.0.2.254'),
    route('h1', '-6', 'route', 'add', 'default', 'via', '2001:db8:1::fe'),
  ];
  const back = [
    route('h2', 'route', 'add', 'default', 'via', '198.51.100.254'),
    route('h2', '-6', 'route', 'add', 'default', 'via', '2001:db8:2::fe'),
  ];
  const on = (type: string): Op[] => [
    route('r', 'route', 'add', type, '203.0.113.0/24'),
    route('r', '-6', 'route', 'add', type, '2001:db8:3::/64'),
  ];
  const name = plan.case.name;
  if (name === 'the destination has no route back') return gateways;
  const refusing = /^(blackhole|unreachable|prohibit) on the router$/.exec(name)?.[1];
  return [...gateways, ...back, ...(refusing ? on(refusing) : [])];
};

t.test('replies and router-side causes through h1 — r — h2', { skip: needsRoot }, async (t) => {
  const cases = await runAll(ROUTER + routerCases, routerOps);
  const byName = (n: string) => cases.find((c) => c.name === n) as CaseResult;
  const control = cases.pop() as CaseResult;
  t.equal(control.status, 'fail', 'the opposite expectations fail');
  t.same(control.expectations.filter((e) => !e.ok).map((e) => e.what.replace(/^.*: /, '')).sort(), [
    'delivered', 'delivered', 'handshake', 'handshake', 'reply.delivered', 'reply.delivered', 'reply.path', 'reply.path', 'reply.reason', 'reply.reason',
  ], 'each of them fails: delivered, handshake (an icmp probe has none) and every reply key');
  for (const c of cases) {
    const failed = c.expectations.filter((e) => !e.ok).map((e) => `${e.what}: expected ${JSON.stringify(e.expected)}, saw ${JSON.stringify(e.actual)}`);
    t.equal(c.status, 'pass', `${c.name}${c.error ? `: ${c.error}` : ''}${failed.length ? `\n${failed.join('\n')}\n${c.probes.map((p) => `${p.name}: ${p.explanation}\n  ${p.evidence.join('\n  ')}`).join('\n')}` : ''}`);
  }

  const through = byName('through the router').probes;
  for (const p of through.filter((p) => p.proto !== 'udp')) {
    t.same(p.reply?.path, BACK, `${p.name}: the answer came back through r`);
    t.equal(p.reply?.delivered, true, `${p.name}: reply delivered`);
  }
  t.equal(through[0]?.reply, undefined, 'a udp probe has no reply');

  const off = byName('forwarding off').probes;
  t.match(off[0]?.explanation, /r received it on eth0 for 198\.51\.100\.2 but does not forward: net\.ipv4\.conf\.eth0\.forwarding is 0/);
  t.match(off[2]?.explanation, /net\.ipv6\.conf\.all\.forwarding is 0 \(Ip6InAddrErrors \+1\)/);
  t.match(byName('blackhole on the router').probes[0]?.explanation, /r received it on eth0 and dropped it silently: route blackhole 203\.0\.113\.0\/24 table main/);
  t.match(byName('unreachable on the router').probes[0]?.explanation, /route unreachable 203\.0\.113\.0\/24 table main/);
  t.match(byName('prohibit on the router').probes[1]?.explanation, /route prohibit 2001:db8:3::\/64 dev lo table main/);
  t.match(byName('no route on the router').probes[0]?.explanation, /r has no route to 203\.0\.113\.5 .*Network is unreachable.*ICMP destination-unreachable back/);
  const noBack = byName('the destination has no route back').probes;
  t.match(noBack[0]?.reply?.explanation, /no echo reply \(NO_ROUTE\): h2 has no route to 192\.0\.2\.1/);
  t.match(noBack[0]?.explanation, /^delivered over the wire, received on h2:eth0; no echo reply/);
});

const ASYMMETRIC = `
name: asymmetric
nodes: { h1: {}, r1: {}, r2: {}, h2: {} }
links: [[h1:eth0, r1:eth0], [r1:eth1, h2:eth0], [h2:eth1, r2:eth1], [r2:eth0, h1:eth1]]
addresses:
  h1:eth0: 192.0.2.1/25
  r1:eth0: 192.0.2.126/25
  r1:eth1: 198.51.100.1/24
  h2:eth0: 198.51.100.2/24
  h2:eth1: 203.0.113.2/24
  r2:eth1: 203.0.113.254/24
  r2:eth0: 192.0.2.254/25
  h1:eth1: 192.0.2.129/25
cases:
  - name: the reply comes back through the other router
    sysctl: { r1: { net.ipv4.ip_forward: 1 }, r2: { net.ipv4.ip_forward: 1, net.ipv4.conf.all.rp_filter: 0, net.ipv4.conf.eth1.rp_filter: 0 } }
    probes: [ { icmp: { from: h1:192.0.2.1, to: 198.51.100.2 } } ]
    expect: { delivered: true, path: [h1:eth0, r1:eth0, r1:eth1, h2:eth0], reply: { delivered: true, path: [h2:eth1, r2:eth1, r2:eth0, h1:eth1] } }
  # h2 would ask r2's MAC with the reply's source (198.51.100.2), which strict r2 refuses to answer
  # (the ARP request fails the same reverse-path check): arp_announce 2 makes h2 ask as 203.0.113.2,
  # so that the reply itself reaches r2 and is dropped there.
  - name: strict rp_filter on the other router drops the reply
    sysctl: { r1: { net.ipv4.ip_forward: 1 }, r2: { net.ipv4.ip_forward: 1, net.ipv4.conf.all.rp_filter: 1 }, h2: { net.ipv4.conf.all.arp_announce: 2 } }
    probes: [ { icmp: { from: h1:192.0.2.1, to: 198.51.100.2 } } ]
    expect: { delivered: true, reply: { delivered: false, reason: RPFILTER, path: [h2:eth1, r2:eth1] } }
`;

const asymmetricOps = (): Op[] => [
  route('h1', 'route', 'add', '198.51.100.0/24', 'via', '192.0.2.126'),
  route('h2', 'route', 'add', '192.0.2.0/24', 'via', '203.0.113.254'),
  route('r2', 'route', 'add', '192.0.2.0/25', 'via', '192.0.2.129'),
];

t.test('a reply that takes another way back, and a router that drops it', { skip: needsRoot }, async (t) => {
  const cases = await runAll(ASYMMETRIC, asymmetricOps);
  for (const c of cases) {
    const failed = c.expectations.filter((e) => !e.ok).map((e) => `${e.what}: expected ${JSON.stringify(e.expected)}, saw ${JSON.stringify(e.actual)}`);
    t.equal(c.status, 'pass', `${c.name}${c.error ? `: ${c.error}` : ''}${failed.length ? `\n${failed.join('\n')}\n${c.probes.map((p) => `${p.name}: ${p.explanation}\n  ${p.evidence.join('\n  ')}`).join('\n')}` : ''}`);
  }
  const dropped = cases[1]?.probes[0];
  t.match(dropped?.reply?.explanation, /r2:eth1 dropped the reply on the reverse-path check: source 198\.51\.100\.2 is not routed back out of eth1 \(rp_filter 1/);
});
