// The answer to an icmp or tcp probe (echo reply, SYN-ACK) on its way back, judged like the
// request: delivered, its path, and why it did not get back. Pure: from the observation only.
import { formatRef } from '../model/refs.js';
import type { Cause, Expectation, Probe } from '../types/scenario.js';
import { reachedNode } from '../probes/hop-evidence.js';
import type { ProbeObservation } from '../types/observation.js';
import { legCause } from './diagnose.js';
import type { ExpectationResult, ReplyResult } from '../types/result.js';
// moved to src/types/result.ts (re-exported here during the move only)
export type { ReplyResult } from '../types/result.js';

const arrow = (path: readonly string[]): string => (path.length ? path.join(' → ') : 'no device');

/**
 * The reply of `probe`, or undefined for udp (nothing answers a datagram). `requestCause` is the
 * request's own cause: without a request there is no answer, for the same reason.
 */
export const assembleReply = (probe: Probe, obs: ProbeObservation, requestCause: Cause | undefined): ReplyResult | undefined => {
  const leg = obs.legs[1];
  if (probe.kind === 'udp' || !leg) return undefined;
  const name = probe.kind === 'icmp' ? 'echo reply' : 'SYN-ACK';
  const base = { path: leg.path, devices: leg.devices };
  const delivered = obs.answered === true;
  if (delivered) return { ...base, delivered, reason: null, explanation: `the ${name} came back over ${arrow(leg.path)}` };
  const no = (reason: Cause, why: string): ReplyResult => ({ ...base, delivered, reason, explanation: `no ${name} (${reason}): ${why}` });

  const refused = probe.kind === 'tcp' && reachedNode(leg, probe.from.node) && /refused|reset/i.test(obs.sendError ?? '');
  if (refused) return no(requestCause ?? 'NO_LISTENER', `a RST came back over ${arrow(leg.path)} instead`);
  // The request never got there: its cause is the answer's.
  if (!obs.delivered && requestCause && (probe.kind === 'icmp' || !legCause(obs, 'reply'))) {
    return no(requestCause, `the request was not delivered (${requestCause})`);
  }
  const stopped = legCause(obs, 'reply');
  if (stopped) return no(stopped.cause, stopped.why);
  const sender = probe.from.node;
  if (reachedNode(leg, sender)) {
    if (Object.entries(obs.counters[sender] ?? {}).some(([k, v]) => /ReversePathFilter/.test(k) && v > 0)) {
      return no('RPFILTER', `it reached ${sender}, which dropped it on the reverse-path check`);
    }
    if (obs.firewalled.includes(sender)) return no('FILTERED', `it reached ${sender}, whose nft ruleset dropped it`);
  }
  const last = leg.path[leg.path.length - 1];
  if (last && obs.firewalled.some((n) => last.startsWith(`${n}:`))) {
    return no('FILTERED', `last seen on ${last}, in a node with the case's nft ruleset`);
  }
  return no('UNKNOWN', leg.path.length ? `last seen on ${last}; the evidence fits no known cause` : 'no device carried it and the evidence fits no known cause');
};

/** tcp: whether the three-way handshake completed (the sender's connect returned success). */
export const handshakeOf = (probe: Probe, obs: ProbeObservation): boolean | undefined =>
  probe.kind === 'tcp' ? obs.answered === true : undefined;

/** The reply and handshake expectations, judged; each names the probe like the others (`PROBE: KEY`). */
export const judgeReply = (
  probeName: string,
  expect: Expectation,
  answer: { proto: Probe['kind']; reply?: ReplyResult | undefined; handshake?: boolean | undefined },
): ExpectationResult[] => {
  const results: ExpectationResult[] = [];
  const r = expect.reply;
  if (r) {
    // A udp probe has no answer: an expectation about one cannot hold, and says so.
    const none = `${answer.proto} has no reply`;
    if (r.delivered !== undefined) {
      const actual = answer.reply ? answer.reply.delivered : none;
      results.push({ what: `${probeName}: reply.delivered`, expected: r.delivered, actual, ok: actual === r.delivered });
    }
    if (r.path) {
      const expected = r.path.map(formatRef);
      const actual = answer.reply?.path ?? none;
      const ok = Array.isArray(actual) && expected.length === actual.length && expected.every((k, i) => actual[i] === k);
      results.push({ what: `${probeName}: reply.path`, expected, actual, ok });
    }
    if (r.reason !== undefined) {
      const actual = answer.reply ? answer.reply.reason : none;
      results.push({ what: `${probeName}: reply.reason`, expected: r.reason, actual, ok: actual === r.reason });
    }
  }
  if (expect.handshake !== undefined) {
    const actual = answer.handshake ?? `${answer.proto} has no handshake`;
    results.push({ what: `${probeName}: handshake`, expected: expect.handshake, actual, ok: actual === expect.handshake });
  }
  return results;
};
