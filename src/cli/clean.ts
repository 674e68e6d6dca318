import { rmSync } from 'node:fs';
import { removeNamespace } from '../backends/host.js';
import { execaRunner } from '../backends/runner.js';
import { defaultStateDir, isOwnerAlive, readStates } from '../backends/state.js';
import type { Output } from './io.js';

/**
 * `lab clean`: removes what runs whose process is gone left behind, as their state files
 * record it. Live runs and anything not recorded are never touched.
 */
export const cleanCommand = async (io: Output): Promise<number> => {
  const runner = execaRunner();
  let removed = 0;
  for (const { path, state } of readStates(defaultStateDir())) {
    if (isOwnerAlive(state)) continue;
    for (const ns of state.namespaces) {
      await removeNamespace(runner, ns);
      removed++;
      io.out(`removed namespace ${ns} (run ${state.runId}, pid ${state.pid} is gone)\n`);
    }
    rmSync(path, { force: true });
  }
  io.out(removed ? `${removed} namespace(s) removed\n` : 'nothing to clean\n');
  return 0;
};
