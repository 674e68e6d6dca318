// Each router-side cause from evidence recorded by hand on kernel 6.18 (h1 — r — h2, see
// src/probes/hops.ts): the route-get answer, the sysctls, the covering routes, the counter deltas.
import t from 'tap';
import type { HopEvidence } from '../../../src/types/observation.js';
import { diagnoseHop, hopEvidenceLine } from '../../../src/verdict/hop.js';

const hop = (o: Partial<HopEvidence>): HopEvidence => ({
  leg: 'request', node: 'r', iif: 'eth0', dst: '203.0.113.5', src: '192.0.2.1', family: 4,
  decision: { ok: true, type: 'unicast', dev: 'eth1', table: 'main' }, forwarding: 1,
  forwardingKey: 'net.ipv4.conf.eth0.forwarding', rpFilter: 0, routes: [], ...o,
});
const refused = (error: string) => ({ ok: false as const, error });

t.test('FORWARDING_OFF: IPv4 says "No route to host", IPv6 finds a route; the sysctl decides', async (t) => {
  const v4 = diagnoseHop(hop({ dst: '198.51.100.2', forwarding: 0, decision: refused('No route to host') }), { IpInAddrErrors: 1 });
  t.equal(v4?.cause, 'FORWARDING_OFF');
  t.equal(v4?.why, 'r received it on eth0 for 198.51.100.2 but does not forward: net.ipv4.conf.eth0.forwarding is 0 (net.ipv4.ip_forward) (IpInAddrErrors +1)');
  const v6 = diagnoseHop(hop({ family: 6, dst: '2001:db8:2::2', src: '2001:db8:1::1', forwarding: 0, forwardingKey: 'net.ipv6.conf.all.forwarding' }), { Ip6InAddrErrors: 1 });
  t.equal(v6?.cause, 'FORWARDING_OFF');
  t.match(v6?.why, /net\.ipv6\.conf\.all\.forwarding is 0 \(Ip6InAddrErrors \+1\)$/);
  t.equal(diagnoseHop(hop({ forwarding: 1, decision: refused('No route to host') }), {})?.cause, 'UNREACHABLE', 'control: forwarding on, same answer is an unreachable route');
});

t.test('NO_ROUTE on a router, with the ICMP error it sent back', async (t) => {
  const d = diagnoseHop(hop({ decision: refused('Network is unreachable') }), { IpExtInNoRoutes: 1, IcmpOutDestUnreachs: 1 });
  t.equal(d?.cause, 'NO_ROUTE');
  t.equal(d?.why, 'r has no route to 203.0.113.5 (route get iif eth0: Network is unreachable); it sent an ICMP destination-unreachable back');
});

t.test('BLACKHOLE, UNREACHABLE, PROHIBIT: the route named', async (t) => {
  const bh = diagnoseHop(hop({ decision: refused('Invalid argument'), routes: [{ type: 'blackhole', dst: '203.0.113.0/24', table: 'main' }] }), {});
  t.equal(bh?.cause, 'BLACKHOLE');
  t.equal(bh?.why, 'r received it on eth0 and dropped it silently: route blackhole 203.0.113.0/24 table main');
  const un = diagnoseHop(hop({ decision: refused('No route to host'), routes: [{ type: 'unreachable', dst: '203.0.113.0/24', table: '100' }] }), { IcmpOutDestUnreachs: 1 });
  t.equal(un?.cause, 'UNREACHABLE');
  t.equal(un?.why, 'r received it on eth0 and refused it; it sent an ICMP destination-unreachable back: route unreachable 203.0.113.0/24 table 100');
  const pr = diagnoseHop(hop({ decision: refused('Permission denied') }), {});
  t.equal(pr?.cause, 'PROHIBIT');
  t.equal(pr?.why, 'r received it on eth0 and refused it: a rule or route of type prohibit (route get: Permission denied)', 'no route of the type: a rule did it');
});

t.test('"Invalid argument" without a blackhole route is not BLACKHOLE: strict rp_filter, or nothing known', async (t) => {
  const rp = diagnoseHop(hop({ leg: 'reply', node: 'r2', iif: 'eth1', dst: '192.0.2.1', src: '198.51.100.2', rpFilter: 1, decision: refused('Invalid argument') }), { TcpExtIPReversePathFilter: 1 });
  t.equal(rp?.cause, 'RPFILTER');
  t.equal(rp?.why, 'r2:eth1 dropped the reply on the reverse-path check: source 198.51.100.2 is not routed back out of eth1 (rp_filter 1, TcpExtIPReversePathFilter +1)');
  t.equal(diagnoseHop(hop({ decision: refused('Invalid argument') }), {}), undefined, 'rp_filter 0, no blackhole: no cause claimed');
  t.equal(diagnoseHop(hop({}), {}), undefined, 'a router that would forward it: no cause here');
});

t.test('the reply never sent: the destination has no route back (output decision, no iif)', async (t) => {
  const { iif: _, ...rest } = hop({});
  const d = diagnoseHop({ ...rest, leg: 'reply', node: 'h2', dst: '192.0.2.1', src: '198.51.100.2', decision: refused('Network is unreachable') }, {});
  t.equal(d?.cause, 'NO_ROUTE');
  t.equal(d?.why, 'h2 has no route to 192.0.2.1 (route get: Network is unreachable)');
});

t.test('evidence line', async (t) => {
  t.equal(
    hopEvidenceLine(hop({ decision: refused('Invalid argument'), routes: [{ type: 'blackhole', dst: '203.0.113.0/24', table: 'main' }, { type: 'unicast', dst: 'default', table: 'main', dev: 'eth0' }] })),
    'request at r: route get 203.0.113.5 from 192.0.2.1 iif eth0: refused: Invalid argument; net.ipv4.conf.eth0.forwarding 1, rp_filter 0; covering: blackhole 203.0.113.0/24 table main',
  );
});
