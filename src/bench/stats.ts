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

/**
 * Each case's own median, from samples taken round by round (`names.length` cases a round, in
 * the same order every round). The median of all samples together is a quantile of the fast
 * cases when a scenario's cases differ by much (the default's ARP cases take ~1 s, the others
 * ~50 ms), and moves by ±15 ms between runs of one build; a case's own median is what a
 * before/after comparison can read.
 */
export const caseMedians = (samples: readonly number[], names: readonly string[]): { name: string; median: number }[] =>
  names.flatMap((name, c) => {
    const mine = samples.filter((_, i) => i % names.length === c);
    const m = median(mine);
    return m === undefined ? [] : [{ name, median: m }];
  });

/** Rounds for the report: seconds to milliseconds, milliseconds to tenths. */
export const roundTo = (value: number, decimals: number): number => {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
};

/** CPU time between two readings of /proc/stat's `cpu` line, in jiffies (USER_HZ: 100 a second). */
interface CpuTime {
  /** user, nice, system, irq and softirq: the time the machine's cores worked. */
  busy: number;
  /** Taken by the hypervisor for other guests: neither busy nor idle here. */
  steal: number;
  /** Everything, idle and iowait included. */
  total: number;
}

/** The jiffies /proc/stat's first line counts up between `before` and `after` (both its whole text). */
export const cpuTime = (before: string, after: string): CpuTime => {
  const fields = (text: string): number[] => {
    const line = text.split('\n').find((l) => /^cpu\s/.test(l));
    if (!line) throw new Error('/proc/stat has no cpu line');
    return line.trim().split(/\s+/).slice(1).map(Number);
  };
  const a = fields(before);
  const b = fields(after);
  const d = (i: number): number => (b[i] ?? 0) - (a[i] ?? 0);
  // user nice system idle iowait irq softirq steal (guest time is inside user already)
  return { busy: d(0) + d(1) + d(2) + d(5) + d(6), steal: d(7), total: [0, 1, 2, 3, 4, 5, 6, 7].reduce((s, i) => s + d(i), 0) };
};
