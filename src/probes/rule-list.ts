// The sender's policy rules as the kernel lists them (`ip -j rule show`), read with its route
// decision so that the report can say which rule led to the table that answered. Pure. The JSON
// keys are iproute2 6.1's (measured: `ip -j rule show` of rules with every selector lab writes).
import type { RuleEntry } from '../types/observation.js';
// moved to src/types/observation.ts (re-exported here during the move only)
export type { RuleEntry } from '../types/observation.js';

const TABLE_IDS: Record<string, number> = { local: 255, main: 254, default: 253 };

/** The table id a rule's `table` names (local, main, default or a number); undefined for another name. */
export const ruleTableId = (table: string | undefined): number | undefined => {
  if (table === undefined) return undefined;
  if (table in TABLE_IDS) return TABLE_IDS[table];
  return /^\d+$/.test(table) ? Number(table) : undefined;
};

const selector = (addr: unknown, len: unknown): { address: string; prefix: number } | undefined =>
  typeof addr === 'string' && addr !== 'all'
    ? { address: addr, prefix: typeof len === 'number' ? len : addr.includes(':') ? 128 : 32 }
    : undefined;

const optional = <K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> =>
  (value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;

const prefix = (addr: unknown, len: unknown): string | undefined =>
  typeof addr === 'string' && addr !== 'all' ? (typeof len === 'number' ? `${addr}/${len}` : addr) : undefined;

/** The selectors and action of one JSON rule, in the order `ip rule show` prints them. */
const describe = (r: Record<string, unknown>): string => {
  const parts: string[] = [];
  if (r['not'] !== undefined) parts.push('not');
  parts.push(`from ${prefix(r['src'], r['srclen']) ?? 'all'}`);
  const to = prefix(r['dst'], r['dstlen']);
  if (to) parts.push(`to ${to}`);
  if (r['tos'] !== undefined) parts.push(`tos ${String(r['tos'])}`);
  if (r['fwmark'] !== undefined) parts.push(`fwmark ${String(r['fwmark'])}${r['fwmask'] !== undefined ? `/${String(r['fwmask'])}` : ''}`);
  if (r['iif'] !== undefined) parts.push(`iif ${String(r['iif'])}`);
  if (r['oif'] !== undefined) parts.push(`oif ${String(r['oif'])}`);
  if (r['uid_start'] !== undefined) parts.push(`uidrange ${String(r['uid_start'])}-${String(r['uid_end'])}`);
  if (r['ipproto'] !== undefined) parts.push(`ipproto ${String(r['ipproto'])}`);
  for (const key of ['sport', 'dport'] as const) {
    if (r[key] !== undefined) parts.push(`${key} ${String(r[key])}`);
    else if (r[`${key}_start`] !== undefined) parts.push(`${key} ${String(r[`${key}_start`])}-${String(r[`${key}_end`])}`);
  }
  if (typeof r['table'] === 'string') parts.push(`lookup ${r['table']}`);
  if (r['suppress_prefixlen'] !== undefined) parts.push(`suppress_prefixlength ${String(r['suppress_prefixlen'])}`);
  if (r['goto'] !== undefined) parts.push(`goto ${String(r['goto'])}`);
  if (typeof r['action'] === 'string') parts.push(r['action']);
  return parts.join(' ');
};

/** The rules of `ip -j rule show` in pref order; [] when the output is not a JSON list. */
export const parseRules = (json: string): RuleEntry[] => {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    return [];
  }
  if (!Array.isArray(raw)) return [];
  return raw
    .filter((r): r is Record<string, unknown> => typeof r === 'object' && r !== null && typeof (r as Record<string, unknown>)['priority'] === 'number')
    .map((r) => ({
      pref: r['priority'] as number,
      ...(typeof r['table'] === 'string' ? { table: r['table'] } : {}),
      ...(typeof r['action'] === 'string' ? { action: r['action'] } : {}),
      text: describe(r),
      ...optional('from', selector(r['src'], r['srclen'])),
      ...optional('to', selector(r['dst'], r['dstlen'])),
      ...(r['not'] !== undefined ? { not: true } : {}),
    }))
    .sort((a, b) => a.pref - b.pref);
};
