// What a case's recipes add to its plan besides commands: namespaces and moved devices (the
// topology the observers and the path derivation see), and sockets bound to a device (the probes).
import type { AddressAssignment, Case, Probe, Scenario } from '../types/scenario.js';
import { findRecipe } from '../recipes/index.js';
import type { RecipeContext, RecipeSteps, SenderBinding, TopologyChange } from '../types/recipe.js';
import { nodeRoutingOps } from './routing.js';
import type { Op, Topology, TopologyDevice } from '../types/plan.js';

export interface CaseRecipes {
  /** The recipes' own commands, in the order the case names the recipes. */
  ops: Op[];
  senders: SenderBinding[];
  change: TopologyChange;
}

export const recipeContext = (scenario: Pick<Scenario, 'addresses'>): RecipeContext => ({
  addressesOf: (node, dev) =>
    scenario.addresses.filter((a) => a.ref.node === node && a.ref.dev === dev),
});

/** A recipe's commands: its own ops, then those of the routing keys it resolved to, each saying which recipe. */
export const recipeOps = (name: string, steps: RecipeSteps): Op[] => [
  ...steps.ops,
  ...(steps.routing ?? []).flatMap(({ node, routing }) => nodeRoutingOps(node, routing, true))
    .map((op) => ({ ...op, why: `recipe ${name}: ${op.why ?? ''}` })),
];

export const caseRecipes = (scenario: Scenario, c: Case): CaseRecipes => {
  const result: CaseRecipes = { ops: [], senders: [], change: { nodes: [], moves: [] } };
  for (const use of c.recipes) {
    // A recipe the scenario defines itself (recipes:), else the catalog's.
    const recipe = scenario.recipes?.find((r) => r.name === use.name) ?? findRecipe(use.name);
    // The loader has checked the name; reaching this is a bug, not bad input.
    if (!recipe) throw new Error(`unknown recipe ${use.name} after validation`);
    const steps = recipe.steps(use.params, recipeContext(scenario));
    result.ops.push(...recipeOps(recipe.name, steps));
    result.senders.push(...(steps.senders ?? []));
    result.change.nodes.push(...(steps.topology?.nodes ?? []));
    result.change.moves.push(...(steps.topology?.moves ?? []));
    for (const r of steps.topology?.redirects ?? []) (result.change.redirects ??= []).push(r);
  }
  return result;
};

const movedTo = (change: TopologyChange, node: string, dev: string): string | undefined =>
  change.moves.find((m) => m.device.node === node && m.device.dev === dev)?.to;

/**
 * The topology once the recipes have run: new nodes with their lo, moved devices in their new
 * node (a moved bridge port is no longer enslaved), veth peers pointing at where the device went,
 * redirected egresses (tc mirred) marked on their device.
 */
export const changedTopology = (topology: Topology, change: TopologyChange): Topology => {
  const redirects = change.redirects ?? [];
  if (change.nodes.length === 0 && change.moves.length === 0 && redirects.length === 0) return topology;
  const devices: TopologyDevice[] = topology.devices.map((plain) => {
    const out = redirects.filter((r) => r.node === plain.node && r.from === plain.dev).map((r) => r.to);
    const d = out.length ? { ...plain, redirect: [...(plain.redirect ?? []), ...out] } : plain;
    const to = movedTo(change, d.node, d.dev);
    const peerTo = d.peer && movedTo(change, d.peer.node, d.peer.dev);
    const { master, ...rest } = d;
    return {
      ...(to ? rest : d),
      ...(to ? { node: to } : {}),
      ...(d.peer && peerTo ? { peer: { node: peerTo, dev: d.peer.dev } } : {}),
    };
  });
  for (const node of change.nodes) devices.push({ node, dev: 'lo', kind: 'loopback' });
  const nodes = [...topology.nodes, ...change.nodes.filter((n) => !topology.nodes.includes(n))];
  const order = new Map(nodes.map((n, i) => [n, i]));
  devices.sort((x, y) => (order.get(x.node) ?? 0) - (order.get(y.node) ?? 0));
  return { nodes, devices };
};

/** The scenario's addresses, a moved device's under its new node. */
export const changedAddresses = (addresses: readonly AddressAssignment[], change: TopologyChange): AddressAssignment[] =>
  addresses.map((a) => {
    const to = movedTo(change, a.ref.node, a.ref.dev);
    return to ? { ...a, ref: { node: to, dev: a.ref.dev } } : a;
  });

/**
 * Ops that carry out the topology change inside the lab: lo up in each new node (the lab has
 * created its namespace), then each device moved into the namespace of its new node.
 */
export const topologyChangeOps = (change: TopologyChange, netnsOf: (node: string) => string): Op[] => [
  ...change.nodes.map((node): Op => ({ node, argv: ['ip', 'link', 'set', 'dev', 'lo', 'up'] })),
  ...change.moves.map((m): Op => ({
    node: m.device.node,
    argv: ['ip', 'link', 'set', 'dev', m.device.dev, 'netns', netnsOf(m.to)],
    why: m.why,
  })),
];

/**
 * The probe as it is sent: bound to a device when a recipe binds senders from its source address
 * (a `dev` the probe names itself wins), with the binding that did it.
 */
export const boundProbe = (probe: Probe, senders: readonly SenderBinding[]): { probe: Probe; binding?: SenderBinding } => {
  const binding = senders.find((s) => s.node === probe.from.node && s.address === probe.from.address);
  if (!binding || probe.from.dev !== undefined) return { probe };
  return { probe: { ...probe, from: { ...probe.from, dev: binding.dev } }, binding };
};

/** argv with every `$NAME` of a captured value replaced by the value; other text stays as it is. */
export const withCaptured = (argv: readonly string[], captured: ReadonlyMap<string, string>): string[] =>
  captured.size === 0
    ? [...argv]
    : argv.map((token) => token.replace(/\$([A-Za-z_][A-Za-z0-9_]*)/g, (all, name: string) => captured.get(name) ?? all));
