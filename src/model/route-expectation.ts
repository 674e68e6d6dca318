// `expect: { route: {...}, reject: ... }`: the sender's routing decision for a probe (issue 14
// item 4). Tables are named as the scenario names them and resolved to their numbers here, so the
// verdict compares numbers (ip route get prints main/local/default by name, the fib tracepoint
// numbers). Names beyond the kernel's three come from the scenario's `tables:` map, passed in.
import { z } from 'zod';
import { REJECT_KINDS, type RouteExpectation, type TableRef } from '../types/scenario.js';

/** The tables every kernel knows by name (include/uapi/linux/rtnetlink.h: RT_TABLE_*). */
export const KERNEL_TABLES: ReadonlyMap<string, number> = new Map([
  ['default', 253],
  ['main', 254],
  ['local', 255],
]);

/** The route types `ip route` knows (rtnl_rtntype_n2a). */
export const ROUTE_DECISION_TYPES = [
  'unicast', 'local', 'broadcast', 'multicast', 'anycast', 'blackhole', 'unreachable', 'prohibit', 'throw', 'nat',
] as const;

export const tableSchema = z.union([z.int().min(0).max(0xffffffff), z.string().min(1)], {
  error: 'a table is a number (0-4294967295) or a name (main, local, default, or one of `tables:`)',
}).describe('A routing table: a number, main, local, default, or a name from the top-level tables: map.');

export const routeExpectationSchema = z.strictObject({
  table: tableSchema.optional().describe('The table whose route answered.'),
  dev: z.string().min(1).optional().describe('The device the probe leaves by.'),
  via: z.string().min(1).optional().describe('The gateway (next hop); absent for a directly connected destination.'),
  src: z.string().min(1).optional().describe('The source address the decision picks (prefsrc, or the probe\'s own).'),
  type: z.enum(ROUTE_DECISION_TYPES).optional().describe('The route type: unicast, local, blackhole, unreachable, prohibit, ...'),
}).describe("The sender's routing decision for the probe with its attributes (ip route get with the same " +
  'from/to/oif/tos/mark/ipproto/sport/dport/uid, and the fib_table_lookup tracepoint where tracefs allows). Any subset.');

export const rejectSchema = z.enum(REJECT_KINDS)
  .describe("The sender's routing decision refuses the probe: unreachable (EHOSTUNREACH), prohibit (EACCES), " +
    'blackhole (EINVAL for IPv4, silently dropped for IPv6), no-route (ENETUNREACH: no route at all).');

/** The number of a table as written, or a message naming the known tables. */
export const resolveTable = (
  written: number | string,
  names: ReadonlyMap<string, number> = KERNEL_TABLES,
): { ok: true; table: TableRef } | { ok: false; error: string } => {
  if (typeof written === 'number') return { ok: true, table: { name: String(written), id: written } };
  if (/^\d+$/.test(written)) return { ok: true, table: { name: written, id: Number(written) } };
  const id = names.get(written) ?? KERNEL_TABLES.get(written);
  if (id !== undefined) return { ok: true, table: { name: written, id } };
  const known = [...new Set([...KERNEL_TABLES.keys(), ...names.keys()])].join(', ');
  return { ok: false, error: `unknown table "${written}" (known: ${known}, or a number)` };
};

/** The resolved expectation; a table that does not resolve is reported through `problem`. */
export const resolveRouteExpectation = (
  raw: z.output<typeof routeExpectationSchema>,
  names: ReadonlyMap<string, number>,
  problem: (key: string, message: string) => void,
): RouteExpectation | undefined => {
  let table: TableRef | undefined;
  if (raw.table !== undefined) {
    const r = resolveTable(raw.table, names);
    if (!r.ok) {
      problem('table', r.error);
      return undefined;
    }
    table = r.table;
  }
  return {
    ...(table ? { table } : {}),
    ...(raw.dev === undefined ? {} : { dev: raw.dev }),
    ...(raw.via === undefined ? {} : { via: raw.via }),
    ...(raw.src === undefined ? {} : { src: raw.src }),
    ...(raw.type === undefined ? {} : { type: raw.type }),
  };
};
