import { readFile } from 'node:fs/promises';
import { ScenarioError } from '../errors.js';
import type { Runner } from '../backends/runner.js';
import { forkingRunner } from '../backends/forker.js';
import { kernelCheckItems } from '../model/kernel-checks.js';
import type { Output } from './io.js';
import { loadAll } from './run.js';
import { kernelProblems } from './validate-kernel.js';

/**
 * `lab validate FILE...`: every problem of every file, or a one-line summary per file. What only
 * the kernel can say (a sysctl key it lacks, an nft ruleset it cannot parse) is asked in a
 * scratch namespace when lab runs as root, and said to be skipped otherwise.
 */
export const validateCommand = async (files: string[], io: Output, runner: Runner = forkingRunner()): Promise<number> => {
  const scenarios = await loadAll(files);
  const items = (await Promise.all(scenarios.map(async (s) => kernelCheckItems(await readFile(s.file, 'utf8')).map((item) => ({ file: s.file, item }))))).flat();
  const kernel = await kernelProblems(runner, items);
  if ('problems' in kernel && kernel.problems.length) throw new ScenarioError(kernel.problems);
  if ('skipped' in kernel) io.err(`note: ${kernel.skipped}\n`);
  for (const s of scenarios) {
    const probes = s.cases.reduce((n, c) => n + c.probes.length, 0);
    // A matrix counts as the cases it runs: one per cell.
    const matrices = new Set(s.cases.flatMap((c) => (c.matrix ? [c.matrix.case] : []))).size;
    const cells = s.cases.filter((c) => c.matrix).length;
    const ofMatrices = matrices ? ` (${cells} of them cells of ${matrices} ${matrices === 1 ? 'matrix' : 'matrices'})` : '';
    const wireless = s.wireless?.length ?? 0;
    const links = `${s.links.length + wireless} links${wireless ? ` (${wireless} wireless)` : ''}`;
    io.out(`${s.file}: ok (${s.nodes.length} nodes, ${links}, ${s.cases.length} cases${ofMatrices}, ${probes} probes)\n`);
  }
  return 0;
};
