// Which policy rule led to the table that answered. The kernel walks the rules in pref order and
// fires one fib lookup per matching `lookup` rule, so the traced lookups are, in order, the tables
// of a subsequence of the rules. The trace does not name the rule: lab names every rule that can
// have fired the deciding lookup, and more than one when the trace cannot tell them apart. Pure.
import type { FibLookup } from '../probes/fib-trace.js';
import { ruleTableId, type RuleEntry } from '../probes/rule-list.js';

/**
 * The rules that can have fired the last of `decision` (the lookups of one decision, in order):
 * each earlier lookup is matched to the first rule after the previous match that looks up its
 * table (the earliest place it can have come from), so the deciding lookup's candidates are every
 * later rule with its table up to the next rule that must have matched. [] when the rules do not
 * explain the lookups (a rule changed meanwhile, or a table id ip names otherwise).
 */
export const rulesLeadingTo = (rules: readonly RuleEntry[], decision: readonly FibLookup[]): RuleEntry[] => {
  const last = decision.at(-1);
  if (!last) return [];
  let from = 0;
  for (const lookup of decision.slice(0, -1)) {
    const i = rules.findIndex((r, k) => k >= from && ruleTableId(r.table) === lookup.table);
    if (i === -1) return [];
    from = i + 1;
  }
  return rules.filter((r, k) => k >= from && ruleTableId(r.table) === last.table);
};

/** How the evidence names them: `rule 100 (from 192.0.2.0/24 lookup 100)`, or `one of rules …`. */
export const describeRules = (rules: readonly RuleEntry[]): string | undefined => {
  if (rules.length === 0) return undefined;
  const one = (r: RuleEntry): string => `${r.pref} (${r.text})`;
  return rules.length === 1 ? `rule ${one(rules[0] as RuleEntry)}` : `one of rules ${rules.map(one).join(', ')}`;
};
