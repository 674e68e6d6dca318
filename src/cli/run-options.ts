// What `lab run` takes: shared by run.ts and kernels.ts (the side-by-side run calls back into it).
import type { ScenarioResult } from '../types/result.js';
import type { Shard } from '../plan/shard.js';
import type { Format } from './reports.js';

export interface RunOptions {
  files: string[];
  cases: string[];
  jobs: number | undefined;
  /** One or more report formats; see reports.ts for where each goes. */
  formats: Format[];
  /** Directory for the document reports (json, tap, junit) and the job summary. */
  out?: string;
  shard?: Shard;
  /** Drop reasons from the skb:kfree_skb tracepoint per probe; cases run one at a time. */
  explain?: boolean;
  backend?: 'host' | 'vm';
  /** `--kernel`, as given: host, debian, a release or a path; several run side by side. */
  kernels?: string[];
  /** Skip the scenarios this kernel cannot run (wireless without hwsim) instead of exit 3. */
  skipUnsupported?: boolean;
  /** Run even when the estimate says the machine cannot hold it (see size-check.ts). */
  ignoreSizeLimit?: boolean;
  /** Hands the results over instead of writing reports (one kernel of a side-by-side run). */
  collect?: (results: ScenarioResult[]) => void;
}
