import type { z } from 'zod';
import type { Op } from '../plan/types.js';
import type { AddressAssignment } from '../model/types.js';

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

export interface RecipeSteps {
  ops: Op[];
  variables: RecipeVariable[];
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
