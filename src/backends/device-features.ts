// `lab doctor`: the kernel features the device types of `devices:` need, tried for real in the
// doctor's scratch namespace (after its veth check created probe0 there, the lower device).
import { DEVICE_FEATURES, VLAN_FILTERING_FEATURE } from '../plan/devices.js';

interface FeatureCheck {
  name: string;
  argv: string[];
  remedy: string;
}

const remedy = (feature: string): string => {
  const config = /\((CONFIG_[A-Z0-9_]+)\)/.exec(feature)?.[1];
  return `a kernel with ${config ?? feature} (built in or as a module); cases that use it are skipped`;
};

export const deviceFeatureChecks = (ns: string): FeatureCheck[] => {
  const add = (...rest: string[]): string[] => ['ip', '-n', ns, 'link', 'add', ...rest];
  const checks: [string | undefined, string[]][] = [
    [DEVICE_FEATURES.dummy, add('name', 'probedum', 'type', 'dummy')],
    [DEVICE_FEATURES.macvlan, add('link', 'probe0', 'name', 'probemv', 'type', 'macvlan')],
    [DEVICE_FEATURES.vxlan, add('name', 'probevx', 'type', 'vxlan', 'id', '1', 'dstport', '4789')],
    [DEVICE_FEATURES.vlan, add('link', 'probe0', 'name', 'probevl', 'type', 'vlan', 'id', '1')],
    [VLAN_FILTERING_FEATURE, add('name', 'probebrv', 'type', 'bridge', 'vlan_filtering', '1')],
  ];
  return checks.flatMap(([name, argv]) => (name ? [{ name, argv, remedy: remedy(name) }] : []));
};
