import { formatRef } from '../model/refs.js';
import type { Cause, Expectation, Probe } from '../types/scenario.js';
import type { RouteDecision, ProbeObservation } from '../types/observation.js';
import { diagnose } from './diagnose.js';
import { assembleReply, handshakeOf, judgeReply } from './reply.js';
import type { ProbeResult, ExpectationResult, CaseStatus } from '../types/result.js';
import { judgeRoute } from './route.js';
// moved to src/types/result.ts (re-exported here during the move only)
export type { ExpectationResult, ProbeResult, CaseStatus, CaseResult } from '../types/result.js';

/** The probe's expectations: the case's, with the probe's own keys taking precedence. */
export const effectiveExpectation = (caseExpect: Expectation, probe: Probe): Expectation => ({
  ...caseExpect,
  ...(probe.expect ?? {}),
});

export const judgeExpectations = (
  probeName: string,
  expect: Expectation,
  obs: Pick<ProbeObservation, 'delivered' | 'path'> & Partial<Pick<ProbeObservation, 'prediction' | 'lookups'>>,
  cause?: Cause,
  answer: Pick<ProbeResult, 'proto' | 'reply' | 'handshake'> = { proto: 'udp' },
  /** The probe itself: needed by `route:` and `reject:` (src/verdict/route.ts). */
  probe?: Probe,
): ExpectationResult[] => {
  const results: ExpectationResult[] = [];
  const onPath = new Set(obs.path);
  if (expect.delivered !== undefined) {
    results.push({
      what: `${probeName}: delivered`,
      expected: expect.delivered,
      actual: obs.delivered,
      ok: expect.delivered === obs.delivered,
    });
  }
  if (expect.path) {
    const expected = expect.path.map(formatRef);
    results.push({
      what: `${probeName}: path`,
      expected,
      actual: obs.path,
      ok: expected.length === obs.path.length && expected.every((r, i) => obs.path[i] === r),
    });
  }
  if (expect.via) {
    const expected = expect.via.map(formatRef);
    results.push({ what: `${probeName}: via`, expected, actual: obs.path, ok: expected.every((r) => onPath.has(r)) });
  }
  if (expect.notVia) {
    const expected = expect.notVia.map(formatRef);
    results.push({
      what: `${probeName}: not-via`,
      expected,
      actual: obs.path,
      ok: !expected.some((r) => onPath.has(r)),
    });
  }
  if (expect.reason) {
    results.push({
      what: `${probeName}: reason`,
      expected: expect.reason,
      actual: cause ?? null,
      ok: expect.reason === cause,
    });
  }
  results.push(...judgeReply(probeName, expect, answer));
  if (probe) results.push(...judgeRoute(probeName, probe, expect, obs));
  return results;
};

/**
 * Where `ip route get` and the observed path disagree on the device the probe left by, one line;
 * undefined when they agree or when either is missing.
 */
export const predictionMismatch = (sender: string, prediction: RouteDecision | undefined, path: readonly string[]): string | undefined => {
  if (!prediction?.ok) return undefined;
  const first = path.find((k) => k.startsWith(`${sender}:`) );
  if (!first) return undefined;
  const predicted = `${sender}:${prediction.dev}`;
  return first === predicted ? undefined : `route get predicted ${predicted}, but it left by ${first}`;
};

/** The report entry of one probe: what was seen, why, and the evidence. */
export const probeResult = (
  probe: Probe,
  to: string,
  obs: ProbeObservation,
  receiverNode: string | undefined,
  port?: number,
  radios?: ReadonlySet<string>,
): ProbeResult => {
  const diagnosis = diagnose(probe, obs, receiverNode, port, radios);
  const mismatch = predictionMismatch(probe.from.node, obs.prediction, obs.path);
  const reply = assembleReply(probe, obs, diagnosis.cause);
  const handshake = handshakeOf(probe, obs);
  // A request that arrived with an answer that did not get back: the explanation says both.
  const explanation = obs.delivered && reply && !reply.delivered ? `${diagnosis.explanation}; ${reply.explanation}` : diagnosis.explanation;
  return {
    name: probe.name,
    proto: probe.kind,
    from: `${probe.from.node}:${probe.from.address}`,
    to,
    delivered: obs.delivered,
    path: obs.path,
    devices: obs.devices,
    explanation: mismatch ? `${explanation}; ${mismatch}` : explanation,
    cause: diagnosis.cause ?? null,
    evidence: mismatch ? [...diagnosis.evidence, mismatch] : diagnosis.evidence,
    prediction: obs.prediction ?? null,
    ...(reply ? { reply } : {}),
    ...(handshake === undefined ? {} : { handshake }),
    ...(obs.exchange ? { neighbour: obs.exchange } : {}),
  };
};

/** Why an expectation failed, for the table. */
export const describeFailure = (r: ExpectationResult): string => {
  const show = (v: unknown): string => (Array.isArray(v) ? `[${v.join(', ')}]` : String(v));
  const key = r.what.slice(r.what.lastIndexOf(': ') + 2);
  switch (key) {
    case 'via':
      return `expected via ${show(r.expected)}, path was ${show(r.actual)}`;
    case 'not-via':
      return `expected not via ${show(r.expected)}, path was ${show(r.actual)}`;
    default:
      return `expected ${key} ${show(r.expected)}, saw ${show(r.actual)}`;
  }
};

export const caseStatus = (expectations: readonly ExpectationResult[]): CaseStatus =>
  expectations.every((e) => e.ok) ? 'pass' : 'fail';
