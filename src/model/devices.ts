// A node's `devices:`: which devices it creates (they are devices of the node for every other
// reference: addresses, probes' dev, recipes' NICs, routes) and the checks that need the whole
// node (does `link` exist, is `master` a bridge, are the VLANs of a port consistent).
import { isIP } from 'node:net';
import type { z } from 'zod';
import { parseIp } from './addresses.js';
import { deviceSpecSchema, VLAN_ID_MAX } from './device-schema.js';
import { loopbackMisuseMessage, notADeviceMessage } from './messages.js';
import { DEVICE_NAME, LOOPBACK } from './names.js';
import type { KeyPath, Problems, SourceMap } from './source.js';
import { DEVICE_TYPES, type DeviceSpec, type DeviceType, type NodeSpec } from '../types/scenario.js';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The keys that create a device of each type (the attributes mtu, mac, up, master, vlans apply to any device). */
const TYPE_KEYS: Record<DeviceType, readonly string[]> = {
  dummy: [],
  macvlan: ['link', 'mode'],
  vxlan: ['id', 'local', 'remote', 'group', 'dev', 'dstport'],
  vlan: ['link', 'id'],
  bridge: ['vlan_filtering'],
};
const TYPED_KEYS = [...new Set(Object.values(TYPE_KEYS).flat())];

const VNI_MAX = 16777215;
/** vxlan's IANA port; the kernel's own default (8472) predates it, and iproute2 warns when none is given. */
export const VXLAN_PORT = 4789;

interface NodeDevices {
  /** Names of the devices the node creates (entries with a `type:` key), with the path of their key. */
  created: Map<string, KeyPath>;
  /**
   * Every entry that is a mapping, in file order, with the fields that have their shape: an entry
   * with a malformed field still gets the checks of its other fields (the schema reported the field).
   * Complete specs only when no problem was reported.
   */
  specs: DeviceSpec[];
  /** False when the map itself could not be read. */
  readable: boolean;
  /** Entries that are not mappings (reported by the schema): the node may or may not have them. */
  unknown: string[];
}

const FIELDS = deviceSpecSchema.shape;

/**
 * An entry with no `type:` but an unknown key that may be a misspelt one: the key's value names a
 * device type (`typ: macvlan`), or the entry has keys only a created device takes (link, id, ...).
 * Whether it creates a device is then in doubt, as when its type is malformed.
 */
const typeInDoubt = (value: Record<string, unknown>): boolean => {
  if (value.type !== undefined) return false;
  const unknown = Object.keys(value).filter((key) => !(key in FIELDS));
  return unknown.length > 0 && (unknown.some((key) => (DEVICE_TYPES as readonly unknown[]).includes(value[key])) ||
    Object.keys(value).some((key) => TYPED_KEYS.includes(key)));
};

/**
 * The keys of an entry whose value does not have its shape (unknown keys are not fields: not
 * listed), and `type` when the type is in doubt.
 */
export const unreadableFields = (value: unknown): Set<string> => {
  if (!isRecord(value)) return new Set();
  const keys = (Object.keys(FIELDS) as (keyof typeof FIELDS)[])
    .filter((key) => value[key] !== undefined && !FIELDS[key].safeParse(value[key]).success);
  return new Set<string>([...keys, ...(typeInDoubt(value) ? ['type'] : [])]);
};

/** The fields of an entry that have their shape; the others are left out. */
const readableFields = (value: Record<string, unknown>): z.output<typeof deviceSpecSchema> =>
  Object.fromEntries((Object.keys(FIELDS) as (keyof typeof FIELDS)[]).flatMap((key) => {
    const parsed = FIELDS[key].safeParse(value[key]);
    return parsed.success && parsed.data !== undefined ? [[key, parsed.data]] : [];
  })) as z.output<typeof deviceSpecSchema>;

/**
 * The node's `devices:` as far as it can be read. An entry with a `type:` key creates a device
 * even when its type is misspelt (the schema says so), so that references to it are not reported again.
 */
export const readNodeDevices = (node: string, raw: unknown, source: SourceMap): NodeDevices => {
  const result: NodeDevices = { created: new Map(), specs: [], readable: true, unknown: [] };
  if (raw === undefined || raw === null) return result;
  if (!isRecord(raw)) return { ...result, readable: false };
  for (const [name, value] of Object.entries(raw)) {
    const path: KeyPath = ['nodes', node, 'devices', name];
    if (!isRecord(value)) {
      result.unknown.push(name);
      continue;
    }
    if (value.type !== undefined) result.created.set(name, path);
    // Maybe a created device (a misspelt type:): a reference to it is not questioned.
    else if (typeInDoubt(value)) result.unknown.push(name);
    // A malformed name was reported at its key; nothing more is asked about the entry.
    if (!DEVICE_NAME.test(name)) continue;
    const v = readableFields(value);
    const spec: DeviceSpec = {
      name,
      ...(v.type !== undefined ? { type: v.type } : {}),
      ...(v.link !== undefined ? { link: v.link } : {}),
      ...(v.mode !== undefined ? { mode: v.mode } : {}),
      ...(v.id !== undefined ? { id: v.id } : {}),
      ...(v.local !== undefined ? { local: v.local } : {}),
      ...(v.remote !== undefined ? { remote: v.remote } : {}),
      ...(v.group !== undefined ? { group: v.group } : {}),
      ...(v.dev !== undefined ? { dev: v.dev } : {}),
      ...(v.dstport !== undefined ? { dstport: v.dstport } : {}),
      ...(v.vlan_filtering !== undefined ? { vlanFiltering: v.vlan_filtering } : {}),
      ...(v.mtu !== undefined ? { mtu: v.mtu } : {}),
      ...(v.mac !== undefined ? { mac: v.mac.toLowerCase() } : {}),
      ...(v.up !== undefined ? { up: v.up } : {}),
      ...(v.master !== undefined ? { master: v.master } : {}),
      ...(v.vlans !== undefined
        ? { vlans: v.vlans.map((x) => ({ vid: x.vid, pvid: x.pvid ?? false, untagged: x.untagged ?? false })) }
        : {}),
      loc: source.keyAt(path),
    };
    result.specs.push(spec);
  }
  return result;
};

interface DeviceCheckContext {
  problems: Problems;
  /** Whether the node has the device (link ends, lo, its bridge, created devices). */
  hasDevice(node: string, dev: string): boolean;
  /** Whether every device of the node is known (otherwise a missing name is not reported). */
  devicesKnown(node: string): boolean;
  devicesOf(node: string): string[];
  /** The node's veth/radio ends. */
  linkEnds(node: string): string[];
}

/** Every check of the nodes' `devices:` that needs the rest of the topology; problems go to ctx.problems. */
export const checkNodeDevices = (nodes: readonly NodeSpec[], raw: Record<string, unknown>, ctx: DeviceCheckContext): void => {
  for (const node of nodes) {
    const rawNode = isRecord(raw[node.name]) ? (raw[node.name] as Record<string, unknown>) : {};
    const rawDevices = isRecord(rawNode.devices) ? rawNode.devices : {};
    const specs = node.devices ?? [];
    /** The bridge `dev` is a port of; undefined when it is none or its master: was unreadable. */
    const masterOf = (dev: string): string | undefined => {
      if (unreadableFields(rawDevices[dev]).has('master')) return undefined;
      const m = specs.find((x) => x.name === dev)?.master;
      if (m !== undefined) return m === 'none' ? undefined : m;
      return node.bridge !== undefined && ctx.linkEnds(node.name).includes(dev) ? node.bridge : undefined;
    };
    const bridges = new Set([...(node.bridge ? [node.bridge] : []), ...specs.filter((d) => d.type === 'bridge').map((d) => d.name)]);
    // Entries that are not mappings, or whose type the schema rejected, may be meant as bridges.
    const maybeBridges = new Set(Object.entries(rawDevices)
      .filter(([, v]) => !isRecord(v) || unreadableFields(v).has('type')).map(([name]) => name));
    for (const d of specs) {
      const at = (key?: string): KeyPath => ['nodes', node.name, 'devices', d.name, ...(key ? [key] : [])];
      const given = Object.keys(isRecord(rawDevices[d.name]) ? (rawDevices[d.name] as object) : {});
      // Fields the schema rejected: left out, and not reported missing either.
      const unreadable = unreadableFields(rawDevices[d.name]);
      const exists = (dev: string, key: string): void => {
        if (dev === d.name) ctx.problems.at(at(key), `${key}: ${dev} is this device itself`);
        else if (!ctx.hasDevice(node.name, dev) && ctx.devicesKnown(node.name)) {
          ctx.problems.at(at(key), notADeviceMessage(node.name, dev, ctx.devicesOf(node.name)));
        }
      };
      if (unreadable.has('type')) {
        // A device of a type the schema rejected: which keys it takes, and what it needs, is unknown.
      } else if (d.type) {
        if (d.name === LOOPBACK) ctx.problems.atKey(at(), loopbackMisuseMessage('created under devices'));
        if (d.name === node.bridge) ctx.problems.atKey(at(), `${d.name} is the bridge of ${node.name} (bridge:); it cannot be created again`);
        for (const key of given.filter((k) => TYPED_KEYS.includes(k) && !TYPE_KEYS[d.type as DeviceType].includes(k))) {
          const types = (Object.keys(TYPE_KEYS) as DeviceType[]).filter((t) => TYPE_KEYS[t].includes(key));
          ctx.problems.atKey(at(key), `${key}: applies to type ${types.join(' or ')} only (${d.name} is a ${d.type})`);
        }
        checkTyped(d, at, exists, unreadable, ctx.problems);
        // Measured: `ip link add link PORT ... type macvlan` on a bridge port (and enslaving a
        // macvlan's lower) is refused with EBUSY: both want the device's rx handler.
        const port = d.type === 'macvlan' && d.link !== undefined ? masterOf(d.link) : undefined;
        if (port !== undefined) {
          ctx.problems.at(at('link'), `${d.link} is a port of ${port}; the kernel refuses a macvlan on a bridge port ` +
            '(Device or resource busy): give the port master: none, or put the macvlan on the bridge');
        }
      } else {
        if (!ctx.hasDevice(node.name, d.name) && ctx.devicesKnown(node.name)) {
          ctx.problems.atKey(at(), `${notADeviceMessage(node.name, d.name, ctx.devicesOf(node.name))}; ` +
            'to create it, give it a type (dummy, macvlan, vxlan, vlan, bridge)');
        }
        for (const key of given.filter((k) => TYPED_KEYS.includes(k))) {
          ctx.problems.atKey(at(key), `${key}: configures a created device; ${d.name} has no type`);
        }
      }
      if (d.master !== undefined) {
        if (d.master === 'none') {
          if (!node.bridge) ctx.problems.at(at('master'), `master: none keeps a port out of the node's bridge, but ${node.name} has no bridge:`);
          else if (!ctx.linkEnds(node.name).includes(d.name)) {
            ctx.problems.at(at('master'), `master: none applies to link ends (ports of ${node.bridge}); ${d.name} is not one`);
          }
        } else if (d.name === LOOPBACK) ctx.problems.at(at('master'), loopbackMisuseMessage('a bridge port'));
        else if (d.master === d.name) ctx.problems.at(at('master'), `master: ${d.name} is this device itself`);
        else if (!bridges.has(d.master) && !maybeBridges.has(d.master)) {
          const known = [...bridges];
          ctx.problems.at(at('master'), `master: ${d.master} is not a bridge of ${node.name}` +
            (known.length ? ` (its bridges: ${known.join(', ')})` : ' (it has none; create one with type: bridge)'));
        }
      }
      if (d.vlans) {
        const enslaved = d.master !== undefined ? d.master !== 'none' : node.bridge !== undefined && ctx.linkEnds(node.name).includes(d.name);
        if (!enslaved && !unreadable.has('master')) ctx.problems.at(at('vlans'), `vlans: are a bridge port's VLANs; ${d.name} is not enslaved to a bridge (give it master: BRIDGE)`);
        const seen = new Set<number>();
        d.vlans.forEach((v, i) => {
          if (seen.has(v.vid)) ctx.problems.at([...at('vlans'), i, 'vid'], `VLAN ${v.vid} is listed twice`);
          seen.add(v.vid);
        });
        const pvids = d.vlans.map((v, i) => [v, i] as const).filter(([v]) => v.pvid);
        for (const [, i] of pvids.slice(1)) ctx.problems.at([...at('vlans'), i, 'pvid'], 'a port has at most one pvid VLAN');
      }
    }
    const cycle = dependencyCycle(specs);
    if (cycle) ctx.problems.at(['nodes', node.name, 'devices', cycle[0] as string], `these devices sit on each other in a circle: ${cycle.join(' → ')}`);
  }
};

const checkTyped = (
  d: DeviceSpec,
  at: (key?: string) => KeyPath,
  exists: (dev: string, key: string) => void,
  unreadable: ReadonlySet<string>,
  problems: Problems,
): void => {
  /** Not given at all: a key given with a malformed value was reported as such. */
  const missing = (key: 'link' | 'id' | 'dev'): boolean => d[key] === undefined && !unreadable.has(key);
  if ((d.type === 'macvlan' || d.type === 'vlan') && missing('link')) {
    problems.at(at(), `a ${d.type} needs link: the lower device it sits on (e.g. link: eth0)`);
  }
  if (d.link !== undefined) exists(d.link, 'link');
  if (d.dev !== undefined) exists(d.dev, 'dev');
  if (d.type === 'vlan') {
    if (missing('id')) problems.at(at(), 'a vlan needs id: its VLAN id (0-4094)');
    else if (d.id !== undefined && d.id > VLAN_ID_MAX) problems.at(at('id'), `a VLAN id is 0 to ${VLAN_ID_MAX} (got ${d.id})`);
  }
  if (d.type === 'vxlan') {
    if (missing('id')) problems.at(at(), `a vxlan needs id: its VNI (0-${VNI_MAX})`);
    else if (d.id !== undefined && d.id > VNI_MAX) problems.at(at('id'), `a VNI is 0 to ${VNI_MAX} (24 bits; got ${d.id})`);
    const families = new Map<string, number>();
    for (const key of ['local', 'remote', 'group'] as const) {
      const text = d[key];
      if (text === undefined) continue;
      const ip = parseIp(text);
      if (!ip.ok) problems.at(at(key), ip.error);
      else families.set(key, ip.value.family);
    }
    if (d.remote !== undefined && d.group !== undefined) problems.at(at('group'), 'a vxlan has remote: (unicast) or group: (multicast), not both');
    if (d.group !== undefined && isIP(d.group) && !isMulticast(d.group)) problems.at(at('group'), `group: ${d.group} is not a multicast address (use remote: for unicast)`);
    if (d.group !== undefined && missing('dev')) problems.at(at(), 'a vxlan with a multicast group needs dev: the device to join it on');
    if (new Set(families.values()).size > 1) problems.at(at(), 'local, remote and group of a vxlan must be of one address family');
  }
};

const isMulticast = (address: string): boolean =>
  isIP(address) === 4 ? Number(address.split('.')[0]) >= 224 && Number(address.split('.')[0]) <= 239 : /^ff/i.test(address);

/** The devices a created device needs first (its lower or underlay device). */
const dependsOn = (d: DeviceSpec): string[] => [d.link, d.dev].filter((x): x is string => x !== undefined && x !== d.name);

/** A cycle among created devices' link/dev, if any (names in order, the first repeated at the end). */
const dependencyCycle = (specs: readonly DeviceSpec[]): string[] | undefined => {
  const byName = new Map(specs.filter((d) => d.type).map((d) => [d.name, d]));
  for (const start of byName.keys()) {
    const trail = [start];
    let here = byName.get(start);
    while (here) {
      const next = dependsOn(here).find((n) => byName.has(n));
      if (next === undefined) break;
      if (trail.includes(next)) return [...trail.slice(trail.indexOf(next)), next];
      trail.push(next);
      here = byName.get(next);
    }
  }
  return undefined;
};

/** Created devices in an order where each comes after the devices it sits on (cycles were refused). */
export const creationOrder = (specs: readonly DeviceSpec[]): DeviceSpec[] => {
  const typed = specs.filter((d) => d.type);
  const names = new Set(typed.map((d) => d.name));
  const done = new Set<string>();
  const out: DeviceSpec[] = [];
  while (out.length < typed.length) {
    const ready = typed.filter((d) => !done.has(d.name) && dependsOn(d).every((n) => !names.has(n) || done.has(n)));
    if (ready.length === 0) break; // a cycle: validation has reported it
    for (const d of ready) {
      done.add(d.name);
      out.push(d);
    }
  }
  return out;
};
