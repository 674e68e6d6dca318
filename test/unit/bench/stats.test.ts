import t from 'tap';
import { median, percentile, roundTo } from '../../../src/bench/stats.js';

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
