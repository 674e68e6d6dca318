// Recipes a scenario defines itself (`recipes:` at the top): named parameters with defaults, and
// per-node routing keys (forwarding, sysctl, routes, rules, default-rules, setup) in which
// `${param}` is replaced by the parameter's value. Used from cases like the built-in recipes
// (`recipe: { NAME: { PARAM: VALUE } }`) and shown by `lab recipe show FILE#NAME`.
//
// A use is checked when the scenario is loaded: the recipe's keys with the case's values must
// fit the topology (devices, subnets, tables), each problem reported at the recipe's definition.
import { z } from 'zod';
import type { Recipe, RecipeSteps } from '../types/recipe.js';
import { issueMessage, listOf } from './messages.js';
import { NODE_NAME } from './names.js';
import { resolveRoutingKeys, type RoutingContext } from './routing.js';
import { nodeRoutingFields } from './routing-schema.js';
import { Problems, type KeyPath, type SourceMap } from './source.js';
import { isRecord, type Topology } from './topology.js';
import type { NodeRouting } from '../types/scenario.js';

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PLACEHOLDER = /\$\{([^}]*)\}/g;
const USER_RECIPE_NAME = /^[a-z][a-z0-9-]{0,63}$/;

const paramValue = z.union([z.string(), z.number(), z.boolean()]);

const paramSpecSchema = z.strictObject({
  type: z.enum(['string', 'number', 'boolean']).optional()
    .describe('The value\'s type; default: the type of default, else string.'),
  default: paramValue.optional().describe('The value when a case does not give one; without it the parameter is required.'),
  description: z.string().optional(),
});

const anyValue = z.unknown();
/** The routing keys, their values still holding `${param}` (checked once substituted). */
const recipeNodeSchema = z.strictObject(
  Object.fromEntries(Object.keys(nodeRoutingFields).map((k) => [k, anyValue.optional()])),
).describe('The routing keys of a node entry (forwarding, sysctl, routes, rules, default-rules, setup), with ${PARAM} in any value.');

const userRecipeSchema = z.strictObject({
  summary: z.string().optional().describe('One line for lab recipe show.'),
  description: z.string().optional(),
  params: z.record(z.string().regex(PARAM_NAME, { error: 'a parameter name is letters, digits and "_"' }), paramSpecSchema)
    .optional().describe('The parameters by name: { type, default, description }; no default makes it required.'),
  nodes: z.record(z.string().min(1), recipeNodeSchema)
    .describe('What the recipe does per node: NODE (or ${PARAM}) → routing keys, ${PARAM} replaced by values.'),
});

export const userRecipesSchema = z.record(
  z.string().regex(USER_RECIPE_NAME, { error: 'a recipe name is lower-case letters, digits and "-", starting with a letter' }),
  userRecipeSchema,
).describe('Recipes defined in this file, used from cases as recipe: { NAME: { PARAM: VALUE } } like the built-in ones.');

type Params = Record<string, unknown>;
type Definition = z.output<typeof userRecipeSchema>;

/** `${x}` alone is the parameter's value with its type; inside other text, its text. */
const substituteText = (text: string, params: Params): unknown => {
  const whole = /^\$\{([^}]*)\}$/.exec(text);
  if (whole && whole[1] !== undefined && whole[1] in params) return params[whole[1]];
  return text.replace(PLACEHOLDER, (all, name: string) => (name in params ? String(params[name]) : all));
};

const substitute = (value: unknown, params: Params): unknown => {
  if (typeof value === 'string') return substituteText(value, params);
  if (Array.isArray(value)) return value.map((v) => substitute(v, params));
  if (isRecord(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [String(substituteText(k, params)), substitute(v, params)]));
  }
  return value;
};

/** Every `${name}` of the definition that is not a parameter, with where it is. */
const unknownPlaceholders = (value: unknown, path: KeyPath, names: ReadonlySet<string>, out: [KeyPath, string][]): void => {
  const scan = (text: string, at: KeyPath): void => {
    for (const m of text.matchAll(PLACEHOLDER)) if (!names.has(m[1] ?? '')) out.push([at, m[1] ?? '']);
  };
  if (typeof value === 'string') scan(value, path);
  else if (Array.isArray(value)) value.forEach((v, i) => unknownPlaceholders(v, [...path, i], names, out));
  else if (isRecord(value)) {
    for (const [k, v] of Object.entries(value)) {
      scan(k, [...path, k]);
      unknownPlaceholders(v, [...path, k], names, out);
    }
  }
};

const paramsSchema = (def: Definition) =>
  z.strictObject(Object.fromEntries(Object.entries(def.params ?? {}).map(([name, spec]) => {
    const type = spec.type ?? (spec.default === undefined ? 'string' : typeof spec.default);
    const error = (iss: { input?: unknown }): string =>
      iss.input === undefined ? 'missing required parameter' : `must be ${type === 'string' ? 'text' : `a ${type}`}`;
    const base: z.ZodType<unknown> = type === 'number' ? z.number({ error }) : type === 'boolean' ? z.boolean({ error })
      : z.union([z.string(), z.number()], { error }).transform(String);
    const typed = spec.default === undefined ? base : base.optional().transform((v) => v ?? spec.default);
    return [name, spec.description ? typed.describe(spec.description) : typed];
  })));

/** Nothing is known about devices or addresses: for planning a use that was checked at load, and for `lab recipe show`. */
const NO_TOPOLOGY: Topology = {
  nodes: [], links: [], wireless: [], addresses: [], complete: false,
  checkNode: () => true, checkDevice: () => true, addressesKnown: () => false,
  hasNode: () => false, hasDevice: () => false, addressesOf: () => [],
};

/** The recipe's node entries with the parameters' values in, resolved; problems go to ctx. */
const expand = (
  name: string,
  def: Definition,
  params: Params,
  ctx: RoutingContext,
  onNode: (node: string) => boolean,
): { node: string; routing: NodeRouting }[] =>
  Object.entries(def.nodes).flatMap(([rawKey, entry]) => {
    const at: KeyPath = ['recipes', name, 'nodes', rawKey];
    const node = String(substituteText(rawKey, params));
    if (!onNode(node)) return [];
    const raw = substitute(entry, params);
    // A command's argument is text even when it is a number parameter alone ("${table}").
    if (isRecord(raw) && Array.isArray(raw.setup)) {
      raw.setup = raw.setup.map((cmd: unknown) => (Array.isArray(cmd)
        ? cmd.map((a: unknown) => (typeof a === 'number' || typeof a === 'boolean' ? String(a) : a))
        : cmd));
    }
    const shape = z.strictObject(nodeRoutingFields).safeParse(raw, { error: issueMessage });
    if (!shape.success) {
      ctx.problems.issues(shape.error.issues, at);
      return [];
    }
    const routing = isRecord(raw) ? resolveRoutingKeys(raw, node, at, ctx) : undefined;
    return routing ? [{ node, routing }] : [];
  });

interface UserRecipe extends Recipe<Params> {
  /** Checks a use against the scenario: problems at the definition, and one at the use that names it. */
  checkUse(params: Params, usePath: KeyPath, ctx: RoutingContext): void;
}

export const isUserRecipe = (r: Recipe<any>): r is UserRecipe => 'checkUse' in r;

const userRecipe = (name: string, def: Definition, file: string, source: SourceMap): UserRecipe => ({
  name,
  summary: def.summary ?? `defined in ${file}`,
  description: def.description ?? '',
  params: paramsSchema(def),
  check: () => [],
  checkUse(params, usePath, ctx) {
    const before = ctx.problems.count;
    const declared = (node: string): boolean => {
      if (NODE_NAME.test(node) && ctx.topology.hasNode(node)) return true;
      ctx.problems.at(usePath, `recipe ${name} acts on node ${JSON.stringify(node)}, which is not declared ` +
        `(declared nodes: ${listOf(ctx.topology.nodes.map((n) => n.name))})`);
      return false;
    };
    expand(name, def, params, ctx, declared);
    if (ctx.problems.count > before) {
      ctx.problems.at(usePath, `recipe ${name} does not fit this case with these parameters (see the problems reported at its definition)`);
    }
  },
  steps(params): RecipeSteps {
    // Checked when the scenario was loaded; here nothing is reported. The routing keys stay data:
    // the plan turns them into ops (recipeOps in src/plan/recipes.ts).
    const ctx: RoutingContext = { problems: new Problems(file, source), source, topology: NO_TOPOLOGY, tables: undefined };
    return { ops: [], variables: [], routing: expand(name, def, params, ctx, () => true) };
  },
});

/** A definition that could not be read (reported there): its uses are not reported as unknown recipes. */
interface UnreadableRecipe extends Recipe<Params> {
  unreadable: true;
}

export const isUnreadableRecipe = (r: Recipe<any>): r is UnreadableRecipe => 'unreadable' in r;

/**
 * Stands in for a definition that could not be read, so that a use of it is not reported again as
 * an unknown recipe: any parameters pass, nothing is checked, and it has no steps (a scenario with a
 * reported problem is never planned).
 */
export const unreadableRecipe = (name: string): UnreadableRecipe => ({
  name,
  summary: 'a recipe of this file that could not be read',
  description: '',
  params: z.record(z.string(), z.unknown()) as z.ZodType<Params>,
  check: () => [],
  steps: () => ({ ops: [], variables: [] }),
  unreadable: true,
});

/** Names `recipes:` defines whose definition could not be read (the problem is reported at the definition). */
export const unreadableRecipeNames = (raw: unknown, own: readonly Recipe<any>[], builtin: readonly Recipe<any>[]): string[] =>
  isRecord(raw)
    ? Object.keys(raw).filter((name) => USER_RECIPE_NAME.test(name) && ![...own, ...builtin].some((r) => r.name === name))
    : [];

/**
 * The recipes `recipes:` defines, as recipes of the registry. Every problem of the definitions
 * (an unknown `${name}`, a name the catalog has) is reported; a definition that is not readable is left out.
 */
export const readUserRecipes = (
  raw: unknown,
  builtin: readonly Recipe<any>[],
  file: string,
  source: SourceMap,
  problems: Problems,
): UserRecipe[] => {
  if (!isRecord(raw)) return [];
  return Object.entries(raw).flatMap(([name, value]) => {
    const parsed = userRecipeSchema.safeParse(value);
    if (!USER_RECIPE_NAME.test(name) || !parsed.success) return [];
    if (builtin.some((r) => r.name === name)) {
      problems.atKey(['recipes', name], `recipe ${name} is built in; give yours another name`);
      return [];
    }
    const found: [KeyPath, string][] = [];
    unknownPlaceholders(parsed.data.nodes, ['recipes', name, 'nodes'], new Set(Object.keys(parsed.data.params ?? {})), found);
    for (const [path, p] of found) {
      problems.at(path, `\${${p}} is not a parameter of recipe ${name} (its parameters: ${listOf(Object.keys(parsed.data.params ?? {}))})`);
    }
    for (const [p, spec] of Object.entries(parsed.data.params ?? {})) {
      if (spec.type !== undefined && spec.default !== undefined && typeof spec.default !== spec.type) {
        problems.at(['recipes', name, 'params', p, 'default'], `the default of ${p} must be a ${spec.type}`);
      }
    }
    return found.length ? [] : [userRecipe(name, parsed.data, file, source)];
  });
};
