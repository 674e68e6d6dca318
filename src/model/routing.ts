// A node's routing (forwarding, sysctl, routes, rules, default-rules, setup) and a case's per-node
// overrides, checked against the topology: devices that exist, gateways in a subnet of the node,
// one family per route or rule, table names from `tables:`. Every problem is reported, then the
// resolved value is handed on only when its own shape was right (the schema reported the rest).
import { canonicalAddress, parseCidr, parseIp, type IpAddress } from './addresses.js';
import { listOf } from './messages.js';
import {
  defaultRulesSchema, nodeOverrideSchema, routeSchema, ruleSchema, setupSchema, sysctlKeySchema, sysctlValueSchema,
  tablesSchema,
} from './routing-schema.js';
import type { KeyPath } from './source.js';
import { isRecord, valid, type ResolveContext, type Topology } from './topology.js';
import type { AddressAssignment, DefaultRules, NextHop, NodeOverride, NodeRouting, Route, Rule, RuleAction, SetupCommand, TableRef } from '../types/scenario.js';

/** Tables every kernel has; `tables:` cannot redefine them. */
const BUILTIN_TABLES: Readonly<Record<string, number>> = { main: 254, local: 255, default: 253 };

export interface RoutingContext extends ResolveContext {
  topology: Topology;
  /** `tables:` as resolved; undefined when it could not be read (table names are then not checked). */
  tables: Map<string, number> | undefined;
  /** Names `tables:` defines with a malformed number (reported): a reference to one is not questioned. */
  unsureTables?: ReadonlySet<string>;
}

export interface Tables {
  /** The well-formed entries; undefined when `tables:` is not a mapping at all. */
  tables: Map<string, number> | undefined;
  /** Names whose entry is malformed (the schema reported it): maybe tables. */
  unsure: Set<string>;
}

/** `tables:` by name, entry by entry; redefining main/local/default is a problem. */
export const resolveTables = (raw: unknown, ctx: ResolveContext): Tables => {
  const unsure = new Set<string>();
  if (raw === undefined) return { tables: new Map(), unsure };
  if (!isRecord(raw)) return { tables: undefined, unsure };
  const tables = new Map<string, number>();
  for (const [name, value] of Object.entries(raw)) {
    const parsed = valid(tablesSchema, { [name]: value });
    const id = parsed?.value[name];
    if (id === undefined) {
      unsure.add(name);
      continue;
    }
    const builtin = BUILTIN_TABLES[name];
    if (builtin !== undefined) {
      ctx.problems.atKey(['tables', name], `table ${name} (${builtin}) is always known and cannot be redefined`);
      continue;
    }
    tables.set(name, id);
  }
  return { tables, unsure };
};

const addressBits = (ip: IpAddress): bigint => {
  const canonical = canonicalAddress(ip);
  if (ip.family === 4) return canonical.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
  const [head = '', tail = ''] = canonical.split('::');
  const groups = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const h = groups(head);
  const t = groups(tail);
  const all = canonical.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  return all.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
};

/** Whether `ip` is inside the subnet of an address assignment (same family, same prefix bits). */
const inSubnet = (ip: IpAddress, a: Pick<AddressAssignment, 'address' | 'prefix' | 'family'>): boolean => {
  if (ip.family !== a.family) return false;
  const width = BigInt(a.family === 4 ? 32 : 128);
  const shift = width - BigInt(a.prefix);
  return addressBits(ip) >> shift === addressBits({ address: a.address, family: a.family }) >> shift;
};

const isLinkLocal6 = (ip: IpAddress): boolean => ip.family === 6 && addressBits(ip) >> 118n === 0x3fan;

/** A destination or selector: `default` (routes only), an address, or a prefix. */
const parsePrefix = (text: string): { ok: true; value: IpAddress & { prefix: number } } | { ok: false; error: string } => {
  if (!text.includes('/')) {
    const ip = parseIp(text);
    return ip.ok ? { ok: true, value: { ...ip.value, prefix: ip.value.family === 4 ? 32 : 128 } } : ip;
  }
  return parseCidr(text);
};

const sysctlValue = (value: number | string | boolean): string =>
  typeof value === 'boolean' ? (value ? '1' : '0') : String(value);

/** Family problems collect here: the first address fixes the family, a later one of the other is a problem. */
class FamilyOf {
  family: 4 | 6 | undefined;
  first: string | undefined;
  constructor(private readonly ctx: ResolveContext, private readonly what: string) {}
  see(ip: IpAddress, path: KeyPath, text: string): void {
    if (this.family === undefined) {
      this.family = ip.family;
      this.first = text;
    } else if (ip.family !== this.family) {
      this.ctx.problems.at(path, `${text} is an IPv${ip.family} address but ${this.first} is IPv${this.family}; ` +
        `a ${this.what} is of one family`);
    }
  }
}

const tableRef = (raw: number | string, path: KeyPath, ctx: RoutingContext): TableRef | undefined => {
  if (typeof raw === 'number') return { id: raw };
  const builtin = BUILTIN_TABLES[raw];
  if (builtin !== undefined) return { id: builtin, name: raw };
  if (!ctx.tables || ctx.unsureTables?.has(raw)) return undefined;
  const id = ctx.tables.get(raw);
  if (id !== undefined) return { id, name: raw };
  ctx.problems.at(path, `unknown table ${JSON.stringify(raw)} (known tables: ` +
    `${listOf([...ctx.tables.keys(), ...Object.keys(BUILTIN_TABLES)])}); define it under tables: { ${raw}: NUMBER }`);
  return undefined;
};

/** The node's addresses, or undefined when they are not all known (a subnet question is then not asked). */
const nodeAddresses = (node: string, ctx: RoutingContext): AddressAssignment[] | undefined =>
  ctx.topology.addressesKnown(node) && ctx.topology.hasNode(node)
    ? ctx.topology.addresses.filter((a) => a.ref.node === node)
    : undefined;

const describeAddresses = (list: readonly AddressAssignment[]): string =>
  listOf(list.map((a) => `${a.cidr} on ${a.ref.dev}`));

/** A gateway must be in a subnet of an address of the node (of dev's when dev is given), unless onlink. */
const checkVia = (
  node: string,
  via: IpAddress & { text: string },
  dev: string | undefined,
  onlink: boolean,
  path: KeyPath,
  ctx: RoutingContext,
): void => {
  if (onlink) return;
  const all = nodeAddresses(node, ctx);
  // A dev that does not exist is reported as such; its subnets are not a question then.
  if (!all || (dev !== undefined && !ctx.topology.hasDevice(node, dev))) return;
  if (isLinkLocal6(via)) {
    if (dev === undefined) ctx.problems.at(path, `${via.text} is a link-local address: name the device it is on with dev`);
    return;
  }
  const candidates = dev === undefined ? all : all.filter((a) => a.ref.dev === dev);
  if (candidates.some((a) => inSubnet(via, a))) return;
  const where = dev === undefined ? node : `${node}:${dev}`;
  ctx.problems.at(path, `via ${via.text} is not in the subnet of any address of ${where} ` +
    `(its addresses: ${describeAddresses(candidates)}); the gateway must be directly reachable, or say onlink: true`);
};

const checkDev = (node: string, dev: string | undefined, path: KeyPath, ctx: RoutingContext): void => {
  if (dev !== undefined && ctx.topology.hasNode(node)) ctx.topology.checkDevice({ node, dev }, path);
};

const readAddress = (
  text: string | undefined,
  path: KeyPath,
  family: FamilyOf,
  ctx: ResolveContext,
): (IpAddress & { text: string }) | undefined => {
  if (text === undefined) return undefined;
  const ip = parseIp(text);
  if (!ip.ok) {
    ctx.problems.at(path, ip.error);
    return undefined;
  }
  family.see(ip.value, path, text);
  return { ...ip.value, text };
};

const NO_NEXT_HOP = new Set(['blackhole', 'unreachable', 'prohibit', 'throw']);

const resolveRoute = (raw: unknown, node: string, path: KeyPath, ctx: RoutingContext): Route | undefined => {
  const parsed = valid(routeSchema, raw);
  if (!parsed) return undefined;
  const r = parsed.value;
  const family = new FamilyOf(ctx, 'route');
  if (r.to !== 'default') {
    const prefix = parsePrefix(r.to);
    if (prefix.ok) family.see(prefix.value, [...path, 'to'], r.to);
    else ctx.problems.at([...path, 'to'], `${prefix.error} (to is default, a prefix or an address)`);
  }
  const via = readAddress(r.via, [...path, 'via'], family, ctx);
  const src = readAddress(r.src, [...path, 'src'], family, ctx);
  const hops = (r.nexthops ?? []).map((h, i) => ({ h, via: readAddress(h.via, [...path, 'nexthops', i, 'via'], family, ctx) }));
  if (r.family !== undefined && family.family !== undefined && r.family !== family.family) {
    ctx.problems.at([...path, 'family'], `family: ${r.family} but ${family.first} is an IPv${family.family} address`);
  }
  const type = r.type ?? 'unicast';
  const hasHop = r.via !== undefined || r.dev !== undefined || r.nexthops !== undefined;
  if (NO_NEXT_HOP.has(type) && hasHop) {
    const keys = ['via', 'dev', 'nexthops'].filter((k) => (r as Record<string, unknown>)[k] !== undefined);
    ctx.problems.at(path, `a ${type} route has no next hop: remove ${keys.join(', ')}`);
  }
  if (type === 'unicast' && !hasHop) ctx.problems.at(path, 'a unicast route needs via, dev or nexthops');
  if (r.nexthops !== undefined && (r.via !== undefined || r.dev !== undefined)) {
    ctx.problems.at([...path, 'nexthops'], 'with nexthops, each next hop has its own via and dev: remove the route\'s via/dev');
  }
  if (r.onlink && r.dev === undefined) ctx.problems.at([...path, 'onlink'], 'onlink needs dev: the device the gateway is on');
  checkDev(node, r.dev, [...path, 'dev'], ctx);
  if (via) checkVia(node, via, r.dev, r.onlink ?? false, [...path, 'via'], ctx);
  hops.forEach(({ h, via: hv }, i) => {
    checkDev(node, h.dev, [...path, 'nexthops', i, 'dev'], ctx);
    if (h.onlink && h.dev === undefined) ctx.problems.at([...path, 'nexthops', i, 'onlink'], 'onlink needs dev: the device the gateway is on');
    if (hv) checkVia(node, hv, h.dev, h.onlink ?? false, [...path, 'nexthops', i, 'via'], ctx);
    else if (h.dev === undefined) ctx.problems.at([...path, 'nexthops', i], 'a next hop needs via or dev');
  });
  const own = nodeAddresses(node, ctx);
  if (src && own && !own.some((a) => a.family === src.family && canonicalAddress(a) === canonicalAddress(src))) {
    ctx.problems.at([...path, 'src'], `${src.text} is not an address of ${node} (its addresses: ${describeAddresses(own)})`);
  }
  const table = r.table === undefined ? undefined : tableRef(r.table, [...path, 'table'], ctx);
  if (r.table !== undefined && !table) return undefined;
  const nexthops: NextHop[] | undefined = r.nexthops?.map((h) => ({
    ...(h.via === undefined ? {} : { via: h.via }),
    ...(h.dev === undefined ? {} : { dev: h.dev }),
    ...(h.weight === undefined ? {} : { weight: h.weight }),
    ...(h.onlink ? { onlink: true } : {}),
  }));
  return {
    to: r.to,
    family: family.family ?? r.family ?? 4,
    type,
    ...(r.via === undefined ? {} : { via: r.via }),
    ...(r.dev === undefined ? {} : { dev: r.dev }),
    ...(r.src === undefined ? {} : { src: r.src }),
    ...(table ? { table } : {}),
    ...(r.metric === undefined ? {} : { metric: r.metric }),
    ...(r.mtu === undefined ? {} : { mtu: r.mtu }),
    ...(r.onlink ? { onlink: true } : {}),
    ...(nexthops ? { nexthops } : {}),
    loc: ctx.source.at(path),
  };
};

const checkRange = (text: string, max: number, what: string, path: KeyPath, ctx: ResolveContext): string => {
  const [a = 0, b = a] = text.split('-').map(Number);
  if (a > b) ctx.problems.at(path, `${what} ${text}: the range's start is above its end`);
  if (b > max) ctx.problems.at(path, `${what} ${text}: at most ${max}`);
  return text;
};

const resolveRule = (raw: unknown, node: string, path: KeyPath, ctx: RoutingContext): Rule | undefined => {
  const parsed = valid(ruleSchema, raw);
  if (!parsed) return undefined;
  const r = parsed.value;
  const actions = (['lookup', 'goto', 'action'] as const).filter((k) => r[k] !== undefined);
  if (actions.length === 0) {
    ctx.problems.at(path, 'a rule needs an action: lookup TABLE, goto PREF, or action: blackhole|unreachable|prohibit');
  } else if (actions.length > 1) {
    ctx.problems.at(path, `a rule has exactly one action; this one has ${actions.join(' and ')}`);
  }
  if (r.suppress_prefixlength !== undefined && r.lookup === undefined) {
    ctx.problems.at([...path, 'suppress_prefixlength'], 'suppress_prefixlength applies to a lookup: add lookup TABLE');
  }
  if (r.tos !== undefined && r.dsfield !== undefined) {
    ctx.problems.at([...path, 'dsfield'], 'tos and dsfield are the same selector: give one of them');
  }
  const family = new FamilyOf(ctx, 'rule');
  for (const key of ['from', 'to'] as const) {
    const text = r[key];
    if (text === undefined) continue;
    const prefix = parsePrefix(text);
    if (prefix.ok) family.see(prefix.value, [...path, key], text);
    else ctx.problems.at([...path, key], `${prefix.error} (${key} is a prefix or an address)`);
  }
  if (r.family !== undefined && family.family !== undefined && r.family !== family.family) {
    ctx.problems.at([...path, 'family'], r.family === 'both'
      ? `family: both, but ${family.first} is an IPv${family.family} address; a rule with an address is of its family`
      : `family: ${r.family} but ${family.first} is an IPv${family.family} address`);
  }
  checkDev(node, r.iif, [...path, 'iif'], ctx);
  checkDev(node, r.oif, [...path, 'oif'], ctx);
  if (actions.length !== 1) return undefined;
  let action: RuleAction;
  if (r.lookup !== undefined) {
    const table = tableRef(r.lookup, [...path, 'lookup'], ctx);
    if (!table) return undefined;
    action = { kind: 'lookup', table, ...(r.suppress_prefixlength === undefined ? {} : { suppressPrefixlength: r.suppress_prefixlength }) };
  } else if (r.goto !== undefined) {
    action = { kind: 'goto', pref: r.goto };
  } else {
    action = { kind: r.action ?? 'blackhole' };
  }
  const text = (v: number | string | undefined): string | undefined => (v === undefined ? undefined : String(v));
  // ip reads tos/dsfield as hex whatever its spelling (measured: "tos 16" is 0x16), so it is written in hex.
  const dsfield = (key: 'tos' | 'dsfield'): string | undefined => {
    const v = r[key];
    if (v === undefined) return undefined;
    const n = Number(v);
    if (n > 255) ctx.problems.at([...path, key], `${key} ${v}: at most 255 (0xff)`);
    else if (n & 3) ctx.problems.at([...path, key], `${key} 0x${n.toString(16)}: the low two bits (ECN) must be 0; the kernel refuses it`);
    return `0x${n.toString(16)}`;
  };
  const ports = (key: 'sport' | 'dport'): string | undefined =>
    r[key] === undefined ? undefined : checkRange(String(r[key]), 65535, key, [...path, key], ctx);
  const uid = r.uidrange === undefined ? undefined
    : checkRange(typeof r.uidrange === 'number' ? `${r.uidrange}-${r.uidrange}` : r.uidrange, 4294967295, 'uidrange', [...path, 'uidrange'], ctx);
  const families: (4 | 6)[] = family.family !== undefined ? [family.family]
    : r.family === 'both' ? [4, 6] : [r.family ?? 4];
  const selectors = {
    pref: r.pref, not: r.not ? true : undefined, from: r.from, to: r.to, iif: r.iif, oif: r.oif,
    fwmark: text(r.fwmark), tos: dsfield('tos'), dsfield: dsfield('dsfield'), ipproto: text(r.ipproto),
    sport: ports('sport'), dport: ports('dport'), uidrange: uid,
  };
  const defined = Object.fromEntries(Object.entries(selectors).filter(([, v]) => v !== undefined));
  return { families, ...defined, action, loc: ctx.source.at(path) } as Rule;
};

const resolveDefaultRules = (raw: unknown): DefaultRules => {
  const parsed = valid(defaultRulesSchema, raw)?.value ?? {};
  return Object.fromEntries(Object.entries(parsed).filter(([, v]) => v !== undefined)) as DefaultRules;
};

const resolveSetup = (raw: unknown, path: KeyPath, ctx: ResolveContext): SetupCommand[] =>
  (valid(setupSchema, raw)?.value ?? []).map((argv, i) => ({ argv, loc: ctx.source.at([...path, i]) }));

const resolveSysctls = (raw: unknown): { key: string; value: string }[] => {
  if (!isRecord(raw)) return [];
  return Object.entries(raw).flatMap(([key, value]) => {
    const v = valid(sysctlValueSchema, value);
    return valid(sysctlKeySchema, key) && v ? [{ key, value: sysctlValue(v.value) }] : [];
  });
};

/** The routing keys of one node entry (topology or case override); every problem is reported. */
export const resolveRoutingKeys = (raw: Record<string, unknown>, node: string, path: KeyPath, ctx: RoutingContext): NodeRouting | undefined => {
  const list = <T>(key: string, read: (item: unknown, node: string, path: KeyPath, ctx: RoutingContext) => T | undefined): T[] | undefined => {
    const items = raw[key];
    if (items === undefined) return [];
    if (!Array.isArray(items)) return undefined;
    const out = items.map((item: unknown, i) => read(item, node, [...path, key, i], ctx));
    return out.every((x) => x !== undefined) ? (out as T[]) : undefined;
  };
  const routes = list('routes', resolveRoute);
  const rules = list('rules', resolveRule);
  if (!routes || !rules) return undefined;
  return {
    ...(typeof raw.forwarding === 'boolean' ? { forwarding: raw.forwarding } : {}),
    sysctls: resolveSysctls(raw.sysctl),
    routes,
    rules,
    defaultRules: resolveDefaultRules(raw['default-rules']),
    setup: resolveSetup(raw.setup, [...path, 'setup'], ctx),
  };
};

const ROUTING_KEYS = ['forwarding', 'sysctl', 'routes', 'rules', 'default-rules', 'setup'];

/** A topology node's routing; undefined when the node has none of the keys (or they did not resolve). */
export const resolveNodeRouting = (raw: unknown, node: string, ctx: RoutingContext): NodeRouting | undefined => {
  if (!isRecord(raw) || !ROUTING_KEYS.some((k) => raw[k] !== undefined)) return undefined;
  return resolveRoutingKeys(raw, node, ['nodes', node], ctx);
};

/** A case's `nodes:`: each node declared, each entry resolved. Undefined when unreadable (reported). */
export const resolveNodeOverrides = (
  raw: unknown,
  path: KeyPath,
  ctx: RoutingContext,
): Record<string, NodeOverride> | undefined => {
  if (raw === undefined) return {};
  if (!isRecord(raw)) return undefined;
  const out: Record<string, NodeOverride> = {};
  let ok = true;
  for (const [node, entry] of Object.entries(raw)) {
    ctx.topology.checkNode(node, [...path, node], true);
    const shape = valid(nodeOverrideSchema, entry);
    const routing = isRecord(entry) ? resolveRoutingKeys(entry, node, [...path, node], ctx) : entry === null ? emptyRouting() : undefined;
    if (!shape || !routing) {
      ok = false;
      continue;
    }
    out[node] = { ...routing, replace: shape.value?.replace ?? [] };
  }
  return ok ? out : undefined;
};

const emptyRouting = (): NodeRouting => ({ sysctls: [], routes: [], rules: [], defaultRules: {}, setup: [] });
