// Small statistics over timing samples.

const sorted = (samples: readonly number[]): number[] => [...samples].sort((a, b) => a - b);

/** The median; undefined for no samples. */
export const median = (samples: readonly number[]): number | undefined => {
  if (samples.length === 0) return undefined;
  const s = sorted(samples);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

/**
 * The p-th percentile by nearest rank (the smallest sample with at least p% of samples at or
 * below it): always a sample that was measured, never an interpolation between two.
 */
export const percentile = (samples: readonly number[], p: number): number | undefined => {
  if (samples.length === 0) return undefined;
  const s = sorted(samples);
  const rank = Math.max(1, Math.ceil((p / 100) * s.length));
  return s[Math.min(rank, s.length) - 1];
};

/** Rounds for the report: seconds to milliseconds, milliseconds to tenths. */
export const roundTo = (value: number, decimals: number): number => {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
};
