// The answer of icmp and tcp probes, assembled from observations shaped like those recorded in
// h1 — r — h2 (test/integration/replies.test.ts runs them for real).
import t from 'tap';
import type { Probe } from '../../../src/types/scenario.js';
import type { ProbeObservation } from '../../../src/types/observation.js';
import { assembleReply, handshakeOf, judgeReply } from '../../../src/verdict/reply.js';
import { describeFailure, judgeExpectations, probeResult } from '../../../src/verdict/verdict.js';

const probe = (kind: Probe['kind']): Probe => ({
  kind, name: `${kind} probe`, from: { node: 'h1', address: '192.0.2.1' }, to: { address: '198.51.100.2' },
  family: 4, timeoutMs: 1000, listen: true, loc: { line: 1, col: 1 },
});
const counts = (path: string[], rx: string[]) =>
  Object.fromEntries(path.map((k) => [k, { tx: rx.includes(k) ? 0 : 1, rx: rx.includes(k) ? 1 : 0 }]));
const THERE = ['h1:eth0', 'r:eth0', 'r:eth1', 'h2:eth0'];
const BACK = ['h2:eth0', 'r:eth1', 'r:eth0', 'h1:eth0'];
const legs = (back: string[], backRx: string[]): ProbeObservation['legs'] => [
  { name: 'request', path: THERE, devices: counts(THERE, ['r:eth0', 'h2:eth0']) },
  { name: 'reply', path: back, devices: counts(back, backRx) },
];
const obs = (o: Partial<ProbeObservation>): ProbeObservation => ({
  delivered: true, path: THERE, devices: {}, legs: legs(BACK, ['r:eth1', 'h1:eth0']), neighbours: [], counters: {}, firewalled: [], limits: [], ...o,
});

t.test('udp has no reply', async (t) => {
  t.equal(assembleReply(probe('udp'), obs({}), undefined), undefined);
  t.equal(handshakeOf(probe('udp'), obs({})), undefined);
});

t.test('an echo reply and a SYN-ACK that came back', async (t) => {
  const icmp = assembleReply(probe('icmp'), obs({ answered: true }), undefined);
  t.same(icmp, { path: BACK, devices: counts(BACK, ['r:eth1', 'h1:eth0']), delivered: true, reason: null, explanation: 'the echo reply came back over h2:eth0 → r:eth1 → r:eth0 → h1:eth0' });
  const tcp = assembleReply(probe('tcp'), obs({ answered: true }), undefined);
  t.equal(tcp?.explanation, 'the SYN-ACK came back over h2:eth0 → r:eth1 → r:eth0 → h1:eth0');
  t.equal(handshakeOf(probe('tcp'), obs({ answered: true })), true);
  t.equal(handshakeOf(probe('tcp'), obs({ answered: false })), false);
});

t.test('no request, no reply: the request\'s cause', async (t) => {
  const r = assembleReply(probe('icmp'), obs({ delivered: false, answered: false, legs: legs([], []) }), 'FORWARDING_OFF');
  t.same([r?.delivered, r?.reason, r?.explanation], [false, 'FORWARDING_OFF', 'no echo reply (FORWARDING_OFF): the request was not delivered (FORWARDING_OFF)']);
});

t.test('a RST is no SYN-ACK', async (t) => {
  const r = assembleReply(probe('tcp'), obs({ delivered: false, answered: false, sendError: 'Connection refused' }), 'NO_LISTENER');
  t.same([r?.delivered, r?.reason, r?.path], [false, 'NO_LISTENER', BACK], 'its path is still shown');
  t.match(r?.explanation, /a RST came back over h2:eth0 → r:eth1 → r:eth0 → h1:eth0 instead/);
});

t.test('request delivered, reply lost: the cause where it stopped', async (t) => {
  const noRouteBack = obs({
    answered: false, legs: legs([], []),
    hops: [{ leg: 'reply', node: 'h2', dst: '192.0.2.1', src: '198.51.100.2', family: 4, decision: { ok: false, error: 'Network is unreachable' }, routes: [] }],
  });
  const r = assembleReply(probe('icmp'), noRouteBack, undefined);
  t.same([r?.delivered, r?.reason], [false, 'NO_ROUTE']);
  t.equal(r?.explanation, 'no echo reply (NO_ROUTE): h2 has no route to 192.0.2.1 (route get: Network is unreachable)');
  const result = probeResult(probe('icmp'), '198.51.100.2', noRouteBack, 'h2');
  t.match(result.explanation, /^delivered over the wire, received on h2:eth0; no echo reply \(NO_ROUTE\)/, 'the probe\'s explanation says both');

  const rpAtSender = assembleReply(probe('icmp'), obs({ answered: false, counters: { h1: { TcpExtIPReversePathFilter: 1 } } }), undefined);
  t.same([rpAtSender?.reason, rpAtSender?.explanation], ['RPFILTER', 'no echo reply (RPFILTER): it reached h1, which dropped it on the reverse-path check']);
  const unknown = assembleReply(probe('icmp'), obs({ answered: false }), undefined);
  t.equal(unknown?.reason, 'UNKNOWN', 'no evidence, no guess');
});

t.test('tcp: the SYN arrived, the SYN-ACK could not be routed back: the probe\'s cause too', async (t) => {
  const o = obs({
    delivered: false, answered: false, sendError: 'Connection timed out', legs: legs([], []),
    hops: [{ leg: 'reply', node: 'h2', dst: '192.0.2.1', src: '198.51.100.2', family: 4, decision: { ok: false, error: 'Network is unreachable' }, routes: [] }],
    devices: counts(THERE, ['r:eth0', 'h2:eth0']),
  });
  const result = probeResult(probe('tcp'), '198.51.100.2:80', o, 'h2');
  t.equal(result.cause, 'NO_ROUTE');
  t.equal(result.explanation, 'not delivered (NO_ROUTE): the SYN reached h2, but h2 has no route to 192.0.2.1 (route get: Network is unreachable)');
  t.same([result.reply?.reason, result.handshake], ['NO_ROUTE', false]);
});

t.test('reply and handshake expectations: held, failed, and on a probe kind without them', async (t) => {
  const reply = assembleReply(probe('icmp'), obs({ answered: true }), undefined);
  const held = judgeReply('p', { reply: { delivered: true, path: BACK.map((k) => ({ node: k.split(':')[0]!, dev: k.split(':')[1]! })) } }, { proto: 'icmp', reply });
  t.same(held.map((e) => [e.what, e.ok]), [['p: reply.delivered', true], ['p: reply.path', true]]);
  const failed = judgeReply('p', { reply: { delivered: false, reason: 'NO_ROUTE', path: [] }, handshake: true }, { proto: 'icmp', reply });
  t.same(failed.map((e) => [e.what, e.ok]), [['p: reply.delivered', false], ['p: reply.path', false], ['p: reply.reason', false], ['p: handshake', false]]);
  t.equal(describeFailure(failed[0]!), 'expected reply.delivered false, saw true');
  t.equal(describeFailure(failed[2]!), 'expected reply.reason NO_ROUTE, saw null');
  t.equal(describeFailure(failed[3]!), 'expected handshake true, saw icmp has no handshake');
  const udp = judgeReply('p', { reply: { delivered: false } }, { proto: 'udp' });
  t.same([udp[0]?.ok, udp[0]?.actual], [false, 'udp has no reply'], 'an expectation about a reply that cannot exist fails');
  const viaJudge = judgeExpectations('p', { handshake: true }, { delivered: true, path: [] }, undefined, { proto: 'tcp', handshake: true });
  t.same(viaJudge.map((e) => [e.what, e.ok]), [['p: handshake', true]], 'judgeExpectations judges them too');
});
