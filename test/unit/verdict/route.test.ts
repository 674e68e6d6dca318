// route:/reject: verdicts and the sender-side causes, from evidence text measured on kernel 6.18.
import t from 'tap';
import type { Probe } from '../../../src/types/scenario.js';
import { parseFibTrace, selectLookups } from '../../../src/probes/fib-lookups.js';
import { parseRouteGet } from '../../../src/probes/evidence.js';
import type { ProbeObservation } from '../../../src/types/observation.js';
import { routeGetCommand, lookupSelector } from '../../../src/probes/route-query.js';
import { judgeRoute, rejectOf } from '../../../src/verdict/route.js';
import { errnoName, senderCause } from '../../../src/verdict/sender-causes.js';

const probe = (over: Partial<Probe> = {}): Probe => ({
  kind: 'udp', name: 'p', from: { node: 'a', address: '192.0.2.1' }, to: { address: '198.51.100.2' },
  family: 4, timeoutMs: 1000, listen: true, loc: { line: 1, col: 1 }, ...over,
});
const obs = (o: Partial<ProbeObservation>): ProbeObservation => ({
  delivered: false, path: [], devices: {}, legs: [], neighbours: [], counters: {}, firewalled: [], limits: [], ...o,
});
const refused = (message: string) => parseRouteGet(2, '', `RTNETLINK answers: ${message}\n`);

// Lines as the trace printed them here (h-probes-1, socat and ip).
const TRACE = `
           socat-11344   [000] .....   422.965023: fib_table_lookup: table 255 oif 0 iif 1 proto 17 192.0.2.1/55627 -> 198.51.100.2/47000 tos 0 scope 0 flags 0 ==> dev - gw 0.0.0.0/:: err -11
           socat-11344   [000] .....   422.965026: fib_table_lookup: table 100 oif 0 iif 1 proto 17 192.0.2.1/55627 -> 198.51.100.2/47000 tos 0 scope 0 flags 0 ==> dev e1 gw 192.0.2.6/:: err 0
           socat-11344   [000] b.s2.   422.965071: fib_table_lookup: table 254 oif 2 iif 1 proto 17 198.51.100.2/47000 -> 192.0.2.1/55627 tos 0 scope 0 flags 0 ==> dev e0 gw 0.0.0.0/:: err 0
              ip-11345   [001] .....   422.983365: fib_table_lookup: table 255 oif 0 iif 1 proto 17 192.0.2.1/0 -> 198.51.100.2/47000 tos 0 scope 0 flags 0 ==> dev - gw 0.0.0.0/:: err -11
           socat-1588    [001] .....  2467.896991: fib6_table_lookup: table 255 oif 0 iif 1 proto 58 2001:db8::1/0 -> 2001:db8:8::1/0 flowlabel 0x0 tos 0 scope 0 flags 0 ==> dev lo gw :: err -113
           socat-1588    [001] .....  2467.896998: fib6_table_lookup: table 254 oif 0 iif 1 proto 58 2001:db8::1/0 -> 2001:db8:8::1/0 flowlabel 0x0 tos 0 scope 0 flags 0 ==> dev lo gw :: err -13
`;

t.test('the fib trace: parsed, and one probe picked out by its port (udp) or its addresses (icmp)', async (t) => {
  const all = parseFibTrace(TRACE);
  t.equal(all.length, 6);
  t.same(all[1], {
    comm: 'socat', pid: 11344, table: 100, oif: 0, iif: 1, proto: 17, src: '192.0.2.1', sport: 55627, dst: '198.51.100.2', dport: 47000,
    tos: 0, dev: 'e1', gateway: '192.0.2.6', err: 0,
  });
  const mine = selectLookups(all, lookupSelector(probe(), 47000));
  t.same(mine.map((l) => l.table), [255, 100], 'the reply and ip route get are not the probe');
  // The source port tells apart another case sending between the same addresses and port.
  t.same(selectLookups(all, lookupSelector(probe(), 47000, 55627)).map((l) => l.table), [255, 100], 'its own source port');
  t.same(selectLookups(all, lookupSelector(probe(), 47000, 42001)), [], 'another sender\'s source port is not this probe');
  const v6 = selectLookups(all, lookupSelector(probe({ kind: 'icmp', family: 6, from: { node: 'a', address: '2001:db8::1' }, to: { address: '2001:db8:8::1' } }), 47001));
  t.same(v6.map((l) => [l.table, l.err]), [[255, -113], [254, -13]]);
});

t.test('route get is asked with the attributes the socket has', async (t) => {
  t.equal(routeGetCommand(probe({ from: { node: 'a', address: '192.0.2.1', dev: 'e0' }, attributes: { tos: 16, mark: 7, sport: 1500, uid: 1000 } }), 47000),
    'route get 198.51.100.2 from 192.0.2.1 oif e0 tos 0x10 mark 0x7 ipproto udp sport 1500 dport 47000 uid 1000');
  t.equal(routeGetCommand(probe({ kind: 'icmp', family: 6, from: { node: 'a', address: '2001:db8::1' }, to: { address: '2001:db8::2' } }), 47000),
    'route get 2001:db8::2 from 2001:db8::1 ipproto ipv6-icmp');
});

t.test('route: compares every key given; the trace names the table that answered', async (t) => {
  const p = probe({ attributes: { mark: 7 } });
  const lookups = selectLookups(parseFibTrace(TRACE), lookupSelector(p, 47000));
  const prediction = parseRouteGet(0, '[{"dst":"198.51.100.2","gateway":"192.0.2.6","dev":"e1","table":"100","prefsrc":"192.0.2.1"}]', '');
  t.same(judgeRoute('p', p, { route: { table: { name: 'wan', id: 100 }, dev: 'e1', via: '192.0.2.6' } }, { prediction, lookups }), [
    { what: 'p: route', expected: 'dev e1 via 192.0.2.6 table wan (100)', actual: 'dev e1 via 192.0.2.6 src 192.0.2.1 table 100', ok: true },
  ]);
  const [wrong] = judgeRoute('p', p, { route: { table: { id: 254, name: 'main' }, type: 'unicast' } }, { prediction, lookups });
  t.same(wrong, { what: 'p: route', expected: 'type unicast table main (254)', actual: 'dev e1 via 192.0.2.6 src 192.0.2.1 table 100', ok: false }, 'negative control');
  const [none] = judgeRoute('p', p, { reject: 'prohibit' }, { prediction, lookups });
  t.same(none, { what: 'p: reject', expected: 'prohibit', actual: 'none (dev e1)', ok: false });
});

t.test('reject: from the deciding lookup, else from route get\'s errno; EINVAL with a loopback source is no route type', async (t) => {
  t.equal(rejectOf(probe(), refused('No route to host'), undefined), 'unreachable');
  t.equal(rejectOf(probe(), refused('Permission denied'), undefined), 'prohibit');
  t.equal(rejectOf(probe(), refused('Network is unreachable'), undefined), 'no-route');
  t.equal(rejectOf(probe(), refused('Invalid argument'), undefined), 'blackhole');
  t.equal(rejectOf(probe({ from: { node: 'a', address: '127.0.0.5', dev: 'e1' } }), refused('Invalid argument'), undefined), undefined);
  // IPv6: the null entry's EHOSTUNREACH in local decides nothing; main's EACCES does.
  const v6 = parseFibTrace(TRACE).slice(4);
  t.equal(rejectOf(probe({ family: 6 }), refused('Permission denied'), v6), 'prohibit');
});

t.test('sender causes: the decision names the route type, else SEND_ERROR with the errno', async (t) => {
  t.same(senderCause(probe(), obs({ prediction: refused('No route to host'), sendError: 'sendto: No route to host' })), {
    cause: 'UNREACHABLE', why: "a's route decision is unreachable: No route to host; the sender was told: sendto: No route to host",
  });
  t.equal(senderCause(probe(), obs({ prediction: refused('Invalid argument') }))?.cause, 'BLACKHOLE');
  t.equal(senderCause(probe(), obs({ prediction: refused('Permission denied') }))?.cause, 'PROHIBIT');
  const loop = senderCause(probe({ from: { node: 'a', address: '127.0.0.5', dev: 'e1' } }), obs({ prediction: refused('Invalid argument'), sendError: 'sendto: Invalid argument' }));
  t.same(loop, { cause: 'SEND_ERROR', why: "a's kernel refused to send it: sendto: Invalid argument (EINVAL) (a loopback source on e1: the kernel routes 127/8 off lo only with route_localnet=1)" });
  // Not the sender's own refusal: a refused connection, a neighbour that never answered, a firewall's EPERM, a delivery.
  const ok = parseRouteGet(0, '[{"dst":"198.51.100.2","dev":"e0"}]', '');
  t.equal(senderCause(probe({ kind: 'tcp' }), obs({ prediction: ok, sendError: 'connect: Connection refused' })), undefined);
  t.equal(senderCause(probe({ kind: 'tcp' }), obs({ prediction: ok, sendError: 'connect: No route to host' })), undefined);
  t.equal(senderCause(probe(), obs({ prediction: ok, sendError: 'sendto: Operation not permitted', firewalled: ['a'] })), undefined);
  t.equal(senderCause(probe(), obs({ prediction: ok, sendError: 'sendto: Operation not permitted' }))?.cause, 'SEND_ERROR');
  t.equal(senderCause(probe(), obs({ prediction: ok })), undefined);
  t.equal(errnoName('bind: Cannot assign requested address'), 'EADDRNOTAVAIL');
});
