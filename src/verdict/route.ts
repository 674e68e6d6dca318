// `route:` and `reject:` expectations: the sender's routing decision for the probe, from `ip
// route get` with the probe's attributes and, where tracefs allows, the fib tracepoints' own
// lookups (which table answered). Pure.
import type { Expectation, Probe, RejectKind, RouteExpectation } from '../types/scenario.js';
import { KERNEL_TABLES } from '../model/route-expectation.js';
import { decidingLookup, firstDecision, LOOKUP_ERRORS } from '../probes/fib-trace.js';
import type { FibLookup, RuleEntry, RouteDecision } from '../types/observation.js';
import { describeRules, rulesLeadingTo } from './rule-trace.js';
import type { ExpectationResult } from '../types/result.js';

/** The table number of `ip route get`'s `table` (main, local, default or a number). */
export const tableNumber = (text: string): number | undefined => KERNEL_TABLES.get(text) ?? (/^\d+$/.test(text) ? Number(text) : undefined);

/** How a table is shown: its number, with the kernel's name when it has one. */
export const showTable = (id: number): string => {
  const name = [...KERNEL_TABLES].find(([, n]) => n === id)?.[0];
  return name ? `${name} (${id})` : String(id);
};

/** The route type a lookup's error means (fib_props: the errors of blackhole/unreachable/prohibit). */
const TYPE_OF_ERROR: Record<number, RejectKind> = { [-22]: 'blackhole', [-113]: 'unreachable', [-13]: 'prohibit', [-101]: 'no-route' };

/** The refusal `ip route get` answered with, by its message (strerror of the errno). */
const REJECT_OF_MESSAGE: [RegExp, RejectKind][] = [
  [/No route to host/i, 'unreachable'],
  [/Permission denied/i, 'prohibit'],
  [/Network is unreachable/i, 'no-route'],
  [/Invalid argument/i, 'blackhole'],
];

const isLoopback = (address: string): boolean => /^127\./.test(address) || address === '::1';

/**
 * How the sender's decision refuses the probe, or undefined when it does not. The tracepoint's
 * deciding lookup says it directly; without one (a rule's action refuses without a table lookup,
 * or no tracefs), `ip route get`'s error does: EINVAL is a blackhole unless the source is a
 * loopback address (then the source is what is refused, see sender-causes.ts).
 */
export const rejectOf = (probe: Probe, prediction: RouteDecision | undefined, lookups: readonly FibLookup[] | undefined): RejectKind | undefined => {
  const deciding = decidingLookup(lookups ?? []);
  if (deciding && deciding.err !== 0) return TYPE_OF_ERROR[deciding.err];
  if (!prediction || prediction.ok) return undefined;
  const kind = REJECT_OF_MESSAGE.find(([re]) => re.test(prediction.error))?.[1];
  return kind === 'blackhole' && isLoopback(probe.from.address) ? undefined : kind;
};

/** The decision in the words of a `route:` expectation. */
export interface ActualRoute {
  table?: number;
  dev?: string;
  via?: string;
  src?: string;
  type?: string;
  /** `ip route get`'s refusal. */
  refused?: string;
}

/** The decision: the deciding lookup's table when the trace has one, the rest from `ip route get`. */
export const actualRoute = (probe: Probe, prediction: RouteDecision | undefined, lookups: readonly FibLookup[] | undefined): ActualRoute => {
  const deciding = decidingLookup(lookups ?? []);
  const reject = rejectOf(probe, prediction, lookups);
  const table = deciding?.table ?? (prediction?.ok ? tableNumber(prediction.table) : undefined);
  if (!prediction?.ok) {
    return {
      ...(table === undefined ? {} : { table }),
      ...(reject && reject !== 'no-route' ? { type: reject } : {}),
      refused: prediction?.error ?? 'no route get answer',
    };
  }
  return {
    ...(table === undefined ? {} : { table }),
    dev: prediction.dev,
    ...(prediction.gateway ? { via: prediction.gateway } : {}),
    ...(prediction.src ? { src: prediction.src } : {}),
    type: prediction.type,
  };
};

export const describeActualRoute = (r: ActualRoute): string =>
  [
    r.type && r.type !== 'unicast' ? r.type : '',
    r.dev ? `dev ${r.dev}` : '',
    r.via ? `via ${r.via}` : '',
    r.src ? `src ${r.src}` : '',
    r.table === undefined ? '' : `table ${showTable(r.table)}`,
    r.refused ? `refused: ${r.refused}` : '',
  ].filter(Boolean).join(' ');

export const describeExpectedRoute = (e: RouteExpectation): string =>
  [
    e.type ? `type ${e.type}` : '',
    e.dev ? `dev ${e.dev}` : '',
    e.via ? `via ${e.via}` : '',
    e.src ? `src ${e.src}` : '',
    e.table ? `table ${e.table.name === undefined || e.table.name === String(e.table.id) ? showTable(e.table.id) : `${e.table.name} (${e.table.id})`}` : '',
  ].filter(Boolean).join(' ');

/** Every key the expectation gives matches the decision. */
export const routeMatches = (e: RouteExpectation, a: ActualRoute): boolean =>
  (e.table === undefined || e.table.id === a.table) &&
  (e.dev === undefined || e.dev === a.dev) &&
  (e.via === undefined || e.via === a.via) &&
  (e.src === undefined || e.src === a.src) &&
  (e.type === undefined || e.type === (a.type ?? (a.refused ? undefined : 'unicast')));

/** The results of a probe's `route:` and `reject:` expectations (none when it has neither). */
export const judgeRoute = (
  probeName: string,
  probe: Probe,
  expect: Pick<Expectation, 'route' | 'reject'>,
  obs: { prediction?: RouteDecision; lookups?: FibLookup[] },
): ExpectationResult[] => {
  const results: ExpectationResult[] = [];
  if (expect.route) {
    const actual = actualRoute(probe, obs.prediction, obs.lookups);
    results.push({
      what: `${probeName}: route`,
      expected: describeExpectedRoute(expect.route),
      actual: describeActualRoute(actual),
      ok: routeMatches(expect.route, actual),
    });
  }
  if (expect.reject) {
    const actual = rejectOf(probe, obs.prediction, obs.lookups);
    results.push({
      what: `${probeName}: reject`,
      expected: expect.reject,
      actual: actual ?? (obs.prediction?.ok ? `none (dev ${obs.prediction.dev})` : 'none'),
      ok: actual === expect.reject,
    });
  }
  return results;
};

/** One evidence line: the lookups the kernel made for the probe, in order. */
export const lookupEvidence = (
  node: string,
  lookups: readonly FibLookup[] | undefined,
  rules: readonly RuleEntry[] = [],
  packet?: { src: string; dst: string },
): string | undefined => {
  if (!lookups) return undefined;
  if (lookups.length === 0) return `fib lookups on ${node}: none seen for this probe`;
  const first = lookups.slice(0, 6).map((l) => {
    const outcome = l.err === 0 ? `dev ${l.dev}${l.gateway ? ` via ${l.gateway}` : ''}` : LOOKUP_ERRORS[l.err] ?? `err ${l.err}`;
    return `table ${showTable(l.table)} → ${outcome}`;
  });
  // Which rule led to the table that decided (src/verdict/rule-trace.ts).
  const deciding = decidingLookup(lookups);
  const decision = firstDecision(lookups);
  const led = deciding ? describeRules(rulesLeadingTo(rules, decision, packet)) : undefined;
  const by = led && deciding ? `; table ${showTable(deciding.table)} by ${led}` : '';
  return `fib lookups on ${node}: ${first.join(', ')}${lookups.length > 6 ? `, … (${lookups.length})` : ''}${by}`;
};
