// The verdict of a case in words, shared by the TAP, JUnit and GitHub reporters.
import type { ScenarioResult, CaseResult, ExpectationResult, ProbeResult } from '../types/result.js';
import { describeFailure } from '../verdict/verdict.js';

/** The probe an expectation result is about: `what` is `PROBE: KEY`. */
export const expectationProbe = (e: ExpectationResult): string => e.what.slice(0, Math.max(0, e.what.lastIndexOf(': ')));

/** Why one expectation failed, naming the probe when the case has several. */
export const failureText = (c: CaseResult, e: ExpectationResult): string =>
  c.probes.length > 1 ? `${expectationProbe(e)}: ${describeFailure(e)}` : describeFailure(e);

/** The verdict in one line: what failed, or why the case could not run. */
export const verdictLine = (c: CaseResult): string => {
  if (c.error !== undefined) return c.error;
  const failed = c.expectations.filter((e) => !e.ok).map((e) => failureText(c, e));
  return failed.length ? failed.join('; ') : c.status === 'pass' ? 'every expectation held' : c.status;
};

export const pathText = (p: ProbeResult): string => (p.path.length ? p.path.join(' → ') : '(no device)');

/** The answer's way back, and whether it got there: `reply: b:eth0 → a:eth0 (delivered)`. */
export const replyText = (p: ProbeResult): string =>
  p.reply
    ? `reply: ${p.reply.path.length ? p.reply.path.join(' → ') : '(no device)'} (${p.reply.delivered ? 'delivered' : `not delivered: ${p.reply.reason ?? 'UNKNOWN'}`})${p.handshake === undefined ? '' : `, handshake ${p.handshake ? 'completed' : 'not completed'}`}`
    : '';

/** Every probe and every expectation, one per line, for a report's detail section. */
export const caseDetails = (c: CaseResult): string => {
  const lines: string[] = [];
  if (c.error !== undefined) lines.push(`error: ${c.error}`);
  for (const p of c.probes) {
    lines.push(`${p.name}: ${pathText(p)}`, ...(p.reply ? [`  ${replyText(p)}`] : []), `  ${p.explanation}`);
  }
  for (const e of c.expectations) lines.push(`${e.ok ? '✓' : '✗'} ${e.what}${e.ok ? '' : ` — ${describeFailure(e)}`}`);
  return lines.join('\n');
};

export const isFailure = (c: CaseResult): boolean => c.status === 'fail' || c.status === 'error';

export interface Counts {
  total: number;
  pass: number;
  fail: number;
  error: number;
  skip: number;
}

export const countCases = (results: readonly ScenarioResult[]): Counts => {
  const all = results.flatMap((s) => s.cases);
  const n = (status: CaseResult['status']): number => all.filter((c) => c.status === status).length;
  return { total: all.length, pass: n('pass'), fail: n('fail'), error: n('error'), skip: n('skip') };
};

/** `4 pass, 1 fail`, in a fixed order, without zeros. */
export const countsText = (c: Counts): string =>
  (['pass', 'fail', 'error', 'skip'] as const)
    .filter((k) => c[k] > 0)
    .map((k) => `${c[k]} ${k}`)
    .join(', ') || 'no cases';
