// The only place errors become exit codes (DESIGN.md: 0 held, 1 failed, 2 usage, 3 capability;
// 128+N when signal N stopped the lab).
import { CapabilityError, Interrupted, ScenarioError, UsageError } from '../errors.js';
import { SIGNAL_EXIT } from '../session/index.js';

export const EXIT = { ok: 0, failed: 1, usage: 2, capability: 3 } as const;

export const exitCodeFor = (err: unknown): number => {
  if (err instanceof ScenarioError || err instanceof UsageError) return EXIT.usage;
  if (err instanceof CapabilityError) return EXIT.capability;
  if (err instanceof Interrupted) return SIGNAL_EXIT[err.signal] ?? EXIT.failed;
  return EXIT.failed;
};

/**
 * What a lab session calls after a second signal's forced teardown: the process ends at once with
 * the exit code of the first signal (the cases in flight are not waited for).
 */
export const exitOnSecondSignal = (first: NodeJS.Signals): void => {
  process.exit(exitCodeFor(new Interrupted(first)));
};
