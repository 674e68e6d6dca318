// Per-device observation with nftables: netdev ingress and egress chains on every device of a
// namespace, one counting rule per observed thing (a probe's leg, its ARP/ND exchange).
import type { DeviceCount } from '../types/observation.js';
// moved to src/types/observation.ts (re-exported here during the move only)
export type { DeviceCount } from '../types/observation.js';

export const OBSERVER_TABLE = 'netns_lab_observe';

/** One counting rule, installed on every device: `match` is an nft expression, `id` names it. */
export interface ObserverRule {
  id: string;
  match: string;
}

/** The nft script that installs the observer in one namespace. */
export const observerRuleset = (devices: readonly string[], rules: readonly ObserverRule[]): string => {
  const lines = [`table netdev ${OBSERVER_TABLE} {`];
  devices.forEach((dev, i) => {
    for (const [prefix, hook] of [['rx', 'ingress'], ['tx', 'egress']] as const) {
      lines.push(`  chain ${prefix}${i} {`);
      // Lowest priority number: count before anything else on the device can drop the packet.
      lines.push(`    type filter hook ${hook} device ${JSON.stringify(dev)} priority -500; policy accept;`);
      for (const rule of rules) lines.push(`    ${rule.match} counter comment ${JSON.stringify(rule.id)}`);
      lines.push('  }');
    }
  });
  lines.push('}');
  return `${lines.join('\n')}\n`;
};

interface NftRule {
  chain: string;
  comment?: string;
  expr?: unknown[];
}

const counterOf = (expr: unknown[] | undefined): number => {
  for (const e of expr ?? []) {
    if (e && typeof e === 'object' && 'counter' in e) {
      const c = (e as { counter: { packets?: unknown } }).counter;
      if (typeof c.packets === 'number') return c.packets;
    }
  }
  return 0;
};

/**
 * Packet counts per rule id and device, from `nft -j list table netdev OBSERVER_TABLE`.
 * `devices` is the list the ruleset was built from: chains are named by position (rx0, tx0, …)
 * because nft 1.0.6 leaves the device out of its JSON chain objects. Every device is listed
 * for every rule id seen, zeros included.
 */
export const parseObserver = (json: string, devices: readonly string[]): Map<string, Map<string, DeviceCount>> => {
  const doc = JSON.parse(json) as { nftables?: Record<string, unknown>[] };
  const byRule = new Map<string, Map<string, DeviceCount>>();
  for (const item of doc.nftables ?? []) {
    const rule = item['rule'] as NftRule | undefined;
    const m = rule ? /^(rx|tx)(\d+)$/.exec(rule.chain) : null;
    const dev = m ? devices[Number(m[2])] : undefined;
    if (!rule?.comment || !m || dev === undefined) continue;
    let counts = byRule.get(rule.comment);
    if (!counts) {
      counts = new Map(devices.map((d) => [d, { tx: 0, rx: 0 }]));
      byRule.set(rule.comment, counts);
    }
    const count = counts.get(dev);
    if (count) count[m[1] as 'rx' | 'tx'] += counterOf(rule.expr);
  }
  return byRule;
};

/** Counts of one rule id (zeros for every device when the rule is absent). */
export const parseObserverCounts = (json: string, devices: readonly string[], id: string): Map<string, DeviceCount> =>
  parseObserver(json, devices).get(id) ?? new Map(devices.map((d) => [d, { tx: 0, rx: 0 }]));
