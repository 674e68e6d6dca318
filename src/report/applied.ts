// What a case set up besides its topology (node routing, recipes, case sysctls and nft, setup
// commands), one line per op with its reason: printed by `lab up` and by `lab run --explain`.
import type { Op } from '../types/plan.js';
import { shellCommand } from '../recipes/render.js';

/** The ops after the topology: those the topology builder did not group into waves. */
export const appliedOps = (ops: readonly Op[]): Op[] => ops.filter((op) => op.wave === undefined);

/** `node: command  # why`, the command as it would be typed inside the node. */
export const appliedLines = (ops: readonly Op[]): string[] =>
  appliedOps(ops).map((op) => {
    const stdin = op.input === undefined ? '' : ' (ruleset on stdin)';
    return `${op.node}: ${shellCommand(op.argv)}${stdin}${op.why ? `  # ${op.why}` : ''}`;
  });
