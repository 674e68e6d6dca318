// Cases: recipes, sysctls, probes and expectations, checked against the topology.
import type { z } from 'zod';
import type { Recipe } from '../types/recipe.js';
import { canonicalAddress, formatTarget, parseProbeFrom, parseProbeTo, type Parsed } from './addresses.js';
import { listOf } from './messages.js';
import {
  caseFields, deviceRefSchema, expectSchema, nodeNameSchema, probeKindSchemas, probeSchema, type RawProbe, type RawExpect,
} from './schema.js';
import { resolveMatrixCase, type CaseOutline } from './matrix.js';
import { attributeProblems, probeAttributeFields, probeAttributes } from './probe-attributes.js';
import { KERNEL_TABLES, resolveRouteExpectation, routeExpectationSchema } from './route-expectation.js';
import { changedView, recipesChange } from './recipe-topology.js';
import { resolveNodeOverrides } from './routing.js';
import { isUserRecipe } from './user-recipes.js';
import { formatPath, type KeyPath } from './source.js';
import { isRecord, splitRef, valid, type ResolveContext, type Topology } from './topology.js';
import { PROBE_KINDS, type Case, type Expectation, type Probe, type RecipeUse, type ReplyExpectation, type SysctlSetting } from '../types/scenario.js';

const DEFAULT_TIMEOUT_MS = 1000;

interface CaseContext extends ResolveContext {
  registry: readonly Recipe<any>[];
  fields: ReturnType<typeof caseFields>;
  topology: Topology;
  /** `tables:` for the case's node overrides; undefined when unreadable. */
  tables: Map<string, number> | undefined;
  /** Names of malformed `tables:` entries: maybe tables, not questioned. */
  unsureTables: ReadonlySet<string>;
}

/** Every case, or undefined when any of them could not be resolved (problems were reported). */
export const resolveCases = (
  raw: unknown,
  registry: readonly Recipe<any>[],
  topology: Topology,
  resolveCtx: ResolveContext,
  /** Undefined when `tables:` is unreadable: no table name is questioned then. */
  tables: Map<string, number> | undefined,
  unsureTables: ReadonlySet<string>,
): Case[] | undefined => {
  if (!Array.isArray(raw)) return undefined;
  const ctx: CaseContext = { ...resolveCtx, registry, topology, tables, unsureTables, fields: caseFields(registry) };
  const firstByName = new Map<string, KeyPath>();
  const cases = raw.map((item: unknown, i) => {
    const name = valid(ctx.fields.name, isRecord(item) ? item.name : undefined)?.value;
    if (name !== undefined) {
      const first = firstByName.get(name);
      if (first) {
        ctx.problems.at(['cases', i, 'name'], `case name ${JSON.stringify(name)} is already used by ` +
          `${formatPath(first)} (line ${ctx.source.at(first).line}); case names must be unique`);
      } else {
        firstByName.set(name, ['cases', i]);
      }
    }
    return isRecord(item) ? resolveCaseCells(item, ['cases', i], ctx) : undefined;
  });
  return cases.every((c) => c !== undefined) ? cases.flat() : undefined;
};

/** The case, or its cells when it has a `matrix:` (with `cells:` expectations); see matrix.ts. */
const resolveCaseCells = (raw: Record<string, unknown>, path: KeyPath, ctx: CaseContext): Case[] | undefined => {
  // The matrix is checked even when another part of the case was malformed, against the parts that resolved.
  const outline = resolveCase(raw, path, ctx);
  const caseCtx = withRecipeTopology(outline.recipes, ctx);
  return resolveMatrixCase(outline, raw, path, {
    ...caseCtx,
    resolveExpectation: (r, p) => resolveExpectation(r, p, caseCtx),
  });
};

/** The context with the case's topology as its recipes leave it (netns-split moves a NIC). */
const withRecipeTopology = (recipes: readonly RecipeUse[], ctx: CaseContext): CaseContext => {
  if (!ctx.topology.complete) return ctx;
  const topology = changedView(ctx.topology, recipesChange(recipes, ctx.registry, ctx.topology), ctx);
  return topology === ctx.topology ? ctx : { ...ctx, topology };
};

const resolveCase = (raw: Record<string, unknown>, path: KeyPath, outer: CaseContext): CaseOutline => {
  const { fields } = outer;
  const name = valid(fields.name, raw.name);
  const description = valid(fields.description, raw.description);
  const timeout = valid(fields['timeout-ms'], raw['timeout-ms']);
  const recipes = resolveRecipes(raw.recipe, [...path, 'recipe'], outer);
  // The recipes that resolved shape the topology the rest is checked against.
  const ctx = withRecipeTopology(recipes.uses, outer);
  const sysctls = resolveSysctls(raw.sysctl, [...path, 'sysctl'], ctx);
  const nft = resolveNft(raw.nft, [...path, 'nft'], ctx);
  const nodes = resolveNodeOverrides(raw.nodes, [...path, 'nodes'], ctx);
  const expect = raw.expect === undefined
    ? { loc: ctx.source.at(path) }
    : resolveExpectation(raw.expect, [...path, 'expect'], ctx);
  const rawProbes: unknown[] = Array.isArray(raw.probes) ? raw.probes : [];
  const probes = rawProbes.map((p: unknown, i) => resolveProbe(p, [...path, 'probes', i], timeout?.value, ctx));
  const allProbes = probes.every((p) => p !== undefined) && probes.length > 0 ? probes : undefined;
  // A probe that did not resolve is still known by its name: `cells:` may name it.
  const writtenName = (p: unknown): string | undefined =>
    isRecord(p) && typeof p.name === 'string' && p.name !== '' ? p.name : undefined;
  const outline = {
    recipes: recipes.uses,
    unresolvedRecipes: recipes.unresolved,
    probeNames: probes.flatMap((p, i) => {
      const known = p?.name ?? writtenName(rawProbes[i]);
      return known === undefined ? [] : [known];
    }),
    allProbeNames: Array.isArray(raw.probes) && probes.every((p, i) => p !== undefined || writtenName(rawProbes[i]) !== undefined),
  };

  if (!name || !description || !timeout || !recipes.ok || !sysctls || !nft || !nodes || !expect || !allProbes) {
    return { resolved: undefined, ...outline };
  }
  return {
    resolved: {
      name: name.value,
      ...(description.value === undefined ? {} : { description: description.value }),
      recipes: recipes.uses,
      sysctls,
      nft,
      ...(Object.keys(nodes).length ? { nodes } : {}),
      probes: allProbes,
      expect,
      loc: ctx.source.at(path),
    },
    ...outline,
  };
};

interface ResolvedRecipes {
  /** The uses that resolved, in key order. */
  uses: RecipeUse[];
  /** Names of the uses that did not (an unknown recipe, parameters of the wrong shape): reported. */
  unresolved: Set<string>;
  ok: boolean;
}

/** In key order, parameters checked by each recipe's own schema (defaults filled in) and its check(). */
const resolveRecipes = (raw: unknown, path: KeyPath, ctx: CaseContext): ResolvedRecipes => {
  const result: ResolvedRecipes = { uses: [], unresolved: new Set(), ok: true };
  if (raw === undefined) return result;
  if (!isRecord(raw)) return { ...result, ok: false };
  for (const [name, rawParams] of Object.entries(raw)) {
    const recipe = ctx.registry.find((r) => r.name === name);
    const params = recipe && valid(recipe.params, rawParams);
    if (!recipe || !params) {
      result.unresolved.add(name);
      result.ok = false;
      continue;
    }
    const at = [...path, name];
    if (ctx.topology.complete) {
      for (const message of recipe.check(params.value, ctx.topology)) ctx.problems.at(at, message);
      if (isUserRecipe(recipe)) recipe.checkUse(params.value, at, ctx);
    }
    result.uses.push({ name, params: params.value, loc: ctx.source.at(at) });
  }
  return result;
};

/** true/false become 1/0, which is what sysctl understands. */
const sysctlValue = (value: number | string | boolean): string =>
  typeof value === 'boolean' ? (value ? '1' : '0') : String(value);

const resolveSysctls = (raw: unknown, path: KeyPath, ctx: CaseContext): SysctlSetting[] | undefined => {
  if (isRecord(raw)) {
    for (const node of Object.keys(raw)) {
      if (valid(nodeNameSchema, node)) ctx.topology.checkNode(node, [...path, node], true);
    }
  }
  const sysctl = valid(ctx.fields.sysctl, raw);
  if (!sysctl) return undefined;
  return Object.entries(sysctl.value ?? {}).flatMap(([node, keys]) =>
    Object.entries(keys).map(([key, value]) => ({ node, key, value: sysctlValue(value) })));
};

const resolveNft = (raw: unknown, path: KeyPath, ctx: CaseContext): { node: string; ruleset: string }[] | undefined => {
  if (isRecord(raw)) {
    for (const node of Object.keys(raw)) {
      if (valid(nodeNameSchema, node)) ctx.topology.checkNode(node, [...path, node], true);
    }
  }
  const nft = valid(ctx.fields.nft, raw);
  if (!nft) return undefined;
  return Object.entries(nft.value ?? {}).map(([node, ruleset]) => ({ node, ruleset }));
};

/** Checks every readable `node:dev` of a list; unreadable ones were reported by the schema. */
const checkRefs = (raw: unknown, path: KeyPath, ctx: CaseContext): void => {
  if (!Array.isArray(raw)) return;
  raw.forEach((item: unknown, i) => {
    const text = valid(deviceRefSchema, item)?.value;
    if (text !== undefined) ctx.topology.checkDevice(splitRef(text), [...path, i]);
  });
};

const replyExpectation = (raw: NonNullable<RawExpect['reply']>): ReplyExpectation => ({
  ...(raw.delivered === undefined ? {} : { delivered: raw.delivered }),
  ...(raw.path ? { path: raw.path.map(splitRef) } : {}),
  ...(raw.reason === undefined ? {} : { reason: raw.reason }),
});

const resolveExpectation = (raw: unknown, path: KeyPath, ctx: CaseContext): Expectation | undefined => {
  if (isRecord(raw)) for (const key of ['path', 'via', 'not-via']) checkRefs(raw[key], [...path, key], ctx);
  if (isRecord(raw) && isRecord(raw.reply)) checkRefs(raw.reply.path, [...path, 'reply', 'path'], ctx);
  const expect = valid(expectSchema, raw)?.value;
  // The route decision is read on its own, so that a malformed other key does not hide an unknown table.
  const rawRoute = isRecord(raw) ? valid(routeExpectationSchema, raw.route)?.value : undefined;
  // Names from the scenario's `tables:` (main, local, default are always known); while `tables:`
  // is unreadable, or the name's own entry is, an unknown name is not questioned.
  const written = rawRoute?.table;
  const tablesUnsure = !ctx.tables || (typeof written === 'string' && ctx.unsureTables.has(written));
  const route = rawRoute && resolveRouteExpectation(rawRoute, ctx.tables ?? KERNEL_TABLES,
    (key, message) => (tablesUnsure ? undefined : ctx.problems.at([...path, 'route', key], message)));
  if (!expect || (expect.route && !route)) return undefined;
  return {
    ...(expect.delivered === undefined ? {} : { delivered: expect.delivered }),
    ...(expect.reason === undefined ? {} : { reason: expect.reason }),
    ...(expect.path ? { path: expect.path.map(splitRef) } : {}),
    ...(expect.via ? { via: expect.via.map(splitRef) } : {}),
    ...(expect['not-via'] ? { notVia: expect['not-via'].map(splitRef) } : {}),
    ...(expect.reply ? { reply: replyExpectation(expect.reply) } : {}),
    ...(expect.handshake === undefined ? {} : { handshake: expect.handshake }),
    ...(route ? { route } : {}),
    ...(expect.reject ? { reject: expect.reject } : {}),
    loc: ctx.source.at(path),
  };
};

const resolveProbe = (
  raw: unknown,
  path: KeyPath,
  caseTimeout: number | undefined,
  ctx: CaseContext,
): Probe | undefined => {
  // Each field is checked on its own, so that an unknown key does not hide a wrong address.
  const kind = PROBE_KINDS.find((k) => isRecord(raw) && raw[k] !== undefined) ?? 'udp';
  const kindPath = [...path, kind];
  const params = isRecord(raw) && isRecord(raw[kind]) ? raw[kind] : {};
  const fields = probeKindSchemas[kind].shape;
  const from = read(fields.from, params.from, parseProbeFrom, [...kindPath, 'from'], ctx);
  const to = read(fields.to, params.to, parseProbeTo, [...kindPath, 'to'], ctx);
  const dev = valid(fields.dev, params.dev)?.value;
  if (from) checkSource(from, [...kindPath, 'from'], ctx);
  if (from && dev !== undefined && ctx.topology.hasNode(from.node)) {
    ctx.topology.checkDevice({ node: from.node, dev }, [...kindPath, 'dev']);
  }
  if (from && to && from.family !== to.family) {
    ctx.problems.at([...kindPath, 'to'], `${to.address} is an IPv${to.family} address but the probe is ` +
      `sent from ${from.address} (IPv${from.family}); from and to must be of one family`);
  }
  if (kind === 'icmp' && to?.port !== undefined) {
    ctx.problems.at([...kindPath, 'to'], `an icmp probe has no port: write ${to.address}`);
  }
  const rawExpect = isRecord(raw) && isRecord(raw.expect) ? raw.expect : {};
  if (kind === 'udp' && rawExpect.reply !== undefined) {
    ctx.problems.at([...path, 'expect', 'reply'], 'a udp probe has no reply to expect: reply is for icmp and tcp probes');
  }
  if (kind !== 'tcp' && rawExpect.handshake !== undefined) {
    ctx.problems.at([...path, 'expect', 'handshake'], `handshake is for tcp probes; this is ${kind}`);
  }
  const expect = isRecord(raw) && raw.expect !== undefined
    ? resolveExpectation(raw.expect, [...path, 'expect'], ctx)
    : undefined;

  const probe: RawProbe | undefined = valid(probeSchema, raw)?.value;
  const given = probe?.[kind];
  // Each attribute on its own, so that one out of range does not hide a wrong combination.
  const rawAttributes = Object.fromEntries(Object.entries(probeAttributeFields)
    .map(([key, schema]) => [key, valid(schema, params[key])?.value]));
  const attributeErrors = from ? attributeProblems(rawAttributes, kind, from.family) : [];
  for (const [key, message] of attributeErrors) ctx.problems.at([...kindPath, key], message);
  if (!probe || !given || !from || !to || (probe.expect && !expect) || attributeErrors.length) return undefined;
  if (kind === 'icmp' && to.port !== undefined) return undefined;
  const attributes = probeAttributes(rawAttributes);
  const target = { address: to.address, ...(to.port === undefined ? {} : { port: to.port }) };
  return {
    kind,
    name: probe.name ?? `${kind} ${from.address} → ${formatTarget(target)}`,
    from: { node: from.node, address: from.address, ...(dev === undefined ? {} : { dev }) },
    to: target,
    family: from.family,
    timeoutMs: given['timeout-ms'] ?? caseTimeout ?? DEFAULT_TIMEOUT_MS,
    listen: 'listen' in given ? given.listen ?? true : true,
    ...(Object.keys(attributes).length ? { attributes } : {}),
    ...(expect ? { expect } : {}),
    loc: ctx.source.at(path),
  };
};

/** A text field that has the right shape, parsed; a parse failure is reported at `path`. */
const read = <T>(
  schema: z.ZodType<string>,
  raw: unknown,
  parse: (text: string) => Parsed<T>,
  path: KeyPath,
  ctx: CaseContext,
): T | undefined => {
  const text = valid(schema, raw)?.value;
  if (text === undefined) return undefined;
  const parsed = parse(text);
  if (parsed.ok) return parsed.value;
  ctx.problems.at(path, parsed.error);
  return undefined;
};

/** The source address must be one the sending node owns. */
const checkSource = (
  from: { node: string; address: string; family: 4 | 6 },
  path: KeyPath,
  ctx: CaseContext,
): void => {
  const { topology } = ctx;
  if (!topology.checkNode(from.node, path) || !topology.hasNode(from.node) || !topology.addressesKnown(from.node)) return;
  const own = topology.addresses.filter((a) => a.ref.node === from.node);
  const wanted = canonicalAddress(from);
  if (own.some((a) => canonicalAddress(a) === wanted)) return;
  const has = own.map((a) => `${a.address} on ${a.ref.dev}`);
  ctx.problems.at(path, `${from.address} is not assigned to any device of ${from.node} ` +
    `(its addresses: ${listOf(has)})`);
};
