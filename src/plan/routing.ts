// A node's routing as ops: forwarding and sysctls, routes, the kernel's default rules moved or
// deleted, policy rules (plan order per node, issue 14), and the setup commands that run last.
// Pure. Every `ip` form is unambiguous: devices follow `dev`/`iif`/`oif`, the route type comes
// before its prefix, and IPv6 is always `ip -6`.
import type { Case, DefaultRules, NodeOverride, NodeRouting, Route, Rule, Scenario, TableRef } from '../types/scenario.js';
import type { Op } from '../types/plan.js';

/** The node's routing for one case: the topology's, with the case's `nodes:` entry over it. */
export const mergeRouting = (base: NodeRouting | undefined, over: NodeOverride | undefined): NodeRouting | undefined => {
  if (!over) return base;
  const b: NodeRouting = base ?? { sysctls: [], routes: [], rules: [], defaultRules: {}, setup: [] };
  const list = <K extends 'routes' | 'rules' | 'setup'>(key: K): NodeRouting[K] =>
    (over.replace.includes(key) ? over[key] : [...b[key], ...over[key]]) as NodeRouting[K];
  // A sysctl key set by both: the case's value, at the node's place.
  const overKeys = new Map(over.sysctls.map((s) => [s.key, s.value]));
  const sysctls = [
    ...b.sysctls.map((s) => ({ key: s.key, value: overKeys.get(s.key) ?? s.value })),
    ...over.sysctls.filter((s) => !b.sysctls.some((x) => x.key === s.key)),
  ];
  const forwarding = over.forwarding ?? b.forwarding;
  return {
    ...(forwarding === undefined ? {} : { forwarding }),
    sysctls,
    routes: list('routes'),
    rules: list('rules'),
    defaultRules: { ...b.defaultRules, ...over.defaultRules },
    setup: list('setup'),
  };
};

/** Each node's routing in this case, in node order; nodes without any are left out. */
export const caseRouting = (scenario: Scenario, c: Case): { node: string; routing: NodeRouting }[] =>
  scenario.nodes.flatMap((n) => {
    const routing = mergeRouting(n.routing, c.nodes?.[n.name]);
    return routing ? [{ node: n.name, routing }] : [];
  });

const ip = (family: 4 | 6): string[] => (family === 6 ? ['ip', '-6'] : ['ip']);
const tableText = (t: TableRef): string => (t.name && t.name !== String(t.id) ? `table ${t.name} (${t.id})` : `table ${t.id}`);
const line = (loc: { line: number }): string => `line ${loc.line}`;

const sysctl = (node: string, key: string, value: string, why: string): Op => ({
  node, argv: ['sysctl', '-q', '-w', `${key}=${value}`], why,
});

export const forwardingOps = (node: string, on: boolean): Op[] => {
  const v = on ? '1' : '0';
  const why = on ? `${node} forwards packets between its devices (a router)` : `${node} does not forward packets (forwarding: false)`;
  return [
    sysctl(node, 'net.ipv4.ip_forward', v, `${why}: IPv4`),
    sysctl(node, 'net.ipv6.conf.all.forwarding', v, `${why}: IPv6`),
  ];
};

const place = (r: Route): string[] => [
  ...(r.table ? ['table', String(r.table.id)] : []),
  ...(r.metric === undefined ? [] : ['metric', String(r.metric)]),
];

/** `[TYPE] PREFIX [table N] [metric N]`: what names the route, for deleting it. */
const routeKey = (r: Route): string[] => [...(r.type === 'unicast' ? [] : [r.type]), r.to, ...place(r)];

const hopArgs = (h: { via?: string; dev?: string; onlink?: boolean }): string[] => [
  ...(h.via === undefined ? [] : ['via', h.via]),
  ...(h.dev === undefined ? [] : ['dev', h.dev]),
  ...(h.onlink ? ['onlink'] : []),
];

export const routeArgv = (r: Route): string[] => [
  ...ip(r.family), 'route', 'add', ...(r.type === 'unicast' ? [] : [r.type]), r.to,
  ...(r.nexthops
    ? r.nexthops.flatMap((h) => ['nexthop', ...hopArgs(h), ...(h.weight === undefined ? [] : ['weight', String(h.weight)])])
    : hopArgs(r)),
  ...(r.src === undefined ? [] : ['src', r.src]),
  ...place(r),
  ...(r.mtu === undefined ? [] : ['mtu', String(r.mtu)]),
];

const routeWhy = (node: string, r: Route): string => {
  const where = r.table ? ` in ${tableText(r.table)}` : '';
  const to = r.to === 'default' ? `default${r.family === 6 ? ' (IPv6)' : ''}` : r.to;
  const how = r.type !== 'unicast' ? `is ${r.type}`
    : r.nexthops ? `is spread over ${r.nexthops.length} next hops`
    : [r.via && `goes via ${r.via}`, r.dev && `out of ${r.dev}`].filter(Boolean).join(' ');
  return `route of ${node}${where}: ${to} ${how} (${line(r.loc)})`;
};

export const routeOps = (node: string, routes: readonly Route[]): Op[] =>
  routes.map((r) => ({
    node,
    argv: routeArgv(r),
    undo: [...ip(r.family), 'route', 'del', ...routeKey(r)],
    why: routeWhy(node, r),
  }));

const selectorArgs = (r: Rule): string[] => {
  const pairs: [string, string | undefined][] = [
    ['from', r.from], ['to', r.to], ['iif', r.iif], ['oif', r.oif], ['fwmark', r.fwmark], ['tos', r.tos],
    ['dsfield', r.dsfield], ['ipproto', r.ipproto], ['sport', r.sport], ['dport', r.dport], ['uidrange', r.uidrange],
  ];
  return [
    ...(r.pref === undefined ? [] : ['pref', String(r.pref)]),
    ...(r.not ? ['not'] : []),
    ...pairs.flatMap(([k, v]) => (v === undefined ? [] : [k, v])),
  ];
};

const actionArgs = (r: Rule): string[] => {
  const a = r.action;
  if (a.kind === 'lookup') {
    return ['lookup', String(a.table.id), ...(a.suppressPrefixlength === undefined ? [] : ['suppress_prefixlength', String(a.suppressPrefixlength)])];
  }
  if (a.kind === 'goto') return ['goto', String(a.pref)];
  return [a.kind];
};

const ruleWhy = (node: string, r: Rule, family: 4 | 6): string => {
  const a = r.action;
  const what = a.kind === 'lookup' ? `look up ${tableText(a.table)}${a.suppressPrefixlength === undefined ? '' : `, ignoring answers of prefix length ${a.suppressPrefixlength} or less`}`
    : a.kind === 'goto' ? `go on at pref ${a.pref}`
    : `refuse (${a.kind})`;
  const match = selectorArgs(r).filter((_, i, all) => all[i - 1] !== 'pref' && all[i] !== 'pref').join(' ');
  return `rule of ${node}${r.pref === undefined ? '' : ` at pref ${r.pref}`} (IPv${family}): ` +
    `${match ? `packets matching ${match}` : 'every packet'} ${what} (${line(r.loc)})`;
};

export const ruleOps = (node: string, rules: readonly Rule[]): Op[] =>
  rules.flatMap((r) => r.families.map((family): Op => {
    const args = [...selectorArgs(r), ...actionArgs(r)];
    return {
      node,
      argv: [...ip(family), 'rule', 'add', ...args],
      undo: [...ip(family), 'rule', 'del', ...args],
      why: ruleWhy(node, r, family),
    };
  }));

/** The kernel's own rules and where each family has them (IPv6 has no `default` rule). */
const KERNEL_RULES = { local: { pref: 0, families: [4, 6] }, main: { pref: 32766, families: [4, 6] }, default: { pref: 32767, families: [4] } } as const;

export const defaultRuleOps = (node: string, d: DefaultRules): Op[] =>
  (['local', 'main', 'default'] as const).flatMap((table) => {
    const change = d[table];
    if (change === undefined) return [];
    const { pref, families } = KERNEL_RULES[table];
    return families.flatMap((family): Op[] => {
      const at = (p: number): string[] => ['pref', String(p), 'lookup', table];
      const del: Op = {
        node,
        argv: [...ip(family), 'rule', 'del', ...at(pref)],
        undo: [...ip(family), 'rule', 'add', ...at(pref)],
        why: change === 'delete'
          ? `the ${table} rule (pref ${pref}, IPv${family}) is deleted (default-rules)`
          : `the ${table} rule no longer answers at pref ${pref} (IPv${family}): rules before pref ${change} come first`,
      };
      if (change === 'delete') return [del];
      return [{
        node,
        argv: [...ip(family), 'rule', 'add', ...at(change)],
        undo: [...ip(family), 'rule', 'del', ...at(change)],
        why: `the ${table} table is looked up at pref ${change} instead of ${pref} (default-rules, IPv${family})`,
      }, del];
    });
  });

/** One node's forwarding and sysctls, routes, default rules, rules (and its setup commands when asked). */
export const nodeRoutingOps = (node: string, r: NodeRouting, withSetup = false): Op[] => [
  ...(r.forwarding === undefined ? [] : forwardingOps(node, r.forwarding)),
  ...r.sysctls.map((s) => sysctl(node, s.key, s.value, `sysctl of ${node} (its sysctl:)`)),
  ...routeOps(node, r.routes),
  ...defaultRuleOps(node, r.defaultRules),
  ...ruleOps(node, r.rules),
  ...(withSetup ? nodeSetupOps(node, r) : []),
];

const nodeSetupOps = (node: string, r: NodeRouting): Op[] =>
  r.setup.map((s) => ({ node, argv: s.argv, why: `setup command of ${node} (${line(s.loc)})` }));

/** Forwarding and sysctls, routes, default rules, rules: one node after the other. */
export const routingOps = (scenario: Scenario, c: Case): Op[] =>
  caseRouting(scenario, c).flatMap(({ node, routing }) => nodeRoutingOps(node, routing));

/** The setup commands of every node, run last (after the case's sysctls and nft). */
export const setupOps = (scenario: Scenario, c: Case): Op[] =>
  caseRouting(scenario, c).flatMap(({ node, routing }) => nodeSetupOps(node, routing));
