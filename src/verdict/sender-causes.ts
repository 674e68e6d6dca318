// Causes on the sender's side (issue 15 point 7): a probe the sending kernel refused before
// anything left. The route decision says how (an unreachable, prohibit or blackhole route or
// rule, or no route at all); otherwise the syscall's own errno does (SEND_ERROR). Measured here
// (kernel 6.18, h-probes-1 by hand): sendto/connect to an IPv4 blackhole route gives EINVAL, to
// an unreachable one EHOSTUNREACH, to a prohibit route or rule EACCES, with no route at all
// ENETUNREACH, and `ip route get` answers the same errors; a loopback source on a NIC without
// route_localnet gives EINVAL from sendto and from route get. ping says none of this (exit 1 and
// its whole -W); the agent's own sockets do. Pure.
import type { Cause, Probe } from '../types/scenario.js';
import type { ProbeObservation } from '../types/observation.js';
import { decidingLookup } from '../probes/fib-trace.js';
import { rejectOf, showTable } from './route.js';

/** The errno names of the messages the kernel's refusals print (strerror, glibc). */
const ERRNO_NAMES: [RegExp, string][] = [
  [/Invalid argument/i, 'EINVAL'],
  [/Network is unreachable/i, 'ENETUNREACH'],
  [/No route to host/i, 'EHOSTUNREACH'],
  [/Permission denied/i, 'EACCES'],
  [/Operation not permitted/i, 'EPERM'],
  [/Cannot assign requested address/i, 'EADDRNOTAVAIL'],
  [/Address already in use/i, 'EADDRINUSE'],
  [/No such device/i, 'ENODEV'],
  [/Network is down/i, 'ENETDOWN'],
  [/Message too long/i, 'EMSGSIZE'],
  [/No buffer space available/i, 'ENOBUFS'],
  [/Connection refused/i, 'ECONNREFUSED'],
  [/Connection timed out/i, 'ETIMEDOUT'],
];

export const errnoName = (message: string): string | undefined => ERRNO_NAMES.find(([re]) => re.test(message))?.[1];

/**
 * Errors that also come from far away: a connection refused or timed out, an ICMP unreachable
 * from a router, a neighbour that never answered. They are the sender's own refusal only when its
 * route decision refuses too (then the decision names the cause).
 */
const REMOTE_TOO = new Set(['ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

const REJECT_CAUSE = { unreachable: 'UNREACHABLE', prohibit: 'PROHIBIT', blackhole: 'BLACKHOLE', 'no-route': 'NO_ROUTE' } as const;

const isLoopback = (address: string): boolean => /^127\./.test(address) || address === '::1';

/** The sender-side cause of a probe that was not delivered, with why; undefined when it is not one. */
export const senderCause = (probe: Probe, obs: ProbeObservation): { cause: Cause; why: string } | undefined => {
  const reject = rejectOf(probe, obs.prediction, obs.lookups);
  const node = probe.from.node;
  if (reject) {
    const deciding = decidingLookup(obs.lookups ?? []);
    const where = deciding ? ` (table ${showTable(deciding.table)})` : '';
    const said = obs.prediction && !obs.prediction.ok ? obs.prediction.error : 'the route decision refuses it';
    const sent = obs.sendError ? `; the sender was told: ${obs.sendError}` : '';
    return { cause: REJECT_CAUSE[reject], why: `${node}'s route decision is ${reject}${where}: ${said}${sent}` };
  }
  if (!obs.sendError || obs.path.length > 0) return undefined;
  const errno = errnoName(obs.sendError);
  if (!errno || REMOTE_TOO.has(errno)) return undefined;
  // An EPERM in a node with a ruleset of the case is that firewall's: FILTERED, as diagnose says.
  if (errno === 'EPERM' && obs.firewalled.includes(node)) return undefined;
  const hint = errno === 'EINVAL' && isLoopback(probe.from.address)
    ? ` (a loopback source on ${probe.from.dev ?? 'a NIC'}: the kernel routes 127/8 off lo only with route_localnet=1)`
    : '';
  return { cause: 'SEND_ERROR', why: `${node}'s kernel refused to send it: ${obs.sendError} (${errno})${hint}` };
};
