// Kernel ranges for expectations recorded on some kernels only: `>=6.1 <6.8`, `6.18`, `<6.8 || >=6.10`.
// Semver-ish, compared against the numeric head of `uname -r` (6.18.44-fc-v657 → 6.18.44).
import type { KernelRange, KernelComparator as Comparator, KernelVersion } from '../types/scenario.js';
// moved to src/types/scenario.ts (re-exported here during the move only)
export type { KernelVersion, KernelRange } from '../types/scenario.js';

const COMPARATOR = /^(>=|<=|>|<|=)?(\d+(?:\.\d+){0,2})$/;

export const KERNEL_RANGE_HINT =
  'a kernel range is one or more comparisons like ">=6.1 <6.8", a version like "6.18" (every 6.18.x), ' +
  'or alternatives joined by "||"';

/** The range, or a message saying what is wrong with it. */
export const parseKernelRange = (text: string): { ok: true; value: KernelRange } | { ok: false; error: string } => {
  const alternatives: Comparator[][] = [];
  for (const alternative of text.split('||')) {
    const words = alternative.trim().split(/\s+/).filter(Boolean);
    if (words.length === 0) return { ok: false, error: `${JSON.stringify(text)} has an empty alternative; ${KERNEL_RANGE_HINT}` };
    const comparators: Comparator[] = [];
    for (const word of words) {
      const m = COMPARATOR.exec(word);
      if (!m) return { ok: false, error: `${JSON.stringify(word)} is not a version comparison; ${KERNEL_RANGE_HINT}` };
      comparators.push({ op: (m[1] ?? '=') as Comparator['op'], version: (m[2] ?? '').split('.').map(Number) });
    }
    alternatives.push(comparators);
  }
  return { ok: true, value: { text: text.trim(), alternatives } };
};

/** The numeric head of a kernel release; missing parts are 0. Undefined when it does not start with a number. */
export const parseKernelRelease = (release: string): KernelVersion | undefined => {
  const m = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(release.trim());
  if (!m) return undefined;
  return [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)];
};

const compare = (a: readonly number[], b: readonly number[]): number => {
  for (let i = 0; i < 3; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
};

const holds = (c: Comparator, v: KernelVersion): boolean => {
  switch (c.op) {
    case '=':
      return c.version.every((n, i) => v[i] === n);
    case '>=':
      return compare(v, c.version) >= 0;
    case '<=':
      return compare(v, c.version) <= 0;
    case '>':
      return compare(v, c.version) > 0;
    case '<':
      return compare(v, c.version) < 0;
  }
};

/** Whether the kernel `release` (uname -r) is in the range. A release that is not a version is in none. */
export const kernelInRange = (range: KernelRange, release: string): boolean => {
  const v = parseKernelRelease(release);
  return v !== undefined && range.alternatives.some((all) => all.every((c) => holds(c, v)));
};
