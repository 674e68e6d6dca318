import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where lab's files live (the repository root, next to scenarios/). */
export const packageRoot = (): string => resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const DEFAULT_SCENARIO = 'scenarios/laptop-two-nics.yaml';

/** The default scenario, named relative to the working directory when that is shorter. */
export const defaultScenarioPath = (): string => {
  const abs = resolve(packageRoot(), DEFAULT_SCENARIO);
  const rel = relative(process.cwd(), abs);
  return rel.startsWith('..') ? abs : rel;
};

export interface Output {
  out(text: string): void;
  err(text: string): void;
  /** Set when stderr is a terminal: progress is then a live line (see progress.ts). */
  errTerminal?: { columns: () => number };
}

export const processOutput = (): Output => ({
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  ...(process.stderr.isTTY ? { errTerminal: { columns: () => process.stderr.columns || 80 } } : {}),
});
