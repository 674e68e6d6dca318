import { formatRef, type Expectation, type Probe } from '../model/types.js';
import type { ProbeObservation } from '../probes/udp.js';

export interface ExpectationResult {
  what: string;
  expected: unknown;
  actual: unknown;
  ok: boolean;
}

export interface ProbeResult {
  name: string;
  proto: 'udp';
  from: string;
  to: string;
  delivered: boolean;
  path: string[];
  devices: Record<string, { tx: number; rx: number }>;
  explanation: string;
}

export type CaseStatus = 'pass' | 'fail' | 'skip' | 'error';

export interface CaseResult {
  name: string;
  status: CaseStatus;
  probes: ProbeResult[];
  expectations: ExpectationResult[];
  /** Set when status is error or skip: what went wrong, in one line. */
  error?: string;
  durationMs: number;
}

/** The probe's expectations: the case's, with the probe's own keys taking precedence. */
export const effectiveExpectation = (caseExpect: Expectation, probe: Probe): Expectation => ({
  ...caseExpect,
  ...(probe.expect ?? {}),
});

const list = (refs: readonly string[]): string => (refs.length ? refs.join(' → ') : 'no device');

export const judgeExpectations = (
  probeName: string,
  expect: Expectation,
  obs: Pick<ProbeObservation, 'delivered' | 'path'>,
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
  return results;
};

/** One line saying what happened to the datagram, from the evidence only. */
export const explainObservation = (obs: ProbeObservation): string => {
  if (obs.receiverError) return `no receiver: ${obs.receiverError}`;
  if (obs.sendError) return `not sent: ${obs.sendError}`;
  const wire = obs.path.filter((d) => !d.endsWith(':lo'));
  if (obs.delivered) {
    return wire.length === 0
      ? `delivered through ${list(obs.path)}; nothing crossed the wire`
      : `delivered over the wire, received on ${wire[wire.length - 1]}`;
  }
  if (obs.path.length === 0) {
    const neigh = obs.neighbours.find((n) => /FAILED|INCOMPLETE/.test(n.state));
    const why = neigh
      ? `; neighbour ${neigh.address} on ${neigh.node}:${neigh.dev} is ${neigh.state} (no ARP/ND answer)`
      : '';
    return `not delivered: no device carried it${why}`;
  }
  return `not delivered: last seen on ${obs.path[obs.path.length - 1]} (path ${list(obs.path)})`;
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
