// nodes, links and addresses: which devices exist, and which address sits on which of them.
//
// The topology is read leniently: a node map with an unknown key still declares its node, a
// link with three ends still defines its devices. The schema has reported those mistakes
// already; what can still be read is used to check the rest of the file, and a question whose
// answer depends on something unreadable is not asked, so one mistake does not cascade.
import type { z } from 'zod';
import type { RecipeScenarioView } from '../types/recipe.js';
import { canonicalAddress, parseCidr } from './addresses.js';
import { checkNodeDevices, readNodeDevices } from './devices.js';
import { loopbackMisuseMessage, notADeviceMessage, undeclaredNodeMessage } from './messages.js';
import { LOOPBACK } from './names.js';
import { deviceRefSchema, linkSchema, nodeSpecSchema, wirelessLinkSchema } from './schema.js';
import { formatPath, type KeyPath, type Problems, type SourceMap } from './source.js';
import type { AddressAssignment, DeviceRef, Link, NodeSpec, WirelessLink } from '../types/scenario.js';

export interface ResolveContext {
  problems: Problems;
  source: SourceMap;
}

/** The value if it has the shape `schema` describes; shape problems were reported already. */
export const valid = <S extends z.ZodType>(schema: S, value: unknown): { value: z.output<S> } | undefined => {
  const result = schema.safeParse(value);
  return result.success ? { value: result.data } : undefined;
};

export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Split `node:dev` at the first colon. */
export const splitRef = (text: string): DeviceRef => {
  const colon = text.indexOf(':');
  return { node: text.slice(0, colon), dev: text.slice(colon + 1) };
};

export interface Topology extends RecipeScenarioView {
  /** These three are complete only when no problem was reported. */
  nodes: NodeSpec[];
  links: Link[];
  wireless: WirelessLink[];
  addresses: AddressAssignment[];
  /** Whether nodes, devices and addresses were all readable, so that every question has an answer. */
  complete: boolean;
  /** Reports a reference to an undeclared node; false when it is reported. */
  checkNode(node: string, path: KeyPath, onKey?: boolean): boolean;
  /** Reports a reference to a device that does not exist; false when it is reported. */
  checkDevice(ref: DeviceRef, path: KeyPath, onKey?: boolean): boolean;
  /** Whether the addresses of `node` are all known. */
  addressesKnown(node: string): boolean;
}

/** What is known about which devices exist. */
interface Devices {
  /** Declared nodes; undefined when the node map itself is unreadable. */
  declared: Map<string, NodeSpec> | undefined;
  byNode: Map<string, Set<string>>;
  /** Nodes whose device list may be incomplete (an unreadable bridge or link end). */
  unsure: Set<string>;
  /** False when some link was unreadable: any node may then have more devices. */
  allLinksRead: boolean;
  /** `node:dev` of each device a node's `devices:` creates → the path of its key. */
  created: Map<string, KeyPath>;
  /** Per node, `devices:` entries that are not mappings: maybe devices, so a reference to one is not questioned. */
  maybe: Map<string, Set<string>>;
}

const lineOf = (ctx: ResolveContext, path: KeyPath): string =>
  `${formatPath(path)}, line ${ctx.source.at(path).line}`;

export const resolveTopology = (raw: Record<string, unknown>, ctx: ResolveContext): Topology => {
  const devices: Devices = {
    declared: undefined, byNode: new Map(), unsure: new Set(), allLinksRead: true, created: new Map(), maybe: new Map(),
  };
  const nodes = readNodes(raw.nodes, devices, ctx);
  const wireless: WirelessLink[] = [];
  const links = readLinks(raw.links, devices, ctx, wireless);

  const report = (path: KeyPath, message: string, onKey: boolean): void =>
    onKey ? ctx.problems.atKey(path, message) : ctx.problems.at(path, message);
  const checkNode = (node: string, path: KeyPath, onKey = false): boolean => {
    if (!devices.declared || devices.declared.has(node)) return true;
    report(path, undeclaredNodeMessage(node, [...devices.declared.keys()]), onKey);
    return false;
  };
  const maybeDevice = (node: string, dev: string): boolean => devices.maybe.get(node)?.has(dev) ?? false;
  const devicesKnown = (node: string): boolean =>
    devices.declared?.has(node) === true && devices.allLinksRead && !devices.unsure.has(node);
  const checkDevice = (ref: DeviceRef, path: KeyPath, onKey = false): boolean => {
    if (!checkNode(ref.node, path, onKey)) return false;
    const devs = devices.byNode.get(ref.node);
    if (!devs || !devicesKnown(ref.node) || devs.has(ref.dev) || maybeDevice(ref.node, ref.dev)) return true;
    report(path, notADeviceMessage(ref.node, ref.dev, [...devs]), onKey);
    return false;
  };

  const linkEnds = (node: string): string[] => [
    ...links.flatMap((l) => l.ends),
    ...wireless.flatMap((w) => w.radios),
  ].filter((e) => e.node === node).map((e) => e.dev);
  if (isRecord(raw.nodes)) {
    checkNodeDevices(nodes, raw.nodes, {
      problems: ctx.problems,
      hasDevice: (node, dev) => (devices.byNode.get(node)?.has(dev) ?? false) || maybeDevice(node, dev),
      devicesKnown,
      devicesOf: (node) => [...(devices.byNode.get(node) ?? [])],
      linkEnds,
    });
  }
  const addresses = readAddresses(raw.addresses, checkDevice, ctx);
  const addressesKnown = (node: string): boolean => !addresses.unsure.has(node) && !addresses.unsure.has('');
  return {
    nodes,
    links,
    wireless,
    addresses: addresses.assignments,
    complete: devices.declared !== undefined && devices.allLinksRead && devices.unsure.size === 0 &&
      addresses.unsure.size === 0,
    checkNode,
    checkDevice,
    addressesKnown,
    hasNode: (node) => devices.declared?.has(node) ?? false,
    hasDevice: (node, dev) => (devices.byNode.get(node)?.has(dev) ?? false) || maybeDevice(node, dev),
    addressesOf: (node, dev) => addresses.assignments.filter((a) => a.ref.node === node && a.ref.dev === dev),
  };
};

const readNodes = (raw: unknown, devices: Devices, ctx: ResolveContext): NodeSpec[] => {
  if (!isRecord(raw)) return [];
  const declared = new Map<string, NodeSpec>();
  devices.declared = declared;
  return Object.entries(raw).map(([name, spec]) => {
    const parsed = valid(nodeSpecSchema, spec);
    // An unknown key next to a readable bridge still leaves the bridge known.
    const bridge = parsed ? parsed.value?.bridge : isRecord(spec) ? spec.bridge : undefined;
    if (!parsed && !(isRecord(spec) && (bridge === undefined || typeof bridge === 'string'))) {
      devices.unsure.add(name);
    }
    const created = readNodeDevices(name, isRecord(spec) ? spec.devices : undefined, ctx.source);
    if (!created.readable) devices.unsure.add(name);
    if (created.unknown.length) devices.maybe.set(name, new Set(created.unknown));
    const node: NodeSpec = {
      name,
      ...(typeof bridge === 'string' ? { bridge } : {}),
      ...(created.specs.length ? { devices: created.specs } : {}),
    };
    declared.set(name, node);
    devices.byNode.set(name, new Set([LOOPBACK, ...(node.bridge ? [node.bridge] : []), ...created.created.keys()]));
    for (const [dev, path] of created.created) devices.created.set(`${name}:${dev}`, path);
    if (node.bridge === LOOPBACK) ctx.problems.at(['nodes', name, 'bridge'], loopbackMisuseMessage('a bridge'));
    return node;
  });
};

/** Checks every readable link and adds its ends to the devices; a device is defined once. */
const readLinks = (raw: unknown, devices: Devices, ctx: ResolveContext, wireless: WirelessLink[]): Link[] => {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    devices.allLinksRead = false;
    return [];
  }
  const firstSeen = new Map<string, KeyPath>();
  const links: Link[] = [];
  raw.forEach((link: unknown, i) => {
    if (isRecord(link)) return readWirelessLink(link, i, devices, ctx, firstSeen, wireless);
    const rawEnds: unknown[] = Array.isArray(link) ? link : [];
    const ends = rawEnds.map((end) => valid(deviceRefSchema, end)?.value);
    if (ends.length === 0) devices.allLinksRead = false;
    rawEnds.forEach((end, j) => {
      if (ends[j] !== undefined) return;
      // A misspelt device leaves its own node's devices in doubt; an end without a node, all of them.
      const node = typeof end === 'string' && end.includes(':') ? splitRef(end).node : undefined;
      if (node !== undefined && devices.declared?.has(node)) devices.unsure.add(node);
      else devices.allLinksRead = false;
    });
    ends.forEach((text, j) => {
      if (text === undefined) return;
      if (j === 1 && text === ends[0]) {
        ctx.problems.at(['links', i, j], `a link's two ends must be different devices (both are ${text})`);
        return;
      }
      const first = firstSeen.get(text);
      const problem = checkLinkEnd(splitRef(text), text, devices, first && lineOf(ctx, first));
      if (problem) ctx.problems.at(['links', i, j], problem);
      if (!first) firstSeen.set(text, ['links', i, j]);
    });
    if (valid(linkSchema, link)) {
      links.push({ kind: 'veth', ends: [splitRef(String(ends[0])), splitRef(String(ends[1]))] });
    }
  });
  return links;
};

/** A wireless link: its radios are devices like veth ends (defined once), plus the mode's own rules. */
const readWirelessLink = (
  link: Record<string, unknown>,
  i: number,
  devices: Devices,
  ctx: ResolveContext,
  firstSeen: Map<string, KeyPath>,
  out: WirelessLink[],
): void => {
  const radios: unknown[] = Array.isArray(link.radios) ? link.radios : [];
  if (radios.length === 0) devices.allLinksRead = false;
  const refs = radios.map((r) => valid(deviceRefSchema, r)?.value);
  radios.forEach((r, j) => {
    const text = refs[j];
    if (text === undefined) {
      const node = typeof r === 'string' && r.includes(':') ? splitRef(r).node : undefined;
      if (node !== undefined && devices.declared?.has(node)) devices.unsure.add(node);
      else devices.allLinksRead = false;
      return;
    }
    const first = firstSeen.get(text);
    const problem = checkLinkEnd(splitRef(text), text, devices, first && lineOf(ctx, first));
    if (problem) ctx.problems.at(['links', i, 'radios', j], problem);
    if (!first) firstSeen.set(text, ['links', i, 'radios', j]);
  });
  const parsed = valid(wirelessLinkSchema, link);
  if (!parsed) return;
  const v = parsed.value;
  const mode = v.mode ?? 'mesh';
  if (mode === 'ap' && v.ap === undefined) {
    ctx.problems.at(['links', i], `mode ap needs ap: naming the radio that is the access point (one of ${v.radios.join(', ')})`);
  }
  if (v.ap !== undefined && mode !== 'ap') ctx.problems.at(['links', i, 'ap'], `ap: applies to mode ap only (this link is ${mode})`);
  else if (v.ap !== undefined && !v.radios.includes(v.ap)) {
    ctx.problems.at(['links', i, 'ap'], `${v.ap} is not one of this link's radios (${v.radios.join(', ')})`);
  }
  if (v.passphrase !== undefined && mode !== 'ap') {
    ctx.problems.at(['links', i, 'passphrase'], `passphrase: applies to mode ap only (WPA2-PSK); ${mode} links are open`);
  }
  out.push({
    kind: 'wireless',
    radios: v.radios.map(splitRef),
    mode,
    ...(v.ap !== undefined ? { ap: splitRef(v.ap) } : {}),
    ssid: v.ssid ?? 'netns-lab',
    ...(v.passphrase !== undefined ? { passphrase: v.passphrase } : {}),
    freq: v.freq ?? 2412,
    loc: ctx.source.at(['links', i]),
  });
};

/** The problem with a link end, if any; a good end is added to its node's devices. */
const checkLinkEnd = (end: DeviceRef, text: string, devices: Devices, firstAt: string | undefined): string | undefined => {
  const node = devices.declared?.get(end.node);
  if (devices.declared && !node) return undeclaredNodeMessage(end.node, [...devices.declared.keys()]);
  if (end.dev === LOOPBACK) return loopbackMisuseMessage('a link end');
  if (node && end.dev === node.bridge) return `${text} is the bridge of ${end.node}; it cannot also be a link end`;
  const created = devices.created.get(text);
  if (created) return `${text} is created under ${formatPath(created)}; each device is defined once`;
  if (firstAt) return `${text} is already a link end (${firstAt}); each device is defined once`;
  devices.byNode.get(end.node)?.add(end.dev);
  return undefined;
};

interface Addresses {
  assignments: AddressAssignment[];
  /** Nodes with an unreadable address; '' when the node itself is unknown. */
  unsure: Set<string>;
}

const readAddresses = (
  raw: unknown,
  checkDevice: (ref: DeviceRef, path: KeyPath, onKey?: boolean) => boolean,
  ctx: ResolveContext,
): Addresses => {
  const result: Addresses = { assignments: [], unsure: new Set() };
  if (raw === undefined) return result;
  if (!isRecord(raw)) {
    result.unsure.add('');
    return result;
  }
  /** node → canonical address → where it was first assigned */
  const seen = new Map<string, Map<string, KeyPath>>();
  for (const [key, value] of Object.entries(raw)) {
    if (!valid(deviceRefSchema, key)) {
      result.unsure.add('');
      continue;
    }
    const ref = splitRef(key);
    checkDevice(ref, ['addresses', key], true);
    const cidrs: { cidr: unknown; path: KeyPath }[] = Array.isArray(value)
      ? value.map((cidr: unknown, k) => ({ cidr, path: ['addresses', key, k] }))
      : [{ cidr: value, path: ['addresses', key] }];
    if (cidrs.length === 0) result.unsure.add(ref.node);
    for (const { cidr, path } of cidrs) {
      if (typeof cidr !== 'string') {
        result.unsure.add(ref.node);
        continue;
      }
      const parsed = parseCidr(cidr);
      if (!parsed.ok) {
        ctx.problems.at(path, parsed.error);
        result.unsure.add(ref.node);
        continue;
      }
      const { address, prefix, family } = parsed.value;
      const onNode = seen.get(ref.node) ?? new Map<string, KeyPath>();
      seen.set(ref.node, onNode);
      const canonical = canonicalAddress(parsed.value);
      const first = onNode.get(canonical);
      if (first) {
        ctx.problems.at(path, `${address} is already assigned on ${ref.node} (${lineOf(ctx, first)}); ` +
          'an address can be assigned only once per node');
        continue;
      }
      onNode.set(canonical, path);
      result.assignments.push({ ref, cidr, address, prefix, family });
    }
  }
  return result;
};
