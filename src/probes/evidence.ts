// Parsers for the evidence gathered around a probe. Pure: text in, data out.
import type { RouteDecision, Counters, NeighEntry } from '../types/observation.js';
// moved to src/types/observation.ts (re-exported here during the move only)
export type { RouteDecision, Counters, NeighEntry } from '../types/observation.js';

export const parseRouteGet = (exitCode: number, stdout: string, stderr: string): RouteDecision => {
  if (exitCode !== 0) {
    return { ok: false, error: stderr.trim().replace(/^RTNETLINK answers: /, '') || `exit ${exitCode}` };
  }
  const [r] = JSON.parse(stdout || '[]') as Record<string, unknown>[];
  if (!r) return { ok: false, error: 'no route in the answer' };
  const text = (k: string): string | undefined => (typeof r[k] === 'string' ? (r[k] as string) : undefined);
  return {
    ok: true,
    type: text('type') ?? 'unicast',
    dev: text('dev') ?? '?',
    table: text('table') ?? 'main',
    ...(text('prefsrc') ?? text('from') ? { src: (text('prefsrc') ?? text('from')) as string } : {}),
    ...(gatewayOf(r) ? { gateway: gatewayOf(r) as string } : {}),
  };
};

/**
 * The gateway of a route in `ip -j` output: `gateway` for one of the route's own family, `via`
 * ({family, host}) for an IPv4 route through an IPv6 gateway (`ip route add … via inet6 ADDR`;
 * ip 6.1 prints `"via":{"family":"inet6","host":"2001:db8:1::2"}`, text "via inet6 2001:db8:1::2").
 */
const gatewayOf = (r: Record<string, unknown>): string | undefined => {
  if (typeof r['gateway'] === 'string') return r['gateway'];
  const via = r['via'];
  if (via && typeof via === 'object' && typeof (via as { host?: unknown }).host === 'string') return (via as { host: string }).host;
  return undefined;
};

/** What one command of an `ip -force -batch` said, as if it had run alone. */
export interface BatchAnswer {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * The answers of the `count` commands of one `ip -j -force -batch -` whose commands each print
 * one line of JSON when they succeed (route get, neigh show): ip prints a failed one's complaint
 * on stderr followed by "Command failed -:N" and goes on with the next.
 */
export const splitJsonBatch = (count: number, stdout: string, stderr: string): BatchAnswer[] => {
  const failed = new Map<number, string>();
  let pending: string[] = [];
  for (const line of stderr.split('\n')) {
    const m = /^Command failed -:(\d+)$/.exec(line.trim());
    if (m) {
      failed.set(Number(m[1]) - 1, pending.join('\n'));
      pending = [];
    } else if (line.trim()) pending.push(line);
  }
  const lines = stdout.split('\n').filter((l) => l.trim());
  return Array.from({ length: count }, (_, i) => {
    const error = failed.get(i);
    if (error !== undefined) return { exitCode: 2, stdout: '', stderr: `${error}\n` };
    const line = lines.shift();
    return line === undefined ? { exitCode: 1, stdout: '', stderr: pending.join('\n') || 'no answer' } : { exitCode: 0, stdout: `${line}\n`, stderr: '' };
  });
};

export const describeRoute = (r: RouteDecision): string =>
  r.ok
    ? `${r.type === 'unicast' ? '' : `${r.type} `}dev ${r.dev} table ${r.table}${r.src ? ` src ${r.src}` : ''}${r.gateway ? ` via ${r.gateway}` : ''}`
    : `refused: ${r.error}`;

/** `nstat -asz -j`: absolute counters of one namespace. */
export const parseNstat = (stdout: string): Counters => {
  const doc = JSON.parse(stdout || '{}') as { kernel?: Counters };
  return doc.kernel ?? {};
};

/**
 * IPv6 counters that are evidence and that housekeeping leaves alone: a router dropping a packet
 * it may not forward (Ip6InAddrErrors) and ICMPv6 errors (Ip6InNoRoutes also moves for a router's
 * own solicitations, so it is not one).
 */
const IPV6_EVIDENCE = /^(Ip6InAddrErrors|Icmp6OutDestUnreachs|Icmp6InDestUnreachs)$/;

/**
 * Counters that moved between two readings, without IPv6 housekeeping noise (router
 * solicitations and MLD reports a new interface sends by itself).
 */
export const counterDeltas = (before: Counters, after: Counters): Counters => {
  const out: Counters = {};
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] ?? 0);
    if (d !== 0 && (!/^(Ip6|Icmp6)/.test(k) || IPV6_EVIDENCE.test(k)) && !/Octets$/.test(k)) out[k] = d;
  }
  return out;
};

export const parseNeigh = (node: string, json: string, address: string): NeighEntry[] => {
  const entries = JSON.parse(json || '[]') as { dst: string; dev: string; state?: string[]; lladdr?: string }[];
  return entries
    .filter((e) => e.dst === address)
    .map((e) => ({
      node,
      dev: e.dev,
      address: e.dst,
      state: (e.state ?? ['NONE']).join(','),
      ...(e.lladdr ? { lladdr: e.lladdr } : {}),
    }));
};

/**
 * MAC address → device name, from /sys/class/net/DEV/{address,type} of each device (as read
 * by the node's agent, in `texts` pairs); only Ethernet-like devices (type 1), as below.
 */
export const parseSysMacs = (devs: readonly string[], texts: readonly string[]): Map<string, string> =>
  new Map(
    devs.flatMap((dev, i) => {
      const address = texts[2 * i]?.trim();
      return address && texts[2 * i + 1]?.trim() === '1' ? [[address, dev] as [string, string]] : [];
    }),
  );

/** MAC address → device name, from `ip -j link show`. */
export const parseLinkMacs = (json: string): Map<string, string> => {
  const links = JSON.parse(json || '[]') as { ifname: string; address?: string; link_type?: string }[];
  return new Map(links.filter((l) => l.address && l.link_type === 'ether').map((l) => [l.address as string, l.ifname]));
};
