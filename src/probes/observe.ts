// Per-device observation with nftables: netdev ingress and egress chains on every device of a
// namespace, one counting rule per probe (matched by the probe's unique UDP port).

export const OBSERVER_TABLE = 'netns_lab_observe';

export interface DeviceCount {
  tx: number;
  rx: number;
}

/** The nft script that installs the observer in one namespace. */
export const observerRuleset = (devices: readonly string[], ports: readonly number[]): string => {
  const lines = [`table netdev ${OBSERVER_TABLE} {`];
  devices.forEach((dev, i) => {
    for (const [prefix, hook] of [['rx', 'ingress'], ['tx', 'egress']] as const) {
      lines.push(`  chain ${prefix}${i} {`);
      // Lowest priority number: count before anything else on the device can drop the packet.
      lines.push(`    type filter hook ${hook} device ${JSON.stringify(dev)} priority -500; policy accept;`);
      for (const port of ports) {
        lines.push(`    meta l4proto udp udp dport ${port} counter comment "port ${port}"`);
      }
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
 * Packet counts per device for one probe port, from `nft -j list table netdev OBSERVER_TABLE`.
 * `devices` is the list the ruleset was built from: chains are named by position (rx0, tx0, …)
 * because nft 1.0.6 leaves the device out of its JSON chain objects.
 */
export const parseObserverCounts = (json: string, devices: readonly string[], port: number): Map<string, DeviceCount> => {
  const doc = JSON.parse(json) as { nftables?: Record<string, unknown>[] };
  const counts = new Map<string, DeviceCount>(devices.map((d) => [d, { tx: 0, rx: 0 }]));
  for (const item of doc.nftables ?? []) {
    const rule = item['rule'] as NftRule | undefined;
    if (!rule || rule.comment !== `port ${port}`) continue;
    const m = /^(rx|tx)(\d+)$/.exec(rule.chain);
    const dev = m ? devices[Number(m[2])] : undefined;
    const count = dev !== undefined ? counts.get(dev) : undefined;
    if (!m || !count) continue;
    count[m[1] as 'rx' | 'tx'] += counterOf(rule.expr);
  }
  return counts;
};
