import type { Case, DeviceRef, Scenario } from '../types/scenario.js';
import {
  boundProbe, caseRecipes, changedAddresses, changedTopology, topologyChangeOps, type CaseRecipes,
} from './recipes.js';
import { observerOps } from './observer.js';
import { routingOps, setupOps } from './routing.js';
import { nftOps, sysctlOps, topologyOf, topologyOps } from './topology.js';
import type { Op, ProbePlan, CasePlan } from '../types/plan.js';
import { mediumMonitors, withRadios, wirelessOps } from './wireless.js';

/** Probe ports are picked from here upwards, skipping ports the scenario names itself. */
export const FIRST_PROBE_PORT = 47000;
/**
 * The first source port lab gives a udp or tcp probe without `sport`: each probe of a case gets
 * its own, so the observer counts its packets and not another probe's to the same port (a
 * connect the kernel refused sends nothing, while a sibling's SYNs to :80 crossed the devices).
 */
export const FIRST_PROBE_SPORT = 42000;

export const netnsName = (prefix: string, caseIndex: number, node: string): string =>
  `${prefix}-c${caseIndex}-${node}`;

export { recipeContext } from './recipes.js';

export const recipeOps = (scenario: Scenario, c: Case): Op[] => caseRecipes(scenario, c).ops;

/** Probes see the topology as the recipes left it: an address moved with its device has a new owner. */
export const planProbes = (
  scenario: Scenario,
  c: Case,
  prefix: string,
  caseIndex: number,
  recipes: CaseRecipes = caseRecipes(scenario, c),
): ProbePlan[] => {
  const addresses = changedAddresses(scenario.addresses, recipes.change);
  const ownerOf = (address: string): DeviceRef | undefined => addresses.find((a) => a.address === address)?.ref;
  const taken = new Set(c.probes.map((p) => p.to.port).filter((p): p is number => p !== undefined));
  let next = FIRST_PROBE_PORT;
  const sports = new Set(c.probes.map((p) => p.attributes?.sport).filter((p): p is number => p !== undefined));
  let nextSport = FIRST_PROBE_SPORT;
  return c.probes.map((written, i) => {
    const { probe, binding } = boundProbe(written, recipes.senders);
    let port = probe.to.port;
    if (port === undefined) {
      while (taken.has(next)) next++;
      port = next++;
    }
    taken.add(port);
    let sport = probe.attributes?.sport;
    if (sport === undefined && probe.kind !== 'icmp') {
      while (sports.has(nextSport) || taken.has(nextSport)) nextSport++;
      sport = nextSport++;
      sports.add(sport);
    }
    const owner = ownerOf(probe.to.address);
    return {
      probe,
      port,
      ...(sport === undefined ? {} : { sport }),
      marker: `netns-lab ${prefix} c${caseIndex} p${i}`,
      receiverNode: owner?.node,
      ...(owner ? { receiverDev: owner.dev } : {}),
      ...(binding ? { binding } : {}),
    };
  });
};

/** The whole plan of one case: a fresh copy of the topology, the recipes, the sysctls, the probes. */
export const planCase = (scenario: Scenario, caseIndex: number, prefix: string): CasePlan => {
  const c = scenario.cases[caseIndex];
  if (!c) throw new RangeError(`scenario ${scenario.name} has no case #${caseIndex}`);
  const recipes = caseRecipes(scenario, c);
  // Nodes a recipe creates (netns-split) get namespaces like the others: created and owned by the lab.
  const nodes = [...scenario.nodes.map((n) => n.name), ...recipes.change.nodes];
  const namespaces = nodes.map((node) => ({ node, netns: netnsName(prefix, caseIndex, node) }));
  const netnsOf = (node: string): string => netnsName(prefix, caseIndex, node);
  const wireless = wirelessOps(scenario, `${prefix}-c${caseIndex}`, netnsOf);
  const topology = changedTopology(withRadios(topologyOf(scenario), scenario), recipes.change);
  const probes = planProbes(scenario, c, prefix, caseIndex, recipes);
  return {
    scenario: scenario.name,
    caseIndex,
    case: c,
    namespaces,
    topology,
    ops: [
      ...wireless.radios,
      ...topologyOps(scenario, netnsOf),
      ...wireless.join,
      ...routingOps(scenario, c),
      ...topologyChangeOps(recipes.change, netnsOf),
      ...recipes.ops,
      ...sysctlOps(c),
      ...nftOps(c),
      ...setupOps(scenario, c),
    ],
    probes,
    observers: observerOps(topology, probes),
    media: mediumMonitors(scenario),
  };
};

/** The case's topology alone, as a kept lab or the bench builds it: no probes, so no observers to count them. */
export const withoutProbes = (plan: CasePlan): CasePlan => ({ ...plan, probes: [], observers: [] });
