// A scratch namespace for checks only the kernel can answer (`lab validate`: sysctl keys, nft
// rulesets), recorded in a state file like a lab's so `lab clean` finds it if lab is killed.
import { randomBytes } from 'node:crypto';
import { removeNamespace } from '../backends/host.js';
import { forkingRunner } from '../backends/forker.js';
import type { Runner } from '../backends/runner.js';
import { defaultStateDir, StateFile } from '../backends/state.js';

export type { Runner };

/** The runner for commands of lab's own that change nothing (apt-cache, kernel checks in a scratch namespace). */
export const systemRunner = (): Runner => forkingRunner();

/**
 * Runs `use` with a fresh empty namespace, removed afterwards whatever happens; `unavailable`
 * with why when none could be made. `files`: what the state file says it is for.
 */
export const withScratchNamespace = async <T>(
  runner: Runner,
  files: readonly string[],
  use: (netns: string) => Promise<T>,
): Promise<{ value: T } | { unavailable: string }> => {
  const state = StateFile.create(defaultStateDir(), { pid: process.pid, scenarios: [...files] }, (id) => `lab-${id}`);
  const scratch = `${state.prefix}-validate-${randomBytes(2).toString('hex')}`;
  state.own(scratch);
  try {
    const add = await runner.run({ argv: ['ip', 'netns', 'add', scratch] });
    if (add.exitCode !== 0) return { unavailable: add.stderr.trim() };
    state.created(scratch);
    return { value: await use(scratch) };
  } finally {
    await removeNamespace(runner, scratch).catch(() => undefined);
    state.release(scratch);
    state.close();
  }
};
