import t from 'tap';
import { caseMedians, cpuTime, median, percentile, roundTo } from '../../../src/bench/stats.js';

t.test('median of odd and even counts, unsorted input', async (t) => {
  t.equal(median([3, 1, 2]), 2);
  t.equal(median([4, 1, 3, 2]), 2.5);
  t.equal(median([]), undefined);
});

t.test('p95 is a measured sample (nearest rank), not an interpolation', async (t) => {
  const samples = Array.from({ length: 20 }, (_, i) => i + 1); // 1..20
  t.equal(percentile(samples, 95), 19);
  t.equal(percentile([5, 100, 7], 95), 100);
  t.equal(percentile([42], 95), 42);
  t.equal(percentile([], 95), undefined);
});

t.test('rounding for the report', async (t) => {
  t.equal(roundTo(0.123456, 3), 0.123);
  t.equal(roundTo(149.96, 1), 150);
});

t.test('CPU time between two readings of /proc/stat: busy, steal and all of it', async (t) => {
  const before = 'cpu  100 5 50 1000 10 1 2 7 0 0\ncpu0 50 2 25 500 5 0 1 3 0 0\nintr 1\n';
  const after = 'cpu  160 5 90 1100 12 3 6 17 0 0\ncpu0 80 2 45 550 6 1 3 8 0 0\nintr 2\n';
  // user +60, system +40, irq +2, softirq +4; idle +100, iowait +2; steal +10
  t.same(cpuTime(before, after), { busy: 106, steal: 10, total: 218 });
  t.throws(() => cpuTime('intr 1\n', after), /no cpu line/);
});

t.test("each case's own median from round-by-round samples, where the median of all is a quantile of the fast ones", async (t) => {
  // Three rounds of three cases: two fast, one ~1 s (like the default scenario's ARP cases).
  const samples = [40, 60, 1050, 44, 70, 1040, 42, 64, 1060];
  t.same(caseMedians(samples, ['a', 'b', 'arp']), [
    { name: 'a', median: 42 },
    { name: 'b', median: 64 },
    { name: 'arp', median: 1050 },
  ]);
  t.equal(median(samples), 64, 'the median of all of them is the slower fast case');
  t.same(caseMedians([], ['a']), [], 'a case without samples is left out');
  t.same(caseMedians([5, 7], ['a', 'b']), [{ name: 'a', median: 5 }, { name: 'b', median: 7 }], 'one round');
});
