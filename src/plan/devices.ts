// A node's `devices:` as plan data: the ops that create devices and set their attributes, and the
// devices as the observers and the path derivation see them. Pure.
//
// Every argv names devices with `name NAME` / `dev NAME`, so a device called `up`, `mtu` or `help`
// (an ip keyword) is never read as one.
import { creationOrder, VXLAN_PORT } from '../model/devices.js';
import type { DeviceSpec, DeviceType, NodeSpec } from '../types/scenario.js';
import type { Op, TopologyDevice } from '../types/plan.js';

/** The kernel feature each created device type needs: a case whose kernel lacks it is skipped naming it. */
export const DEVICE_FEATURES: Record<DeviceType, string | undefined> = {
  dummy: 'dummy (CONFIG_DUMMY)',
  macvlan: 'macvlan (CONFIG_MACVLAN)',
  vxlan: 'vxlan (CONFIG_VXLAN)',
  vlan: '8021q (CONFIG_VLAN_8021Q)',
  // A plain bridge is what `bridge:` nodes use already: lab needs it anyway.
  bridge: undefined,
};
export const VLAN_FILTERING_FEATURE = 'bridge vlan filtering (CONFIG_BRIDGE_VLAN_FILTERING)';

const specOf = (node: NodeSpec, dev: string): DeviceSpec | undefined => node.devices?.find((d) => d.name === dev);

/** The bridge a device of the node is enslaved to: its `master:` (none: no bridge), else the node's bridge for a link end. */
export const masterOf = (node: NodeSpec, dev: string, isLinkEnd: boolean): string | undefined => {
  const master = specOf(node, dev)?.master;
  if (master === 'none') return undefined;
  if (master !== undefined) return master;
  return isLinkEnd ? node.bridge : undefined;
};

/** Whether the device is brought up (every device is, unless it says `up: false`). */
export const isUp = (node: NodeSpec, dev: string): boolean => specOf(node, dev)?.up !== false;

const createArgv = (d: DeviceSpec): string[] => {
  switch (d.type) {
    case 'dummy':
      return ['ip', 'link', 'add', 'name', d.name, 'type', 'dummy'];
    case 'macvlan':
      return ['ip', 'link', 'add', 'link', String(d.link), 'name', d.name, 'type', 'macvlan', ...(d.mode ? ['mode', d.mode] : [])];
    case 'vlan':
      return ['ip', 'link', 'add', 'link', String(d.link), 'name', d.name, 'type', 'vlan', 'id', String(d.id)];
    case 'vxlan':
      return [
        'ip', 'link', 'add', 'name', d.name, 'type', 'vxlan', 'id', String(d.id),
        ...(d.local !== undefined ? ['local', d.local] : []),
        ...(d.remote !== undefined ? ['remote', d.remote] : []),
        ...(d.group !== undefined ? ['group', d.group] : []),
        ...(d.dev !== undefined ? ['dev', d.dev] : []),
        'dstport', String(d.dstport ?? VXLAN_PORT),
      ];
    default:
      return ['ip', 'link', 'add', 'name', d.name, 'type', 'bridge', ...(d.vlanFiltering ? ['vlan_filtering', '1'] : [])];
  }
};

/** The node's created devices, each after the devices it sits on; each names the kernel feature it needs. */
export const createOps = (node: NodeSpec): Op[] =>
  creationOrder(node.devices ?? []).map((d) => {
    const type = d.type ?? 'bridge';
    const requires = type === 'bridge' && d.vlanFiltering ? VLAN_FILTERING_FEATURE : DEVICE_FEATURES[type];
    return {
      node: node.name,
      argv: createArgv(d),
      why: `devices: ${d.name} is a ${type}`,
      ...(requires ? { requires } : {}),
    };
  });

/** mtu and mac of any device of the node, set before it is enslaved or up. */
export const attributeOps = (node: NodeSpec): Op[] =>
  (node.devices ?? []).flatMap((d) => [
    ...(d.mtu !== undefined ? [{ node: node.name, argv: ['ip', 'link', 'set', 'dev', d.name, 'mtu', String(d.mtu)], why: `devices: ${d.name} mtu` }] : []),
    ...(d.mac !== undefined ? [{ node: node.name, argv: ['ip', 'link', 'set', 'dev', d.name, 'address', d.mac], why: `devices: ${d.name} mac` }] : []),
  ]);

/**
 * A port's VLANs, exactly as listed: each added, then the default VLAN 1 (every port starts in it,
 * untagged and pvid) removed unless listed.
 */
export const vlanOps = (node: NodeSpec): Op[] =>
  (node.devices ?? []).flatMap((d) => {
    if (!d.vlans) return [];
    const op = (argv: string[], why: string): Op => ({ node: node.name, argv, why, requires: VLAN_FILTERING_FEATURE });
    return [
      ...d.vlans.map((v) => op(
        ['bridge', 'vlan', 'add', 'dev', d.name, 'vid', String(v.vid), ...(v.pvid ? ['pvid'] : []), ...(v.untagged ? ['untagged'] : [])],
        `devices: ${d.name} is in VLAN ${v.vid}`,
      )),
      ...(d.vlans.some((v) => v.vid === 1) ? [] : [op(['bridge', 'vlan', 'del', 'dev', d.name, 'vid', '1'], `devices: ${d.name} leaves the default VLAN 1`)]),
    ];
  });

/** The created devices as the observers see them, and every device's `master:` applied. */
export const withNodeDevices = (devices: readonly TopologyDevice[], nodes: readonly NodeSpec[]): TopologyDevice[] => {
  const out = devices.map((d) => {
    const node = nodes.find((n) => n.name === d.node);
    if (!node || d.kind === 'loopback') return d;
    const { master: _old, ...rest } = d;
    const master = masterOf(node, d.dev, d.kind === 'veth' || d.kind === 'radio');
    return master ? { ...rest, master } : rest;
  });
  for (const node of nodes) {
    for (const d of creationOrder(node.devices ?? [])) {
      const type = d.type ?? 'bridge';
      const lower = d.link ?? d.dev;
      const master = masterOf(node, d.name, false);
      out.push({
        node: node.name,
        dev: d.name,
        kind: type,
        ...(lower !== undefined ? { lower } : {}),
        ...(type === 'vxlan' && d.id !== undefined ? { vni: d.id } : {}),
        ...(master ? { master } : {}),
      });
    }
  }
  return out;
};
