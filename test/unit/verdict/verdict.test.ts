import t from 'tap';
import {
  caseStatus,
  describeFailure,
  effectiveExpectation,
  explainObservation,
  judgeExpectations,
} from '../../../src/verdict/verdict.js';
import type { ProbeObservation } from '../../../src/probes/udp.js';
import { seedCase } from '../fixtures.js';

const ref = (s: string) => {
  const [node = '', dev = ''] = s.split(':');
  return { node, dev };
};
const wire = ['laptop:wlan0', 'ap:port0', 'ap:port1', 'laptop:wlan1'];
const obs = (o: Partial<ProbeObservation>): ProbeObservation => ({ delivered: true, path: [], devices: {}, neighbours: [], ...o });

t.test('delivered and an exact path hold', async (t) => {
  const r = judgeExpectations('p', { delivered: true, path: wire.map(ref) }, obs({ path: wire }));
  t.same(r.map((e) => [e.what, e.ok]), [['p: delivered', true], ['p: path', true]]);
  t.equal(caseStatus(r), 'pass');
});

t.test('a path in another order, or longer, fails', async (t) => {
  const reversed = judgeExpectations('p', { path: wire.map(ref) }, obs({ path: [...wire].reverse() }));
  t.equal(reversed[0]?.ok, false);
  const longer = judgeExpectations('p', { path: wire.map(ref) }, obs({ path: [...wire, 'laptop:lo'] }));
  t.equal(longer[0]?.ok, false);
  t.equal(caseStatus(longer), 'fail');
});

t.test('via needs every device on the path, not-via none of them', async (t) => {
  const path = ['laptop:lo'];
  const [via, notVia] = judgeExpectations('p', { via: [ref('laptop:lo')], notVia: [ref('laptop:wlan0'), ref('ap:port0')] }, obs({ path }));
  t.equal(via?.ok, true);
  t.equal(notVia?.ok, true);
  const [badVia, badNot] = judgeExpectations('p', { via: [ref('laptop:lo'), ref('ap:br0')], notVia: [ref('laptop:lo')] }, obs({ path }));
  t.equal(badVia?.ok, false);
  t.equal(badNot?.ok, false);
  t.equal(describeFailure(badNot!), 'expected not via [laptop:lo], path was [laptop:lo]');
});

t.test('a wrong delivered expectation says what was expected and what was seen', async (t) => {
  const [r] = judgeExpectations('udp a → b', { delivered: false }, obs({ delivered: true }));
  t.same(r, { what: 'udp a → b: delivered', expected: false, actual: true, ok: false });
  t.equal(describeFailure(r!), 'expected delivered false, saw true');
});

t.test('no expectation, nothing judged', async (t) => {
  t.same(judgeExpectations('p', {}, obs({})), []);
});

t.test("a probe's own expectations win over the case's", async (t) => {
  const base = seedCase().probes[0]!;
  const merged = effectiveExpectation({ delivered: true, via: [ref('laptop:lo')] }, { ...base, expect: { delivered: false } });
  t.same(merged, { delivered: false, via: [ref('laptop:lo')] });
});

t.test('explanations come from the evidence', async (t) => {
  t.equal(explainObservation(obs({ path: ['laptop:lo'] })), 'delivered through laptop:lo; nothing crossed the wire');
  t.equal(explainObservation(obs({ path: wire })), 'delivered over the wire, received on laptop:wlan1');
  t.equal(
    explainObservation(obs({ delivered: false, neighbours: [{ node: 'laptop', dev: 'wlan0', address: '192.0.2.2', state: 'INCOMPLETE' }] })),
    'not delivered: no device carried it; neighbour 192.0.2.2 on laptop:wlan0 is INCOMPLETE (no ARP/ND answer)',
  );
  t.equal(explainObservation(obs({ delivered: false })), 'not delivered: no device carried it');
  t.equal(explainObservation(obs({ delivered: false, path: wire })), `not delivered: last seen on laptop:wlan1 (path ${wire.join(' → ')})`);
  t.equal(explainObservation(obs({ delivered: false, sendError: 'Network is unreachable' })), 'not sent: Network is unreachable');
});
