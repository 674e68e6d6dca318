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

interface NftChain {
  name: string;
  hook?: string;
  dev?: string | string[];
}

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
 * Devices without a chain are absent from the result.
 */
export const parseObserverCounts = (json: string, port: number): Map<string, DeviceCount> => {
  const doc = JSON.parse(json) as { nftables?: Record<string, unknown>[] };
  const chains = new Map<string, { dev: string; hook: string }>();
  const counts = new Map<string, DeviceCount>();
  for (const item of doc.nftables ?? []) {
    const chain = item['chain'] as NftChain | undefined;
    if (chain?.hook && chain.dev !== undefined) {
      const dev = Array.isArray(chain.dev) ? chain.dev[0] : chain.dev;
      if (dev !== undefined) {
        chains.set(chain.name, { dev, hook: chain.hook });
        if (!counts.has(dev)) counts.set(dev, { tx: 0, rx: 0 });
      }
    }
  }
  for (const item of doc.nftables ?? []) {
    const rule = item['rule'] as NftRule | undefined;
    if (!rule || rule.comment !== `port ${port}`) continue;
    const chain = chains.get(rule.chain);
    const count = chain && counts.get(chain.dev);
    if (!chain || !count) continue;
    if (chain.hook === 'ingress') count.rx += counterOf(rule.expr);
    else if (chain.hook === 'egress') count.tx += counterOf(rule.expr);
  }
  return counts;
};
