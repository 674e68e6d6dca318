// What `lab run` does for CI besides running: the shard of the cases this job runs, and how its
// progress shows (a live line on a terminal, a plain line per case otherwise).
import type { Scenario } from '../types/scenario.js';
import { formatShard, shardOf, type Shard } from '../plan/shard.js';
import type { Output } from './io.js';
import { liveProgress, plainProgress, wantsLiveProgress, type Progress } from './progress.js';

/** The selected [scenario, case] pairs this shard runs; says on stderr how many of how many. */
export const shardCases = (
  scenarios: readonly Scenario[],
  selected: [number, number][],
  shard: Shard | undefined,
  io: Output,
): [number, number][] => {
  if (!shard) return selected;
  const mine = shardOf(
    selected,
    ([si, ci]) => ({ scenario: scenarios[si]?.name ?? '', name: scenarios[si]?.cases[ci]?.name ?? '' }),
    shard,
  );
  io.err(`shard ${formatShard(shard)}: ${mine.length} of ${selected.length} case(s)\n`);
  return mine;
};

export const runProgress = (total: number, io: Output, env: NodeJS.ProcessEnv = process.env): Progress =>
  io.errTerminal && wantsLiveProgress(true, env)
    ? liveProgress(total, (t) => io.err(t), { columns: io.errTerminal.columns })
    : plainProgress(total, (t) => io.err(t));
