// A case that did not run (its kernel or host lacks what it needs, and --skip-unsupported was
// given): a skip result naming why, nothing judged.
import type { CaseResult } from '../types/result.js';

export const skippedCase = (name: string, why: string): CaseResult =>
  ({ name, status: 'skip', probes: [], expectations: [], error: why, durationMs: 0 });
