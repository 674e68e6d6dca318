import type { ScenarioResult } from '../types/result.js';

/** The `--format json` document, exactly the contract's shape (see DESIGN.md). */
export const jsonReport = (results: readonly ScenarioResult[]): string =>
  `${JSON.stringify(
    {
      scenarios: results.map((s) => ({
        name: s.name,
        file: s.file,
        kernel: s.kernel,
        ...(s.sysctlBaseline ? { sysctl_baseline: s.sysctlBaseline } : {}),
        cases: s.cases.map((c) => ({
          name: c.name,
          status: c.status,
          // A matrix cell carries its parameters (dimension → value), so one case per cell stays readable.
          ...(c.matrix ? { params: c.matrix.params } : {}),
          ...(c.error !== undefined ? { error: c.error } : {}),
          probes: c.probes,
          expectations: c.expectations,
        })),
      })),
    },
    null,
    2,
  )}\n`;
