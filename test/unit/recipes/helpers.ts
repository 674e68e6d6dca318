// Shared fixtures for recipe tests: the laptop's addresses, and ops as one readable line each.
import type { AddressAssignment } from '../../../src/types/scenario.js';
import type { Op } from '../../../src/types/plan.js';
import type { RecipeContext, RecipeScenarioView } from '../../../src/types/recipe.js';

const addr = (node: string, dev: string, cidr: string): AddressAssignment => {
  const [address = '', prefix = '0'] = cidr.split('/');
  return { ref: { node, dev }, cidr, address, prefix: Number(prefix), family: address.includes(':') ? 6 : 4 };
};

export const LAPTOP_ADDRESSES = [
  addr('laptop', 'wlan0', '192.0.2.1/24'),
  addr('laptop', 'wlan1', '192.0.2.2/24'),
  addr('laptop', 'wlan0', '2001:db8::1/64'),
  addr('laptop', 'wlan1', '2001:db8::2/64'),
];

export const laptop: RecipeContext = {
  addressesOf: (node, dev) => LAPTOP_ADDRESSES.filter((a) => a.ref.node === node && a.ref.dev === dev),
};

/** A laptop with wlan0, wlan1 (both addressed) and eth0 (no address), and an ap node. */
export const laptopView: RecipeScenarioView = {
  hasNode: (n) => n === 'laptop' || n === 'ap',
  hasDevice: (n, d) => n === 'laptop' && ['wlan0', 'wlan1', 'eth0', 'lo'].includes(d),
  addressesOf: laptop.addressesOf,
};

/** `node: argv`, with the capture and the kernel feature an op needs, one line per op. */
export const opLines = (ops: readonly Op[]): string[] =>
  ops.map((o) =>
    `${o.node}: ${o.capture ? `${o.capture}=$(${o.argv.join(' ')})` : o.argv.join(' ')}` +
    (o.requires ? `  [needs ${o.requires}]` : ''));
