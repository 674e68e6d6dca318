// Reading scenario files for a command, and picking the cases it runs.
import { ScenarioError, UsageError } from '../errors.js';
import { loadScenarioFile } from '../recipes/scenario.js';
import type { Scenario } from '../types/scenario.js';

/** Loads every file first: bad input stops the run before any namespace exists. */
export const loadAll = async (files: readonly string[]): Promise<Scenario[]> => {
  const loaded = await Promise.allSettled(files.map((f) => loadScenarioFile(f)));
  const errors = loaded.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  const other = errors.find((e) => !(e instanceof ScenarioError));
  if (other !== undefined) throw other;
  if (errors.length) throw new ScenarioError(errors.flatMap((e) => (e as ScenarioError).problems));
  return loaded.map((r) => (r as PromiseFulfilledResult<Scenario>).value);
};

/** The cases to run, as [scenario, case index]; `--case` must name at least one existing case. */
export const selectCases = (scenarios: readonly Scenario[], names: readonly string[]): [number, number][] => {
  const picked: [number, number][] = [];
  scenarios.forEach((s, si) =>
    s.cases.forEach((c, ci) => {
      // A matrix case's own name selects all its cells; a cell's name selects that cell.
      if (names.length === 0 || names.includes(c.name) || (c.matrix && names.includes(c.matrix.case))) picked.push([si, ci]);
    }),
  );
  const known = new Set(scenarios.flatMap((s) => s.cases.flatMap((c) => (c.matrix ? [c.matrix.case, c.name] : [c.name]))));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length) {
    throw new UsageError(
      `no case named ${unknown.map((n) => JSON.stringify(n)).join(', ')}; cases are:\n` +
        [...known].map((n) => `  ${n}`).join('\n'),
    );
  }
  return picked;
};
