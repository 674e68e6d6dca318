import fc from 'fast-check';
import t from 'tap';
import { parseShard, shardOf, shardPositions, type ShardUnit } from '../../../src/plan/shard.js';

const unitArb = fc.record({ scenario: fc.constantFrom('a', 'b', 'laptop-two-nics'), name: fc.string({ maxLength: 6 }) });

t.test('the shards 1/N … N/N cover every case exactly once', async (t) => {
  fc.assert(
    fc.property(fc.array(unitArb, { maxLength: 40 }), fc.integer({ min: 1, max: 12 }), (units, n) => {
      const all = Array.from({ length: n }, (_, i) => shardPositions(units, { index: i + 1, count: n })).flat();
      return all.length === units.length && new Set(all).size === units.length;
    }),
  );
});

t.test('shards differ in size by at most one case', async (t) => {
  fc.assert(
    fc.property(fc.array(unitArb, { maxLength: 40 }), fc.integer({ min: 1, max: 12 }), (units, n) => {
      const sizes = Array.from({ length: n }, (_, i) => shardPositions(units, { index: i + 1, count: n }).length);
      return Math.max(...sizes) - Math.min(...sizes) <= 1;
    }),
  );
});

t.test('the split does not depend on the order files or cases were given in', async (t) => {
  const key = (u: ShardUnit) => `${u.scenario}\0${u.name}`;
  const permuted = fc
    .uniqueArray(unitArb, { maxLength: 30, selector: key })
    .chain((units) => fc.tuple(fc.constant(units), fc.shuffledSubarray(units, { minLength: units.length, maxLength: units.length })));
  fc.assert(
    fc.property(permuted, fc.integer({ min: 1, max: 6 }), ([units, shuffled], n) => {
      for (let i = 1; i <= n; i++) {
        const mine = shardOf(units, (u) => u, { index: i, count: n }).map(key).sort();
        const theirs = shardOf(shuffled, (u) => u, { index: i, count: n }).map(key).sort();
        if (mine.join('|') !== theirs.join('|')) return false;
      }
      return true;
    }),
  );
});

t.test('a shard keeps the run order and is dealt round-robin over the ranked cases', async (t) => {
  const units = ['e', 'a', 'd', 'b', 'c'].map((name) => ({ scenario: 's', name }));
  // ranked: a b c d e → shard 1 gets a, d; shard 2 gets b, e; shard 3 gets c
  t.same(shardOf(units, (u) => u, { index: 1, count: 3 }).map((u) => u.name), ['a', 'd']);
  t.same(shardOf(units, (u) => u, { index: 2, count: 3 }).map((u) => u.name), ['e', 'b'], 'in run order');
  t.same(shardOf(units, (u) => u, { index: 3, count: 3 }).map((u) => u.name), ['c']);
  t.same(shardOf(units, (u) => u, { index: 1, count: 1 }).map((u) => u.name), ['e', 'a', 'd', 'b', 'c']);
  t.same(shardOf(units.slice(0, 1), (u) => u, { index: 2, count: 2 }), [], 'more shards than cases: some are empty');
});

t.test('parseShard takes I/N with 1 ≤ I ≤ N and nothing else', async (t) => {
  t.same(parseShard('2/3'), { index: 2, count: 3 });
  t.same(parseShard(' 1 / 1 '), { index: 1, count: 1 });
  for (const bad of ['0/3', '4/3', '1/0', '3', '1/3/4', 'a/b', '-1/3', '1.5/3', '']) {
    t.throws(() => parseShard(bad), { name: 'UsageError', message: /--shard takes I\/N/ }, JSON.stringify(bad));
  }
});
