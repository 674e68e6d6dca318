// What a recipe is (the catalog is src/recipes/, user recipes are read by src/model/user-recipes.ts).
import type { z } from 'zod';
import type { Op } from './plan.js';
import type { AddressAssignment, DeviceRef, NodeRouting } from './scenario.js';

/** What a recipe may know about the scenario it is applied to. */
export interface RecipeContext {
  /** Addresses assigned to `node:dev`, in the order written. Empty when unknown (`lab recipe show`). */
  addressesOf(node: string, dev: string): AddressAssignment[];
}

/**
 * A shell variable a recipe needs when the scenario does not supply a value, with the
 * command that derives it on a real host. Ops refer to it as the token `$NAME`.
 */
export interface RecipeVariable {
  name: string;
  derive: string;
}

/**
 * How the recipe wants the sending program to behave: probes sent by `node` from `address` bind
 * their socket to `dev` (SO_BINDTODEVICE). The planner applies it to the probes; `lab recipe show`
 * prints it as an example command.
 */
export interface SenderBinding {
  node: string;
  address: string;
  dev: string;
  why: string;
  /** A sending command that binds this way, for `lab recipe show` (it reads the payload on stdin). */
  example?: string[];
}

/** A device the recipe moves into another namespace; the kernel flushes its addresses on the way. */
export interface DeviceMove {
  device: DeviceRef;
  to: string;
  why: string;
}

/**
 * Topology the recipe changes: namespaces it creates (new nodes) and devices it moves into them.
 * Data, not commands: the lab creates and owns the namespaces, observes the moved devices where
 * they end up, and `lab recipe show` prints `ip netns add` / `ip link set DEV netns NAME`.
 */
export interface TopologyChange {
  nodes: string[];
  moves: DeviceMove[];
  /** Egress of `from` redirected out of `to` (tc mirred): the path goes on from `to`. */
  redirects?: { node: string; from: string; to: string }[];
}

export interface RecipeSteps {
  ops: Op[];
  /**
   * Per-node routing keys (a recipe the scenario defines, `recipes:`), resolved: data, which the
   * plan turns into ops after `ops` (recipeOps in src/plan/recipes.ts).
   */
  routing?: { node: string; routing: NodeRouting }[];
  variables: RecipeVariable[];
  senders?: SenderBinding[];
  topology?: TopologyChange;
}

export interface Recipe<P extends Record<string, unknown> = Record<string, unknown>> {
  name: string;
  /** One line for `lab recipe list`. */
  summary: string;
  /** The "what and why" paragraph. */
  description: string;
  params: z.ZodType<P>;
  /** Problems with parameters that need the scenario (unknown node, NIC without an address). */
  check(params: P, scenario: RecipeScenarioView): string[];
  steps(params: P, ctx: RecipeContext): RecipeSteps;
}

/** The parts of a scenario a recipe check may look at. */
export interface RecipeScenarioView {
  hasNode(node: string): boolean;
  hasDevice(node: string, dev: string): boolean;
  addressesOf(node: string, dev: string): AddressAssignment[];
}
