import type { Output } from './io.js';
import { loadAll } from './run.js';

/** `lab validate FILE...`: every problem of every file, or a one-line summary per file. */
export const validateCommand = async (files: string[], io: Output): Promise<number> => {
  const scenarios = await loadAll(files);
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
