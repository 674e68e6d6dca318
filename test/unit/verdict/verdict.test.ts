import t from 'tap';
import {
  caseStatus,
  describeFailure,
  effectiveExpectation,
  judgeExpectations,
  predictionMismatch,
} from '../../../src/verdict/verdict.js';
import type { ProbeObservation } from '../../../src/types/observation.js';
import { seedCase } from '../fixtures.js';

const ref = (s: string) => {
  const [node = '', dev = ''] = s.split(':');
  return { node, dev };
};
const wire = ['laptop:wlan0', 'ap:port0', 'ap:port1', 'laptop:wlan1'];
const obs = (o: Partial<ProbeObservation>): ProbeObservation => ({
  delivered: true, path: [], devices: {}, legs: [], neighbours: [], counters: {}, firewalled: [], limits: [], ...o,
});

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

t.test('a reason expectation compares the diagnosed cause', async (t) => {
  const [ok] = judgeExpectations('p', { reason: 'NEIGH_FAILED' }, obs({ delivered: false }), 'NEIGH_FAILED');
  t.same(ok, { what: 'p: reason', expected: 'NEIGH_FAILED', actual: 'NEIGH_FAILED', ok: true });
  const [delivered] = judgeExpectations('p', { reason: 'RPFILTER' }, obs({}), undefined);
  t.same(delivered, { what: 'p: reason', expected: 'RPFILTER', actual: null, ok: false });
});

t.test('the route prediction is compared with the device the probe left by', async (t) => {
  const viaWlan0 = { ok: true as const, type: 'unicast', dev: 'wlan0', table: '100' };
  t.equal(predictionMismatch('laptop', viaWlan0, wire), undefined);
  t.equal(predictionMismatch('laptop', viaWlan0, ['laptop:lo']), 'route get predicted laptop:wlan0, but it left by laptop:lo');
  t.equal(predictionMismatch('laptop', { ok: false, error: 'Network is unreachable' }, ['laptop:lo']), undefined);
  t.equal(predictionMismatch('laptop', viaWlan0, []), undefined, 'nothing left: nothing to compare');
});
