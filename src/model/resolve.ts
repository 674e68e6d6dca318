// Raw document → Scenario: every check that needs more than one value, all problems reported.
import type { Recipe } from '../types/recipe.js';
import { resolveCases } from './cases.js';
import { resolveNodeRouting, resolveTables } from './routing.js';
import { scenarioFields } from './schema.js';
import { resolveTopology, valid, type ResolveContext } from './topology.js';
import type { Scenario } from '../types/scenario.js';

/**
 * The scenario, or undefined when some part could not be resolved. Problems go to ctx.problems,
 * and the result is only meaningful when there are none: shape problems (found by the schema)
 * are reported by the caller, and the topology is read leniently.
 */
export const resolveScenario = (
  raw: unknown,
  file: string,
  registry: readonly Recipe<any>[],
  ctx: ResolveContext,
): Scenario | undefined => {
  const doc = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
  const fields = scenarioFields(registry);
  const name = valid(fields.name, doc.name);
  const description = valid(fields.description, doc.description);
  const topology = resolveTopology(doc, ctx);
  const { tables, unsure: unsureTables } = resolveTables(doc.tables, ctx);
  const routingCtx = { ...ctx, topology, tables, unsureTables };
  const rawNodes = typeof doc.nodes === 'object' && doc.nodes !== null ? (doc.nodes as Record<string, unknown>) : {};
  const nodes = topology.nodes.map((n) => {
    const routing = resolveNodeRouting(rawNodes[n.name], n.name, routingCtx);
    return routing ? { ...n, routing } : n;
  });
  const cases = resolveCases(doc.cases, registry, topology, ctx, tables, unsureTables);
  const { links, wireless, addresses } = topology;
  if (!name || !description || !cases) return undefined;
  return {
    name: name.value,
    ...(description.value === undefined ? {} : { description: description.value }),
    file,
    nodes,
    links,
    ...(wireless.length ? { wireless } : {}),
    addresses,
    ...(tables?.size ? { tables: Object.fromEntries(tables) } : {}),
    cases,
  };
};
