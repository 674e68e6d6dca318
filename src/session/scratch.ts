// Namespaces made by hand, outside a case's plan, recorded in a state file like a lab's so `lab
// clean` finds them if lab is killed: a scratch namespace for checks only the kernel can answer
// (`lab validate`: sysctl keys, nft rulesets), and the bench's own (the floor's, Mininet's sandbox).
import { randomBytes } from 'node:crypto';
import { removeNamespace } from '../backends/host.js';
import { forkingRunner } from '../backends/forker.js';
import type { Runner } from '../backends/runner.js';
import { defaultStateDir, StateFile } from '../backends/state.js';

export type { Runner };

/**
 * Removes a namespace the state file records (its processes killed first), then forgets it; when
 * the removal fails it stays recorded, for the lab's final teardown or `lab clean`.
 */
export const removeRecorded = async (runner: Runner, state: StateFile, netns: string): Promise<void> => {
  await removeNamespace(runner, netns);
  state.release(netns);
};

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
