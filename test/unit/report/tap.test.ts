import t from 'tap';
import { Parser, type FinalResults } from 'tap-parser';
import { tapReport } from '../../../src/report/tap.js';
import { FILE, LINES, locations, results } from './fixtures.js';

/** tap's own parser, strict: a line that is not TAP fails the parse. */
const parse = (text: string): Promise<FinalResults> =>
  new Promise((done) => {
    const p = new Parser({ strict: true, passes: true }, done);
    p.end(text);
  });

t.test('TAP 14 with one test point per case, read back by tap-parser', async (t) => {
  const text = tapReport(results(), locations());
  t.match(text, /^TAP version 14\n1\.\.4\n/);
  const r = await parse(text);
  t.equal(r.count, 4);
  t.equal(r.plan.end, 4);
  t.equal(r.pass, 1);
  t.equal(r.fail, 3);
  t.same(r.passes?.map((p) => p.name), ['ci-lab › over the wire']);
  t.same(
    r.failures.map((f) => f.name),
    ['ci-lab › expects the wire # but gets lo <&>', 'ci-lab › two probes', 'ci-lab › cannot be built'],
    'an escaped # stays in the name instead of starting a directive',
  );
  t.notOk(r.failures.some((f) => f.tapError), 'no parse errors');
});

t.test('a failed case carries its verdict and the scenario line of the failed expectation', async (t) => {
  const r = await parse(tapReport(results(), locations()));
  const [lo, two, broken] = r.failures;
  t.equal(lo?.diag.message, 'expected not via [laptop:lo], path was [laptop:lo]');
  t.same(lo?.diag.at, { file: FILE, line: LINES.notVia, column: 32 });
  t.equal(lo?.diag.severity, 'fail');
  t.same(lo?.diag.probes[0].path, ['laptop:lo']);
  t.same(lo?.diag.failed.map((f: { what: string }) => f.what), ['udp 192.0.2.1 → 192.0.2.2: not-via']);

  t.equal(two?.diag.message, 'back: expected delivered true, saw false; back: expected path [laptop:wlan1, ap:port1, ap:port0, laptop:wlan0], saw [laptop:wlan1]');
  t.equal(two?.diag.at.line, LINES.backDelivered, 'the first failed expectation');

  t.equal(broken?.diag.severity, 'error');
  t.match(broken?.diag.message, /RTNETLINK answers: File exists/);
  t.equal(broken?.diag.at.line, LINES.cannotBeBuilt);
});

t.test('skipped cases are SKIP directives, an empty run is a valid empty plan', async (t) => {
  const [s] = results();
  const skipped = [{ ...s!, cases: [{ name: 'needs hwsim', status: 'skip' as const, probes: [], expectations: [], error: 'no mac80211_hwsim\nhere', durationMs: 0 }] }];
  const r = await parse(tapReport(skipped));
  t.equal(r.skip, 1);
  t.equal(r.skips[0]?.skip, 'no mac80211_hwsim here');
  t.ok(r.ok);

  const empty = await parse(tapReport([]));
  t.equal(empty.count, 0);
  t.ok(empty.ok);
  t.equal(empty.plan.skipAll, true);
});
