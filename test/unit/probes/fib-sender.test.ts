// A probe's route lookups are the ones its own sender made: two senders with the same 5-tuple
// (the same addresses and ports, as two cases of one run or two labs send them side by side) are
// told apart by the task the fib tracepoint names (`comm-pid`).
// Recorded by hand on kernel 6.18.44 (/tmp/fibpid/twosenders.sh): namespaces h-fibpid-1 and
// h-fibpid-2 with the same addresses; h-fibpid-2 has `rule pref 100 to 203.0.113.10 lookup 100`.
// Both send a datagram 192.0.2.1:42000 -> 203.0.113.10:47000 from a perl socket at once
// (perl-13323 in h-fibpid-1, answered by main; perl-13324 in h-fibpid-2, by table 100), then
// `ping -c1 -I 192.0.2.1 203.0.113.10` in each (ping-13325: main; ping-13326: table 100). The
// `b.s2.` lines are the peer's answers, made in softirq on the sender's task (addresses reversed).
import t from 'tap';
import type { Probe } from '../../../src/types/scenario.js';
import { decidingLookup, parseFibTrace, selectLookups } from '../../../src/probes/fib-lookups.js';
import { bySender } from '../../../src/probes/fib-sender.js';
import { lookupSelector } from '../../../src/probes/route-query.js';

const TWO_SENDERS = `
            perl-13324   [001] ..... 59930.107603: fib_table_lookup: table 255 oif 0 iif 1 proto 17 192.0.2.1/42000 -> 203.0.113.10/47000 tos 0 scope 0 flags 0 ==> dev - gw 0.0.0.0/:: err -11
            perl-13324   [001] ..... 59930.107606: fib_table_lookup: table 100 oif 0 iif 1 proto 17 192.0.2.1/42000 -> 203.0.113.10/47000 tos 0 scope 0 flags 0 ==> dev eth1 gw 198.51.100.2/:: err 0
            perl-13324   [001] b.s2. 59930.107665: fib_table_lookup: table 254 oif 0 iif 1 proto 1 203.0.113.10/0 -> 192.0.2.1/0 tos 192 scope 0 flags 0 ==> dev eth0 gw 0.0.0.0/:: err 0
            perl-13324   [001] b.s2. 59930.107669: fib_table_lookup: table 254 oif 3 iif 1 proto 17 203.0.113.10/47000 -> 192.0.2.1/42000 tos 0 scope 0 flags 0 ==> dev - gw 0.0.0.0/:: err -11
            perl-13323   [000] ..... 59930.129720: fib_table_lookup: table 254 oif 0 iif 1 proto 17 192.0.2.1/42000 -> 203.0.113.10/47000 tos 0 scope 0 flags 0 ==> dev eth0 gw 192.0.2.2/:: err 0
            perl-13323   [000] b.s2. 59930.129789: fib_table_lookup: table 254 oif 0 iif 1 proto 1 203.0.113.10/0 -> 192.0.2.1/0 tos 192 scope 0 flags 0 ==> dev eth0 gw 192.0.2.2/:: err 0
            perl-13323   [000] b.s2. 59930.129795: fib_table_lookup: table 254 oif 2 iif 1 proto 17 203.0.113.10/47000 -> 192.0.2.1/42000 tos 0 scope 0 flags 0 ==> dev eth0 gw 192.0.2.2/:: err 0
            ping-13325   [001] ..... 59930.139693: fib_table_lookup: table 254 oif 0 iif 1 proto 1 192.0.2.1/0 -> 203.0.113.10/0 tos 0 scope 0 flags 0 ==> dev eth0 gw 192.0.2.2/:: err 0
            ping-13325   [001] b.s2. 59930.139720: fib_table_lookup: table 254 oif 0 iif 1 proto 1 203.0.113.10/0 -> 192.0.2.1/0 tos 0 scope 0 flags 0 ==> dev eth0 gw 192.0.2.2/:: err 0
            ping-13326   [000] ..... 59930.142128: fib_table_lookup: table 255 oif 0 iif 1 proto 1 192.0.2.1/0 -> 203.0.113.10/0 tos 0 scope 0 flags 0 ==> dev - gw 0.0.0.0/:: err -11
            ping-13326   [000] ..... 59930.142132: fib_table_lookup: table 100 oif 0 iif 1 proto 1 192.0.2.1/0 -> 203.0.113.10/0 tos 0 scope 0 flags 0 ==> dev eth1 gw 198.51.100.2/:: err 0
            ping-13326   [000] b.s2. 59930.142169: fib_table_lookup: table 254 oif 0 iif 1 proto 1 203.0.113.10/0 -> 192.0.2.1/0 tos 0 scope 0 flags 0 ==> dev eth0 gw 198.51.100.2/:: err 0
`;

const probe = (kind: 'udp' | 'icmp'): Probe => ({
  kind, name: 'p', from: { node: 'a', address: '192.0.2.1' }, to: { address: '203.0.113.10' },
  family: 4, timeoutMs: 1000, listen: kind === 'udp', loc: { line: 1, col: 1 },
});
const all = parseFibTrace(TWO_SENDERS);
const udp = lookupSelector(probe('udp'), 47000, 42000);
const icmp = lookupSelector(probe('icmp'), 47000);
const tables = (pid: number, selector = udp) => selectLookups(all, bySender(selector, { pid })).map((l) => l.table);

t.test('the trace names the task of every lookup: comm and pid', async (t) => {
  t.equal(all.length, 12);
  t.same(all.map((l) => `${l.comm}-${l.pid}`).filter((v, i, a) => a.indexOf(v) === i), ['perl-13324', 'perl-13323', 'ping-13325', 'ping-13326']);
});

t.test('each sender of the same datagram gets only its own lookups, and its own table', async (t) => {
  t.same(tables(13323), [254], 'h-fibpid-1\'s sender: main alone');
  t.same(tables(13324), [255, 100], 'h-fibpid-2\'s sender: local, then the rule\'s table 100');
  t.equal(decidingLookup(selectLookups(all, bySender(udp, { pid: 13323 })))?.table, 254);
  t.equal(decidingLookup(selectLookups(all, bySender(udp, { pid: 13324 })))?.table, 100);
  t.same(tables(13325, icmp), [254], 'an echo request: its sender\'s lookup (main)');
  t.same(tables(13326, icmp), [255, 100], 'the other echo request: table 100');
  t.same(tables(99999), [], 'a process that sent nothing has no lookups');
});

t.test('negative control: without the sender the two senders\' lookups mix, and one verdict is wrong', async (t) => {
  const mixed = selectLookups(all, udp);
  t.same(mixed.map((l) => `${l.pid}:${l.table}`), ['13324:255', '13324:100', '13323:254'], 'both senders\' lookups are taken');
  // The first decision runs until local comes round again: it ends on the other sender's main.
  t.equal(decidingLookup(mixed)?.table, 254, 'h-fibpid-2\'s datagram would be said decided by main (it was table 100)');
  t.same(bySender(udp, undefined), udp, 'no sender known: the selector is unchanged');
  t.same(bySender(udp, { pid: 0 }), udp, 'pid 0 (the agent in a pid namespace of its own) is not a sender');
});

t.test('a ping or socat fallback is selected by its name only: two pings of the same addresses still mix', async (t) => {
  const pings = selectLookups(all, bySender(icmp, { comm: 'ping' }));
  t.same(pings.map((l) => l.pid), [13325, 13326, 13326], 'the perl sender is left out, the other ping is not');
  t.same(selectLookups(all, bySender(udp, { comm: 'socat' })), [], 'no socat sent here');
});
