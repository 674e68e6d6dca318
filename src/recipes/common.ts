// Building blocks shared by recipes: addresses known or derived on the host, iif-lo policy
// routing, the local-table move, and sysctls at conf.all and device level.
import { z } from 'zod';
import type { Op } from '../types/plan.js';
import type { RecipeContext, RecipeScenarioView, RecipeVariable } from '../types/recipe.js';

export const ifname = z.string().min(1);
export const nodeParam = z.string().min(1).describe('The host that owns the NICs.');
export const accept0or1 = z.union([z.literal(0), z.literal(1)]);
export const rpFilterValue = z.union([z.literal(0), z.literal(1), z.literal(2)]);

/** The first address of `family` the scenario assigns to `node:dev`. */
export const firstAddress = (ctx: RecipeContext, node: string, dev: string, family: 4 | 6): string | undefined =>
  ctx.addressesOf(node, dev).find((a) => a.family === family)?.address;

/** The address given, the one the scenario assigns, or a shell variable derived on the host. */
export const addressOrVariable = (
  given: string | undefined,
  ctx: RecipeContext,
  node: string,
  dev: string,
  varName: string,
  variables: RecipeVariable[],
  family: 4 | 6 = 4,
): string => {
  const known = given ?? firstAddress(ctx, node, dev, family);
  if (known) return known;
  const scope = family === 6 ? ' scope global' : '';
  variables.push({
    name: varName,
    derive: `$(ip -${family} -o addr show dev ${dev}${scope} | awk '{split($4, a, "/"); print a[1]; exit}')`,
  });
  return `$${varName}`;
};

/** Problems with the NICs a recipe names: the node, each device, an address of `family` unless given. */
export const checkNics = (
  scenario: RecipeScenarioView,
  node: string,
  nics: readonly (readonly [role: string, dev: string, given: string | undefined])[],
  family: 4 | 6 = 4,
): string[] => {
  if (!scenario.hasNode(node)) return [`node "${node}" is not declared`];
  const problems: string[] = [];
  for (const [role, dev, given] of nics) {
    if (!scenario.hasDevice(node, dev)) {
      problems.push(`${role}: ${node} has no device "${dev}"`);
    } else if (!given && !scenario.addressesOf(node, dev).some((a) => a.family === family)) {
      problems.push(`${role}: ${node}:${dev} has no IPv${family} address`);
    }
  }
  return problems;
};

/** The sending and receiving NIC of a recipe, each with an address given or not. */
export interface NicPair {
  node: string;
  out: string;
  in: string;
  out_addr?: string | undefined;
  in_addr?: string | undefined;
}

/** Problems with a recipe's two NICs: declared, with an address of `family`, and not one and the same. */
export const checkNicPair = (scenario: RecipeScenarioView, p: NicPair, family: 4 | 6 = 4): string[] => {
  const problems = checkNics(scenario, p.node, [['out', p.out, p.out_addr], ['in', p.in, p.in_addr]], family);
  if (p.out === p.in) problems.push('out and in must be two different NICs');
  return problems;
};

/** The two NICs' addresses: given, assigned by the scenario, or shell variables for `recipe show`. */
export const nicPairAddresses = (
  p: NicPair,
  ctx: RecipeContext,
  family: 4 | 6 = 4,
): { outAddr: string; inAddr: string; variables: RecipeVariable[] } => {
  const variables: RecipeVariable[] = [];
  const suffix = family === 6 ? '6' : '';
  const outAddr = addressOrVariable(p.out_addr, ctx, p.node, p.out, `OUT_ADDR${suffix}`, variables, family);
  const inAddr = addressOrVariable(p.in_addr, ctx, p.node, p.in, `IN_ADDR${suffix}`, variables, family);
  return { outAddr, inAddr, variables };
};

const ipFamily = (family: 4 | 6): string[] => (family === 6 ? ['ip', '-6'] : ['ip']);
const hostPrefix = (family: 4 | 6): number => (family === 6 ? 128 : 32);

/**
 * A route in its own table that sends `dst` out of `via` with `src` as source, and the rule that
 * uses it for locally generated packets only (iif lo).
 */
export const iifLoDirection = (
  node: string,
  via: string,
  dst: string,
  src: string,
  table: number,
  label: string,
  family: 4 | 6 = 4,
): Op[] => {
  const ip = ipFamily(family);
  const host = `${dst}/${hostPrefix(family)}`;
  return [
    {
      node,
      argv: [...ip, 'route', 'add', host, 'dev', via, 'src', src, 'table', String(table)],
      undo: [...ip, 'route', 'del', host, 'dev', via, 'table', String(table)],
      why: `table ${table} sends ${label} out of ${via}, with ${src} as source`,
    },
    {
      node,
      argv: [...ip, 'rule', 'add', 'pref', String(table), 'iif', 'lo', 'to', host, 'lookup', String(table)],
      undo: [...ip, 'rule', 'del', 'pref', String(table)],
      why: `locally generated packets (iif lo) to ${dst} use table ${table}; packets arriving on a NIC do not, so they are not sent back out`,
    },
  ];
};

/** The local table lookup moved from priority 0 to `pref`, behind the iif-lo rules. */
export const moveLocalRule = (node: string, pref: number, family: 4 | 6 = 4): Op[] => {
  const ip = ipFamily(family);
  return [
    {
      node,
      argv: [...ip, 'rule', 'add', 'pref', String(pref), 'lookup', 'local'],
      undo: [...ip, 'rule', 'del', 'pref', String(pref), 'lookup', 'local'],
      why: 'the local table is looked up again, after the rules above',
    },
    {
      node,
      argv: [...ip, 'rule', 'del', 'pref', '0', 'lookup', 'local'],
      undo: [...ip, 'rule', 'add', 'pref', '0', 'lookup', 'local'],
      why: 'otherwise the local table (priority 0) answers first and the packet goes through lo',
    },
  ];
};

/** One `net.ipv4.conf.SCOPE.KEY=VALUE` per scope; the reason is given once, on the first. */
export const confSysctls = (node: string, key: string, value: number, scopes: readonly string[], why: string): Op[] =>
  scopes.map((scope, i) => ({
    node,
    argv: ['sysctl', '-q', '-w', `net.ipv4.conf.${scope}.${key}=${value}`],
    ...(i === 0 ? { why } : {}),
  }));

const RP_FILTER_MODE = ['off', 'strict', 'loose'] as const;

export const acceptLocalWhy = (value: number, scopes: readonly string[]): string =>
  `accept_local=${value} on ${scopes.join(', ')}: ${value ? 'accept' : 'refuse'} packets whose source is a local address`;

export const rpFilterWhy = (value: number, scopes: readonly string[]): string =>
  `rp_filter=${value} (${RP_FILTER_MODE[value] ?? value}) on ${scopes.join(', ')}: the value in force on a NIC is max(all, NIC)`;
