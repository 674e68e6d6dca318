// `matrix:` and `cells:` — one case run over every combination of parameter values, and the
// expectations that differ in some cells or on some kernels. Resolution checks the file and reports
// every problem at its key; expansion is a pure function of the resolved parts.
import type { Recipe } from '../types/recipe.js';
import { kernelInRange, parseKernelRange } from './kernel.js';
import type { KernelRange, Case, Expectation, ExpectationOverride, MatrixValue, Probe, RecipeUse, SysctlSetting } from '../types/scenario.js';
import { issueMessage, listOf } from './messages.js';
import { nodeNameSchema, sysctlKeySchema, sysctlValueSchema } from './schema.js';
import type { KeyPath } from './source.js';
import { isRecord, valid, type ResolveContext, type Topology } from './topology.js';
import { isUnreadableRecipe } from './user-recipes.js';

/** What a dimension's values set. */
type MatrixTarget =
  | { kind: 'recipe'; recipe: string; param: string }
  | { kind: 'sysctl'; node: string; key: string };

export interface MatrixDimension {
  name: string;
  targets: MatrixTarget[];
  /** `label` names the value in case names, tables and `where:`; `param` is what JSON reports. */
  values: { label: string; value: MatrixValue; param: MatrixValue }[];
}

/** A `cells:` entry, resolved. */
export interface CellRule {
  /** Per dimension, the labels the cell must have one of. */
  where: { dimension: string; labels: string[] }[];
  kernel?: KernelRange;
  expect?: Expectation;
  probes?: Record<string, Expectation>;
  loc: ExpectationOverride['loc'];
}

/** The name a cell gets: the case's, with its parameters. */
export const cellName = (base: string, labels: readonly (readonly [string, string])[]): string =>
  labels.length === 0 ? base : `${base} [${labels.map(([d, l]) => `${d}=${l}`).join(' ')}]`;

/** Every combination of one value per dimension, the first dimension varying slowest. */
const product = <T>(lists: readonly (readonly T[])[]): T[][] =>
  lists.reduce<T[][]>((acc, list) => acc.flatMap((combo) => list.map((item) => [...combo, item])), [[]]);

/** true/false become 1/0, which is what sysctl understands. */
const sysctlText = (value: MatrixValue): string => (typeof value === 'boolean' ? (value ? '1' : '0') : String(value));

const ruleMatches = (rule: CellRule, labels: ReadonlyMap<string, string>): boolean =>
  rule.where.every((w) => w.labels.includes(labels.get(w.dimension) ?? ''));

const override = (rule: CellRule): ExpectationOverride => ({
  ...(rule.kernel ? { kernel: rule.kernel } : {}),
  ...(rule.expect ? { expect: rule.expect } : {}),
  ...(rule.probes ? { probes: rule.probes } : {}),
  loc: rule.loc,
});

interface Expansion {
  cases: Case[];
  /** Combinations a recipe refuses (its schema or its check), one line each, without repeats. */
  problems: string[];
}

/**
 * The cells of a case: one case per combination of dimension values, each with the recipe
 * parameters and sysctls of its combination and the `cells:` entries whose `where` it matches.
 * With no dimension, the case itself with its entries (kernel-only rules).
 */
export const expandMatrix = (
  base: Case,
  dimensions: readonly MatrixDimension[],
  rules: readonly CellRule[],
  registry: readonly Recipe<any>[],
  view?: Parameters<Recipe['check']>[1],
): Expansion => {
  // A refusal is reported once, with the first cell it happened in.
  const problems = new Map<string, string>();
  const refuse = (message: string, where: string): void => {
    if (!problems.has(message)) problems.set(message, where);
  };
  const combos = product(dimensions.map((d) => d.values));
  const cases = combos.map((combo): Case => {
    const labels = new Map(dimensions.map((d, i) => [d.name, combo[i]?.label ?? '']));
    const where = [...labels].map(([d, l]) => `${d}=${l}`).join(' ');
    const recipes = base.recipes.map((use) => {
      let params: Record<string, unknown> = { ...use.params };
      let varied = false;
      dimensions.forEach((d, i) => {
        for (const t of d.targets) {
          if (t.kind !== 'recipe' || t.recipe !== use.name) continue;
          params = { ...params, [t.param]: combo[i]?.value };
          varied = true;
        }
      });
      const recipe = registry.find((r) => r.name === use.name);
      if (!varied || !recipe) return use;
      const parsed = recipe.params.safeParse(params);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) refuse(`${use.name}.${issue.path.join('.')}: ${issue.message}`, where);
        return { ...use, params };
      }
      params = parsed.data as Record<string, unknown>;
      if (view) for (const m of recipe.check(params, view)) refuse(`${use.name}: ${m}`, where);
      return { ...use, params };
    });
    const sysctls: SysctlSetting[] = [
      ...base.sysctls,
      ...dimensions.flatMap((d, i) =>
        d.targets.flatMap((t) => (t.kind === 'sysctl' ? [{ node: t.node, key: t.key, value: sysctlText(combo[i]?.value ?? '') }] : []))),
    ];
    const overrides = rules.filter((r) => ruleMatches(r, labels)).map(override);
    return {
      ...base,
      name: cellName(base.name, [...labels]),
      recipes,
      sysctls,
      ...(dimensions.length
        ? {
            matrix: {
              case: base.name,
              dimensions: dimensions.map((d) => ({ name: d.name, labels: d.values.map((v) => v.label) })),
              params: Object.fromEntries(dimensions.map((d, i) => [d.name, combo[i]?.param ?? ''])),
            },
          }
        : {}),
      ...(overrides.length ? { overrides } : {}),
    };
  });
  return { cases, problems: [...problems].map(([message, where]) => `${message} (in cell ${where})`) };
};

/**
 * What a probe of a case must show on `kernel`: the case's expectations, the probe's own, then
 * each matching `cells:` entry whose kernel range (if any) holds, later ones winning key by key.
 */
export const expectationFor = (c: Case, probe: Probe, kernel: string): Expectation => {
  let expect: Expectation = { ...c.expect, ...(probe.expect ?? {}) };
  for (const o of c.overrides ?? []) {
    if (o.kernel && !kernelInRange(o.kernel, kernel)) continue;
    expect = { ...expect, ...(o.expect ?? {}), ...(o.probes?.[probe.name] ?? {}) };
  }
  return expect;
};

/** The kernel ranges a case's expectations depend on, and whether each holds on `kernel`. */
export const kernelPins = (c: Case, kernel: string): { range: string; holds: boolean }[] =>
  (c.overrides ?? []).flatMap((o) => (o.kernel ? [{ range: o.kernel.text, holds: kernelInRange(o.kernel, kernel) }] : []));

// ── Resolution ──────────────────────────────────────────────────────────────────────────────

/**
 * What a case's `matrix:` and `cells:` are checked against: the case when every part of it
 * resolved, else the parts that did, so that one malformed probe or sysctl of the case does not
 * hide the problems of its matrix (and a part left out is not reported missing either).
 */
export interface CaseOutline {
  /** The case; the cells are expanded only when it resolved in full. */
  resolved: Case | undefined;
  /** The recipe uses that resolved. */
  recipes: readonly RecipeUse[];
  /** Recipes of the case whose use did not resolve (reported): a dimension setting one is not questioned. */
  unresolvedRecipes: ReadonlySet<string>;
  /** The names of the case's probes, as far as they are known. */
  probeNames: readonly string[];
  /** False when a probe with no `name:` did not resolve: its default name is not known. */
  allProbeNames: boolean;
}

interface MatrixContext extends ResolveContext {
  registry: readonly Recipe<any>[];
  /** The case's topology, as its recipes leave it. */
  topology: Topology;
  resolveExpectation(raw: unknown, path: KeyPath): Expectation | undefined;
}

const DIMENSION_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:-]*$/;

const paramNames = (recipe: Recipe<any>): string[] => {
  const shape = (recipe.params as { shape?: Record<string, unknown> }).shape;
  return shape ? Object.keys(shape) : [];
};

/** `RECIPE.PARAM` or `NODE:KEY`, checked against the case; undefined after reporting a problem. */
const resolveTarget = (text: string, path: KeyPath, base: CaseOutline, ctx: MatrixContext): MatrixTarget | undefined => {
  const colon = text.indexOf(':');
  if (colon >= 0) {
    const node = text.slice(0, colon);
    const key = text.slice(colon + 1);
    if (!valid(nodeNameSchema, node)) {
      ctx.problems.at(path, `${JSON.stringify(text)}: ${JSON.stringify(node)} is not a node name; a sysctl is set as NODE:KEY`);
      return undefined;
    }
    if (!ctx.topology.checkNode(node, path)) return undefined;
    const checked = sysctlKeySchema.safeParse(key);
    if (!checked.success) {
      ctx.problems.at(path, checked.error.issues[0]?.message ?? 'sysctl key not allowed');
      return undefined;
    }
    return { kind: 'sysctl', node, key };
  }
  const dot = text.indexOf('.');
  const uses = [...base.recipes.map((u) => u.name), ...base.unresolvedRecipes];
  if (dot <= 0) {
    ctx.problems.at(path, `${JSON.stringify(text)} says nothing to set: write RECIPE.PARAM (a parameter of ` +
      `${uses.length ? listOf(uses) : 'a recipe of the case'}) or NODE:KEY (a sysctl, e.g. laptop:net.ipv4.conf.all.rp_filter)`);
    return undefined;
  }
  const recipeName = text.slice(0, dot);
  const param = text.slice(dot + 1);
  const recipe = ctx.registry.find((r) => r.name === recipeName);
  // A use or a definition that could not be read was reported; its parameters are unknown.
  if (base.unresolvedRecipes.has(recipeName) || (recipe && isUnreadableRecipe(recipe))) return undefined;
  if (!recipe || !uses.includes(recipeName)) {
    ctx.problems.at(path, `${JSON.stringify(recipeName)} is not a recipe of this case ` +
      `(its recipes: ${listOf(uses)}); a matrix varies parameters of the recipes under recipe:`);
    return undefined;
  }
  const known = paramNames(recipe);
  if (!known.includes(param)) {
    ctx.problems.at(path, `${recipeName} has no parameter ${JSON.stringify(param)} (its parameters: ${listOf(known)})`);
    return undefined;
  }
  return { kind: 'recipe', recipe: recipeName, param };
};

/** A value for a target, checked the way the recipe's schema or sysctl would check it. */
const checkValue = (target: MatrixTarget, value: MatrixValue, path: KeyPath, base: CaseOutline, ctx: MatrixContext): boolean => {
  if (target.kind === 'sysctl') {
    if (sysctlValueSchema.safeParse(value).success) return true;
    ctx.problems.at(path, 'a sysctl value must be a number, text, or true/false');
    return false;
  }
  const recipe = ctx.registry.find((r) => r.name === target.recipe);
  const use = base.recipes.find((u) => u.name === target.recipe);
  if (!recipe || !use) return false;
  const parsed = recipe.params.safeParse({ ...use.params, [target.param]: value }, { error: issueMessage });
  const issue = parsed.success ? undefined : parsed.error.issues.find((i) => i.path[0] === target.param) ?? parsed.error.issues[0];
  if (!issue) return true;
  ctx.problems.at(path, `${target.recipe}.${target.param}: ${issue.message}`);
  return false;
};

const resolveDimension = (
  name: string,
  raw: unknown,
  path: KeyPath,
  base: CaseOutline,
  ctx: MatrixContext,
): MatrixDimension | undefined => {
  if (!DIMENSION_NAME.test(name) || name === 'kernel') {
    ctx.problems.atKey(path, name === 'kernel'
      ? '"kernel" cannot name a dimension: it is the kernel range key of cells[].where'
      : `dimension name ${JSON.stringify(name)} may contain only letters, digits, "_", ".", ":" and "-"`);
    return undefined;
  }
  // The shape was checked by the schema; only what it let through is read here.
  const full = isRecord(raw) ? raw : undefined;
  if (!full && !Array.isArray(raw)) return undefined;
  const setRaw: unknown = full ? full.set : name;
  const valuesRaw: unknown = full ? full.values : raw;
  const setList = Array.isArray(setRaw) ? setRaw : [setRaw];
  const setPath = (i: number): KeyPath => (full ? (Array.isArray(setRaw) ? [...path, 'set', i] : [...path, 'set']) : path);
  if (!setList.every((t): t is string => typeof t === 'string')) return undefined;
  const targets = setList.map((t, i) => resolveTarget(t, setPath(i), base, ctx));

  let values: MatrixDimension['values'] = [];
  if (Array.isArray(valuesRaw)) {
    values = valuesRaw.map((v: MatrixValue) => ({ label: String(v), value: v, param: v }));
  } else if (isRecord(valuesRaw)) {
    values = Object.entries(valuesRaw).map(([label, v]) => ({ label, value: v as MatrixValue, param: label }));
  } else {
    return undefined;
  }
  const valuePath = (i: number): KeyPath =>
    full ? [...path, 'values', Array.isArray(valuesRaw) ? i : values[i]?.label ?? i] : [...path, i];
  const seen = new Set<string>();
  let ok = targets.every((t) => t !== undefined);
  values.forEach((v, i) => {
    if (seen.has(v.label)) {
      ctx.problems.at(valuePath(i), `${JSON.stringify(v.label)} appears twice in dimension ${name}`);
      ok = false;
    }
    seen.add(v.label);
    for (const t of targets) if (t && !checkValue(t, v.value, valuePath(i), base, ctx)) ok = false;
  });
  return ok ? { name, targets: targets as MatrixTarget[], values } : undefined;
};

const resolveRule = (
  raw: unknown,
  path: KeyPath,
  base: CaseOutline,
  dimensions: readonly MatrixDimension[],
  ctx: MatrixContext,
  /** Dimensions that could not be resolved (reported already): their where keys are not checked again. */
  broken: ReadonlySet<string> = new Set(),
): CellRule | undefined => {
  if (!isRecord(raw)) return undefined;
  let ok = true;
  const where: CellRule['where'] = [];
  let kernel: KernelRange | undefined;
  for (const [key, value] of Object.entries(isRecord(raw.where) ? raw.where : {})) {
    const at = [...path, 'where', key];
    if (key === 'kernel') {
      const parsed = typeof value === 'string' ? parseKernelRange(value) : undefined;
      if (parsed?.ok) kernel = parsed.value;
      else {
        ctx.problems.at(at, parsed ? parsed.error : 'kernel: a range as text, e.g. ">=6.1 <6.8"');
        ok = false;
      }
      continue;
    }
    const dimension = dimensions.find((d) => d.name === key);
    if (!dimension && broken.has(key)) {
      ok = false;
      continue;
    }
    if (!dimension) {
      ctx.problems.atKey(at, `${JSON.stringify(key)} is not a dimension of the matrix ` +
        `(${dimensions.length ? `its dimensions: ${listOf(dimensions.map((d) => d.name))}` : 'the case has no matrix'}; ` +
        'kernel: RANGE selects kernels)');
      ok = false;
      continue;
    }
    const labels = (Array.isArray(value) ? value : [value]).map((v) => String(v));
    const own = dimension.values.map((v) => v.label);
    for (const [i, label] of labels.entries()) {
      if (own.includes(label)) continue;
      ctx.problems.at(Array.isArray(value) ? [...at, i] : at, `${key} has no value ${JSON.stringify(label)} (its values: ${listOf(own)})`);
      ok = false;
    }
    where.push({ dimension: key, labels });
  }
  const expect = raw.expect === undefined ? undefined : ctx.resolveExpectation(raw.expect, [...path, 'expect']);
  if (raw.expect !== undefined && !expect) ok = false;
  let probes: Record<string, Expectation> | undefined;
  if (isRecord(raw.probes)) {
    probes = {};
    const names = base.probeNames;
    for (const [name, value] of Object.entries(raw.probes)) {
      if (!names.includes(name) && !base.allProbeNames) {
        ok = false; // it may be the probe that could not be read
        continue;
      }
      if (!names.includes(name)) {
        ctx.problems.atKey([...path, 'probes', name], `no probe of the case is named ${JSON.stringify(name)} ` +
          `(its probes: ${listOf(names.map((n) => JSON.stringify(n)))})`);
        ok = false;
        continue;
      }
      const e = ctx.resolveExpectation(value, [...path, 'probes', name]);
      if (e) probes[name] = e;
      else ok = false;
    }
  }
  if (!ok) return undefined;
  return {
    where,
    ...(kernel ? { kernel } : {}),
    ...(expect ? { expect } : {}),
    ...(probes ? { probes } : {}),
    loc: ctx.source.at(path),
  };
};

/**
 * A resolved case with its `matrix:` and `cells:` (raw, at `path`): its cells, or the case itself
 * when it has neither. Undefined when something was reported.
 */
export const resolveMatrixCase = (
  base: CaseOutline,
  raw: Record<string, unknown>,
  path: KeyPath,
  ctx: MatrixContext,
): Case[] | undefined => {
  if (raw.matrix === undefined && raw.cells === undefined) return base.resolved ? [base.resolved] : undefined;
  const dimensions: MatrixDimension[] = [];
  const broken = new Set<string>();
  let ok = true;
  if (isRecord(raw.matrix)) {
    for (const [name, value] of Object.entries(raw.matrix)) {
      const d = resolveDimension(name, value, [...path, 'matrix', name], base, ctx);
      if (d) dimensions.push(d);
      else broken.add(name);
    }
  } else if (raw.matrix !== undefined) {
    ok = false;
  }
  if (broken.size) ok = false;
  const rules = Array.isArray(raw.cells)
    ? raw.cells.map((r: unknown, i) => resolveRule(r, [...path, 'cells', i], base, dimensions, ctx, broken))
    : [];
  if (!ok || rules.some((r) => r === undefined) || !base.resolved) return undefined;
  const expansion = expandMatrix(base.resolved, dimensions, rules as CellRule[], ctx.registry, ctx.topology.complete ? ctx.topology : undefined);
  for (const problem of expansion.problems) ctx.problems.at([...path, 'matrix'], problem);
  return expansion.problems.length ? undefined : expansion.cases;
};
