// Which policy rule led to the table that answered. The kernel walks the rules in pref order and
// fires one fib lookup per matching `lookup` rule, so the traced lookups are, in order, the tables
// of a subsequence of the rules. The trace does not name the rule: lab names every rule that can
// have fired the deciding lookup (a rule whose from/to the packet is outside of cannot have), and
// more than one when the trace cannot tell them apart. Pure.
import { BlockList, isIP } from 'node:net';
import type { FibLookup, RuleEntry } from '../types/observation.js';
import { ruleTableId } from '../probes/rule-list.js';

/**
 * The rules that can have fired the last of `decision` (the lookups of one decision, in order):
 * each earlier lookup is matched to the first rule after the previous match that looks up its
 * table (the earliest place it can have come from), so the deciding lookup's candidates are every
 * later rule with its table up to the next rule that must have matched. [] when the rules do not
 * explain the lookups (a rule changed meanwhile, or a table id ip names otherwise).
 */
export const rulesLeadingTo = (
  rules: readonly RuleEntry[],
  decision: readonly FibLookup[],
  packet?: { src: string; dst: string },
): RuleEntry[] => {
  const last = decision.at(-1);
  if (!last) return [];
  const fires = (r: RuleEntry, table: number): boolean => ruleTableId(r.table) === table && (!packet || canMatch(r, packet));
  let from = 0;
  for (const lookup of decision.slice(0, -1)) {
    const i = rules.findIndex((r, k) => k >= from && fires(r, lookup.table));
    if (i === -1) return [];
    from = i + 1;
  }
  return rules.filter((r, k) => k >= from && fires(r, last.table));
};

const within = (address: string, net: { address: string; prefix: number }): boolean => {
  const family = isIP(address);
  if (family === 0 || family !== isIP(net.address)) return false;
  const list = new BlockList();
  const type = family === 4 ? 'ipv4' : 'ipv6';
  list.addSubnet(net.address, net.prefix, type);
  return list.check(address, type);
};

/**
 * Whether a rule can have matched this packet, judged by its `from` and `to` alone (its other
 * selectors are not known here, so they are taken to match). A `not` rule is always kept: with
 * selectors lab cannot judge, it may match either way.
 */
const canMatch = (r: RuleEntry, packet: { src: string; dst: string }): boolean =>
  r.not === true || ((!r.from || within(packet.src, r.from)) && (!r.to || within(packet.dst, r.to)));

/** How the evidence names them: `rule 100 (from 192.0.2.0/24 lookup 100)`, or `one of rules …`. */
export const describeRules = (rules: readonly RuleEntry[]): string | undefined => {
  if (rules.length === 0) return undefined;
  const one = (r: RuleEntry): string => `${r.pref} (${r.text})`;
  return rules.length === 1 ? `rule ${one(rules[0] as RuleEntry)}` : `one of rules ${rules.map(one).join(', ')}`;
};
