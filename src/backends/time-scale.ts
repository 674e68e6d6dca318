// Waits for a helper to become ready (a namespace agent, a probe receiver) are sized for a real
// machine. Inside a VM under TCG every process start is 10-50 times slower, so the VM backend
// sets LAB_TIME_SCALE for the lab it runs there. Probe timeouts (verdicts) are not scaled.

/** The factor readiness timeouts are multiplied by: LAB_TIME_SCALE, at least 1. */
export const timeScale = (env: NodeJS.ProcessEnv = process.env): number => {
  const n = Number(env['LAB_TIME_SCALE']);
  return Number.isFinite(n) && n > 1 ? n : 1;
};
