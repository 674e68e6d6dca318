import type { Case, Probe, Scenario } from '../model/types.js';
import { findRecipe } from '../recipes/index.js';
import type { RecipeContext } from '../recipes/types.js';
import { nftOps, sysctlOps, topologyOf, topologyOps } from './topology.js';
import type { Op, Topology } from './types.js';

/** Probe ports are picked from here upwards, skipping ports the scenario names itself. */
export const FIRST_PROBE_PORT = 47000;

export interface ProbePlan {
  probe: Probe;
  /** The UDP port that identifies this probe's datagrams to the observers. */
  port: number;
  /** Carried in the payload; the receiver only counts a datagram that carries it. */
  marker: string;
  /** The node that owns the destination address; undefined when no node does. */
  receiverNode: string | undefined;
}

export interface CasePlan {
  scenario: string;
  caseIndex: number;
  case: Case;
  /** node → namespace, in node order. Every namespace carries the run's prefix. */
  namespaces: { node: string; netns: string }[];
  topology: Topology;
  /** Topology, then recipes, then case sysctls and nft rulesets, each inside its node's namespace. */
  ops: Op[];
  probes: ProbePlan[];
}

export const netnsName = (prefix: string, caseIndex: number, node: string): string =>
  `${prefix}-c${caseIndex}-${node}`;

export const recipeContext = (scenario: Scenario): RecipeContext => ({
  addressesOf: (node, dev) =>
    scenario.addresses.filter((a) => a.ref.node === node && a.ref.dev === dev),
});

export const recipeOps = (scenario: Scenario, c: Case): Op[] =>
  c.recipes.flatMap((use) => {
    const recipe = findRecipe(use.name);
    // The loader has checked the name; reaching this is a bug, not bad input.
    if (!recipe) throw new Error(`unknown recipe ${use.name} after validation`);
    return recipe.steps(use.params, recipeContext(scenario)).ops;
  });

const ownerOf = (scenario: Scenario, address: string): string | undefined =>
  scenario.addresses.find((a) => a.address === address)?.ref.node;

export const planProbes = (scenario: Scenario, c: Case, prefix: string, caseIndex: number): ProbePlan[] => {
  const taken = new Set(c.probes.map((p) => p.to.port).filter((p): p is number => p !== undefined));
  let next = FIRST_PROBE_PORT;
  return c.probes.map((probe, i) => {
    let port = probe.to.port;
    if (port === undefined) {
      while (taken.has(next)) next++;
      port = next++;
    }
    taken.add(port);
    return {
      probe,
      port,
      marker: `netns-lab ${prefix} c${caseIndex} p${i}`,
      receiverNode: ownerOf(scenario, probe.to.address),
    };
  });
};

/** The whole plan of one case: a fresh copy of the topology, the recipes, the sysctls, the probes. */
export const planCase = (scenario: Scenario, caseIndex: number, prefix: string): CasePlan => {
  const c = scenario.cases[caseIndex];
  if (!c) throw new RangeError(`scenario ${scenario.name} has no case #${caseIndex}`);
  const namespaces = scenario.nodes.map((n) => ({ node: n.name, netns: netnsName(prefix, caseIndex, n.name) }));
  const netnsOf = (node: string): string => netnsName(prefix, caseIndex, node);
  return {
    scenario: scenario.name,
    caseIndex,
    case: c,
    namespaces,
    topology: topologyOf(scenario),
    ops: [...topologyOps(scenario, netnsOf), ...recipeOps(scenario, c), ...sysctlOps(c), ...nftOps(c)],
    probes: planProbes(scenario, c, prefix, caseIndex),
  };
};
