// Which table answered the sender: the first decision's lookups, source-matched, from fib
// tracepoint lines recorded by hand on kernel 6.18.44 (fix-routes, /tmp/fr/sup.sh, local2.sh),
// and whose neighbour entry tells a datagram's fate (the gateway's).
import t from 'tap';
import type { Probe } from '../../../src/types/scenario.js';
import { decidingLookup, firstDecision, parseFibTrace, selectLookups } from '../../../src/probes/fib-trace.js';
import { parseRouteGet } from '../../../src/probes/evidence.js';
import { neighShowArgs, nextHopOf } from '../../../src/probes/next-hop.js';
import { lookupSelector } from '../../../src/probes/route-query.js';
import { actualRoute } from '../../../src/verdict/route.js';

const udp6 = (from: string, to: string): Probe => ({
  kind: 'udp', name: 'p', from: { node: 't', address: from }, to: { address: to },
  family: 6, timeoutMs: 1000, listen: true, loc: { line: 1, col: 1 },
});
const udp4 = (from: string, to: string): Probe => ({ ...udp6(from, to), family: 4 });
const tableOf = (probe: Probe, port: number, text: string): number | undefined =>
  decidingLookup(selectLookups(parseFibTrace(text), lookupSelector(probe, port)))?.table;

// Two senders to the same destination and port, as two cases running side by side do
// (policy-routing: 2001:db8:a::1 answered by main, 2001:db8:b::1 by a source rule's table 200);
// the other sender's lookups come first in the window.
const TWO_SENDERS = `
           socat-24742   [001] .....  6210.331574: fib6_table_lookup: table 255 oif 0 iif 1 proto 17 2001:db8:1::1/44156 -> 2001:db8:3::1/47002 flowlabel 0x0 tos 0 scope 0 flags 0 ==> dev lo gw :: err -113
           socat-24742   [001] .....  6210.331577: fib6_table_lookup: table 200 oif 0 iif 1 proto 17 2001:db8:1::1/44156 -> 2001:db8:3::1/47002 flowlabel 0x0 tos 0 scope 0 flags 0 ==> dev eth0 gw 2001:db8:1::2 err 0
           socat-24736   [000] .....  6210.310601: fib6_table_lookup: table 255 oif 0 iif 1 proto 17 2001:db8:2::1/55086 -> 2001:db8:3::1/47002 flowlabel 0x0 tos 0 scope 0 flags 0 ==> dev lo gw :: err -113
           socat-24736   [000] .....  6210.310606: fib6_table_lookup: table 254 oif 0 iif 1 proto 17 2001:db8:2::1/55086 -> 2001:db8:3::1/47002 flowlabel 0x0 tos 0 scope 0 flags 0 ==> dev eth1 gw 2001:db8:2::2 err 0
           socat-24736   [000] ..s1.  6210.310635: fib6_table_lookup: table 255 oif 0 iif 3 proto 17 2001:db8:2::1/0 -> 2001:db8:3::1/0 flowlabel 0x2296f tos 0 scope 0 flags 0 ==> dev lo gw :: err 0
`;

t.test('IPv6, main answers: another sender of the same destination and port is not this probe', async (t) => {
  t.equal(tableOf(udp6('2001:db8:2::1', '2001:db8:3::1'), 47002, TWO_SENDERS), 254, 'main, as route get says (no table printed)');
  t.equal(tableOf(udp6('2001:db8:1::1', '2001:db8:3::1'), 47002, TWO_SENDERS), 200, 'the source rule\'s table for the other');
  t.same(selectLookups(parseFibTrace(TWO_SENDERS), lookupSelector(udp6('2001:db8:2::1', '2001:db8:3::1'), 47002)).map((l) => l.table), [255, 254]);
});

// `ip -6 rule add pref 100 table main suppress_prefixlength 0`, pref 200 table 200; route get:
// "via 2001:db8:1::2 dev eth0 table 200".
const SUPPRESSED = `
           socat-24702   [001] .....  6210.072531: fib6_table_lookup: table 255 oif 0 iif 1 proto 17 2001:db8:1::1/38197 -> 2001:db8:3::1/47000 flowlabel 0x0 tos 0 scope 0 flags 0 ==> dev lo gw :: err -113
           socat-24702   [001] .....  6210.072535: fib6_table_lookup: table 254 oif 0 iif 1 proto 17 2001:db8:1::1/38197 -> 2001:db8:3::1/47000 flowlabel 0x0 tos 0 scope 0 flags 0 ==> dev eth1 gw 2001:db8:2::2 err 0
           socat-24702   [001] .....  6210.072538: fib6_table_lookup: table 200 oif 0 iif 1 proto 17 2001:db8:1::1/38197 -> 2001:db8:3::1/47000 flowlabel 0x0 tos 0 scope 0 flags 0 ==> dev eth0 gw 2001:db8:1::2 err 0
           socat-24702   [001] ..s1.  6210.072599: fib6_table_lookup: table 255 oif 0 iif 2 proto 17 2001:db8:1::1/0 -> 2001:db8:3::1/0 flowlabel 0x8568c tos 0 scope 0 flags 0 ==> dev lo gw :: err 0
`;

t.test('suppress_prefixlength: main\'s answer is printed but does not stand; table 200 decides', async (t) => {
  const p = udp6('2001:db8:1::1', '2001:db8:3::1');
  t.equal(tableOf(p, 47000, SUPPRESSED), 200);
  const prediction = parseRouteGet(0, '[{"dst":"2001:db8:3::1","gateway":"2001:db8:1::2","dev":"eth0","table":"200","prefsrc":"2001:db8:1::1"}]', '');
  const lookups = selectLookups(parseFibTrace(SUPPRESSED), lookupSelector(p, 47000));
  t.equal(actualRoute(p, prediction, lookups).table, 200);
  // A second decision (a second datagram) starts again at local: only the first counts.
  t.same(firstDecision([...lookups, ...lookups]).map((l) => l.table), [255, 254, 200]);
});

// Carrier off on the peer, a datagram to the sender's own address, only the default rules: local's
// routes live merged in main, the sender's lookup (iif 1, its ports) is table 254 and route get
// prints no table; the table 255 lookups (iif 0, proto 0) are inet_addr_type's. After a rule is
// added (fib_unmerge) the same send is answered by 255.
const LOCAL_MERGED = `
           socat-23247   [000] .....  6132.217334: fib_table_lookup: table 255 oif 0 iif 0 proto 0 0.0.0.0/0 -> 198.51.100.71/0 tos 0 scope 0 flags 0 ==> dev eth0 gw 0.0.0.0/:: err 0
           socat-23247   [000] .....  6132.217376: fib_table_lookup: table 254 oif 0 iif 1 proto 17 198.51.100.71/38906 -> 198.51.100.71/9 tos 0 scope 0 flags 0 ==> dev eth0 gw 0.0.0.0/:: err 0
           socat-23247   [000] b.s2.  6132.217413: fib_table_lookup: table 254 oif 0 iif 1 proto 1 198.51.100.71/0 -> 198.51.100.71/0 tos 192 scope 0 flags 0 ==> dev eth0 gw 0.0.0.0/:: err 0
           socat-23247   [000] b.s2.  6132.217415: fib_table_lookup: table 255 oif 0 iif 0 proto 0 0.0.0.0/0 -> 198.51.100.71/0 tos 0 scope 0 flags 0 ==> dev eth0 gw 0.0.0.0/:: err 0
`;
const LOCAL_UNMERGED = `
           socat-24024   [001] .....  6174.392479: fib_table_lookup: table 255 oif 0 iif 0 proto 0 0.0.0.0/0 -> 198.51.100.71/0 tos 0 scope 0 flags 0 ==> dev eth0 gw 0.0.0.0/:: err 0
           socat-24024   [001] .....  6174.392528: fib_table_lookup: table 255 oif 0 iif 1 proto 17 198.51.100.71/48599 -> 198.51.100.71/9 tos 0 scope 0 flags 0 ==> dev eth0 gw 0.0.0.0/:: err 0
`;

t.test('a local destination: main with the default rules (merged tables), local once a rule exists', async (t) => {
  const p = udp4('198.51.100.71', '198.51.100.71');
  t.equal(tableOf(p, 9, LOCAL_MERGED), 254);
  t.equal(tableOf(p, 9, LOCAL_UNMERGED), 255);
  t.equal(parseFibTrace(LOCAL_MERGED)[1]?.gateway, undefined, 'gw 0.0.0.0/:: is no gateway');
});

t.test('IPv4: EAGAIN goes on, the answer after it decides; a decision ending on EAGAIN decides nothing', async (t) => {
  const line = (table: number, err: number, dev = '-') =>
    `socat-1 [000] .....  1.0: fib_table_lookup: table ${table} oif 0 iif 1 proto 17 192.0.2.1/5 -> 198.51.100.2/47000 tos 0 scope 0 flags 0 ==> dev ${dev} gw 0.0.0.0/:: err ${err}`;
  const p = udp4('192.0.2.1', '198.51.100.2');
  t.equal(tableOf(p, 47000, [line(255, -11), line(100, 0, 'e1'), line(255, -11), line(100, 0, 'e1')].join('\n')), 100);
  t.equal(tableOf(p, 47000, [line(255, -11), line(254, -11), line(253, -11)].join('\n')), undefined);
  t.equal(tableOf(p, 47000, [line(255, -11), line(100, -113)].join('\n')), 100, 'an unreachable route decides');
});

t.test('the neighbour that matters is the gateway\'s, the destination\'s only on a link route', async (t) => {
  const via = parseRouteGet(0, '[{"dst":"2001:db8:3::1","gateway":"2001:db8:2::3","dev":"eth1","prefsrc":"2001:db8:2::1"}]', '');
  t.same(nextHopOf('2001:db8:3::1', via), { address: '2001:db8:2::3', dev: 'eth1' });
  t.same(neighShowArgs(nextHopOf('2001:db8:3::1', via)), ['neigh', 'show', 'to', '2001:db8:2::3', 'dev', 'eth1']);
  const via4 = parseRouteGet(0, '[{"dst":"203.0.113.1","gateway":"198.51.100.2","dev":"eth0"}]', '');
  t.same(nextHopOf('203.0.113.1', via4), { address: '198.51.100.2', dev: 'eth0' });
  const link = parseRouteGet(0, '[{"dst":"198.51.100.2","dev":"eth0","prefsrc":"198.51.100.1"}]', '');
  t.same(nextHopOf('198.51.100.2', link), { address: '198.51.100.2', dev: 'eth0' });
  t.same(nextHopOf('198.51.100.2', parseRouteGet(2, '', 'RTNETLINK answers: Network is unreachable\n')), { address: '198.51.100.2' });
});
