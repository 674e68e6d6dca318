// Replies and router-side causes, in real namespaces, through `lab run` as a user would:
// test/integration/fixtures/replies-router.yaml (h1 — r — h2, default gateways via r) and
// replies-asymmetric.yaml (the reply takes another router back). Every expectation there was
// first reproduced by hand (ip, ping, socat, nstat, tcpdump, skb:kfree_skb) in namespaces of our own.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { tempDir } from '../tmp.js';
import { lab, needsRoot, ROOT, runCases, whyNotPassed } from './helpers.js';

interface Reply { delivered: boolean; path: string[]; reason: string | null; explanation: string }
interface Probe { name: string; proto: string; delivered: boolean; cause: string | null; explanation: string; evidence: string[]; reply?: Reply; handshake?: boolean }
interface Case { name: string; status: string; probes: Probe[]; expectations: { what: string; ok: boolean; expected: unknown; actual: unknown }[] }

const FIXTURES = join(ROOT, 'test', 'integration', 'fixtures');

const run = (file: string) => runCases<Case>(file);

const why = whyNotPassed;

t.test('replies and router-side causes through h1 — r — h2', { skip: needsRoot }, async (t) => {
  const { exitCode, cases, stderr } = await run(join(FIXTURES, 'replies-router.yaml'));
  t.equal(exitCode, 0, stderr);
  for (const c of cases) t.equal(c.status, 'pass', `${c.name}\n${c.status === 'pass' ? '' : why(c)}`);
  const probes = (name: string): Probe[] => cases.find((c) => c.name === name)?.probes ?? [];

  const BACK = ['h2:eth0', 'r:eth1', 'r:eth0', 'h1:eth0'];
  for (const p of probes('there and back through the router')) {
    t.same(p.reply?.path, BACK, `${p.name}: the answer came back through r`);
  }
  t.same(probes('there and back through the router').map((p) => p.handshake), [undefined, true, undefined], 'handshake only for tcp');

  const [udpOff, icmp6Off] = probes('forwarding off on the router');
  t.match(udpOff?.explanation, /r received it on eth0 for 198\.51\.100\.2 but does not forward: net\.ipv4\.conf\.eth0\.forwarding is 0 \(net\.ipv4\.ip_forward\)/);
  t.match(icmp6Off?.explanation, /net\.ipv6\.conf\.all\.forwarding is 0 \(Ip6InAddrErrors \+1\)/);
  t.equal(udpOff?.reply, undefined, 'a udp probe has no reply');
  t.match(probes('the router has no route')[0]?.explanation, /r has no route to 203\.0\.113\.5 \(route get iif eth0: Network is unreachable\); it sent an ICMP destination-unreachable back/);
  t.match(probes('a blackhole route on the router')[0]?.explanation, /r received it on eth0 and dropped it silently: route blackhole 203\.0\.113\.0\/24 table main/);
  t.match(probes('a blackhole route on the router')[1]?.explanation, /route blackhole 2001:db8:3::\/64 dev lo table main/);
  t.match(probes('an unreachable route on the router')[0]?.explanation, /route unreachable 203\.0\.113\.0\/24 table main/);
  t.match(probes('a prohibit route on the router')[0]?.explanation, /route prohibit 203\.0\.113\.0\/24 table main/);
  const [icmpNoBack, tcpNoBack] = probes('the destination has no route back');
  t.match(icmpNoBack?.explanation, /^delivered over the wire, received on h2:eth0; no echo reply \(NO_ROUTE\): h2 has no route to 192\.0\.2\.1/);
  t.match(tcpNoBack?.explanation, /^not delivered \(NO_ROUTE\): the SYN reached h2, but h2 has no route to 192\.0\.2\.1/);
});

t.test('a reply that takes another way back, and a router that drops it', { skip: needsRoot }, async (t) => {
  const { exitCode, cases, stderr } = await run(join(FIXTURES, 'replies-asymmetric.yaml'));
  t.equal(exitCode, 0, stderr);
  for (const c of cases) t.equal(c.status, 'pass', `${c.name}\n${c.status === 'pass' ? '' : why(c)}`);
  t.match(cases[1]?.probes[0]?.reply?.explanation,
    /r2:eth1 dropped the reply on the reverse-path check: source 198\.51\.100\.2 is not routed back out of eth1 \(rp_filter 1, TcpExtIPReversePathFilter \+1\)/);
});

t.test('negative control: the opposite expectations fail, each of them', { skip: needsRoot }, async (t) => {
  // The router scenario's topology with one case expecting the opposite of what happens.
  const router = readFileSync(join(FIXTURES, 'replies-router.yaml'), 'utf8');
  const topology = router.slice(0, router.indexOf('cases:'));
  const file = join(tempDir('lab-replies-'), 'opposite.yaml');
  writeFileSync(file, `${topology}cases:
  - name: opposite
    nodes: { h2: { replace: [routes] } }
    probes:
      - icmp: { from: h1:192.0.2.1, to: 198.51.100.2 }
      - tcp: { from: h1:192.0.2.1, to: "198.51.100.2:80" }
        expect: { handshake: true }
    expect: { delivered: false, reply: { delivered: true, reason: FORWARDING_OFF, path: [h2:eth0, r:eth1, r:eth0, h1:eth0] } }
  - name: forwarding off, expected on
    nodes: { r: { forwarding: false } }
    probes: [ { icmp: { from: h1:192.0.2.1, to: 198.51.100.2 } } ]
    expect: { reason: BLACKHOLE }
`);
  const { exitCode, cases } = await run(file);
  t.equal(exitCode, 1, 'lab fails the run');
  const failed = (c: Case | undefined) => c?.expectations.filter((e) => !e.ok).map((e) => e.what.replace(/^.*: /, '')).sort();
  t.same(failed(cases[0]), ['delivered', 'handshake', 'reply.delivered', 'reply.delivered', 'reply.path', 'reply.path', 'reply.reason', 'reply.reason'],
    'icmp: delivered and every reply key; tcp: handshake and every reply key (its delivered: false holds)');
  t.same(cases[1]?.expectations.map((e) => [e.expected, e.actual, e.ok]), [['BLACKHOLE', 'FORWARDING_OFF', false]]);
});
