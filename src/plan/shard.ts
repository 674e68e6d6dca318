// `--shard I/N`: which of the selected cases (or matrix cells) this job of a CI matrix runs.
//
// Every job of the matrix computes the same split from the same scenarios, so each case runs in
// exactly one job. The split does not depend on the order in which files are named on the command
// line: cases are ranked by their identity (scenario name, then case name) and dealt out
// round-robin, so the shards differ in size by at most one case.
import { UsageError } from '../errors.js';

export interface Shard {
  /** 1-based, as written: `--shard 2/3` is index 2 of count 3. */
  index: number;
  count: number;
}

/** Parses `I/N`; anything else is a usage error that says what is expected. */
export const parseShard = (text: string): Shard => {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count) {
    throw new UsageError(
      `--shard takes I/N with 1 ≤ I ≤ N (e.g. --shard 2/3 for the second of three jobs), got ${JSON.stringify(text)}`,
    );
  }
  return { index, count };
};

export const formatShard = (s: Shard): string => `${s.index}/${s.count}`;

/** What identifies a unit of work across jobs: the scenario's name and the case's (or cell's) name. */
export interface ShardUnit {
  scenario: string;
  name: string;
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The positions in `units` that shard `shard` runs, in their original order. Over the shards
 * 1/N … N/N the results are disjoint and together cover every position exactly once.
 */
export const shardPositions = (units: readonly ShardUnit[], shard: Shard): number[] => {
  const ranked = units
    .map((u, position) => ({ u, position }))
    // The position breaks ties between identical identities, so the ranking is total.
    .sort((a, b) => compare(a.u.scenario, b.u.scenario) || compare(a.u.name, b.u.name) || a.position - b.position);
  return ranked
    .filter((_, rank) => rank % shard.count === shard.index - 1)
    .map((r) => r.position)
    .sort((a, b) => a - b);
};

/** The items of `items` that shard `shard` runs, in their original order. */
export const shardOf = <T>(items: readonly T[], unit: (item: T) => ShardUnit, shard: Shard): T[] =>
  shardPositions(items.map(unit), shard).map((p) => items[p] as T);
