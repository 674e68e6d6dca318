// A case's topology as its recipes leave it: a recipe may create nodes and move devices into
// them (netns-split). Probes, expectations and sysctls of the case are checked against this view,
// so `laptop-wlan1:wlan1` is a device there and `laptop:wlan1` says where it went.
import type { Recipe, TopologyChange } from '../types/recipe.js';
import { notADeviceMessage } from './messages.js';
import { LOOPBACK } from './names.js';
import type { KeyPath } from './source.js';
import type { ResolveContext, Topology } from './topology.js';
import type { DeviceRef, RecipeUse } from '../types/scenario.js';

/** The topology change of the case's recipes (their params are valid: they were resolved). */
export const recipesChange = (uses: readonly RecipeUse[], registry: readonly Recipe<any>[], topology: Topology): TopologyChange => {
  const change: TopologyChange = { nodes: [], moves: [] };
  for (const use of uses) {
    const steps = registry.find((r) => r.name === use.name)?.steps(use.params, topology);
    change.nodes.push(...(steps?.topology?.nodes ?? []));
    change.moves.push(...(steps?.topology?.moves ?? []));
  }
  return change;
};

/** `base` seen after `change`; the same object when the recipes change nothing. */
export const changedView = (base: Topology, change: TopologyChange, ctx: ResolveContext): Topology => {
  if (change.nodes.length === 0 && change.moves.length === 0) return base;
  const isNew = (node: string): boolean => change.nodes.includes(node);
  const moveOf = (ref: DeviceRef) => change.moves.find((m) => m.device.node === ref.node && m.device.dev === ref.dev);
  const devicesOf = (node: string): string[] => [LOOPBACK, ...change.moves.filter((m) => m.to === node).map((m) => m.device.dev)];
  const originOf = (node: string): string | undefined => change.moves.find((m) => m.to === node)?.device.node;
  const addresses = base.addresses.map((a) => {
    const m = moveOf(a.ref);
    return m ? { ...a, ref: { node: m.to, dev: a.ref.dev } } : a;
  });
  const report = (path: KeyPath, message: string, onKey: boolean): void =>
    onKey ? ctx.problems.atKey(path, message) : ctx.problems.at(path, message);

  return {
    ...base,
    addresses,
    hasNode: (node) => isNew(node) || base.hasNode(node),
    hasDevice: (node, dev) => (isNew(node) ? devicesOf(node).includes(dev) : !moveOf({ node, dev }) && base.hasDevice(node, dev)),
    addressesOf: (node, dev) => addresses.filter((a) => a.ref.node === node && a.ref.dev === dev),
    addressesKnown: (node) => base.addressesKnown(originOf(node) ?? node),
    checkNode: (node, path, onKey) => isNew(node) || base.checkNode(node, path, onKey),
    checkDevice: (ref, path, onKey = false) => {
      if (isNew(ref.node)) {
        if (devicesOf(ref.node).includes(ref.dev)) return true;
        report(path, notADeviceMessage(ref.node, ref.dev, devicesOf(ref.node)), onKey);
        return false;
      }
      const m = moveOf(ref);
      if (m) {
        report(path, `${ref.node}:${ref.dev} is in ${m.to} once the recipe has moved it: write ${m.to}:${ref.dev}`, onKey);
        return false;
      }
      return base.checkDevice(ref, path, onKey);
    },
  };
};
