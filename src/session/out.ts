// The `--out DIR` tree of a run: one fresh tree per run, and every entry claimed in DIR's manifest
// before it is written, so a later run removes what this one wrote and nothing else. The manifest
// itself is src/backends/out-tree.ts (the VM backend claims its console logs there too).
import { join } from 'node:path';
import { caseDirName, claimOut, freshOutTree, scenarioFolders, uniqueNames } from '../backends/out-tree.js';
import type { Scenario } from '../types/scenario.js';

export { claimOut, freshOutTree };

/**
 * Where a case's pcaps go under --out: DIR/<scenario file's name>/<case name>/, one folder per
 * scenario file (two files with cases of the same names no longer share one), claimed in DIR's
 * manifest before anything is written into it. `reserved`: the names of the report files, which
 * no scenario's folder may take.
 */
export const outFolders = (scenarios: readonly Scenario[], files: readonly string[], reserved: readonly string[]) => {
  const byScenario = scenarioFolders(files, reserved);
  const byCase = scenarios.map((s) => uniqueNames(s.cases.map((c) => caseDirName(c.name))));
  return (out: string, si: number, ci: number): string =>
    join(claimOut(out, byScenario[si] ?? `scenario-${si}`), byCase[si]?.[ci] ?? `case-${ci}`);
};
