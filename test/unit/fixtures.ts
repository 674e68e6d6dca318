// Hand-built models for unit tests that must not depend on the loader.
import type { Case, Scenario } from '../../src/types/scenario.js';
import { SEED_TOPOLOGY_YAML } from '../../src/bench/matrix.js';

const loc = { line: 1, col: 1 };

export const seedCase = (over: Partial<Case> = {}): Case => ({
  name: 'a case',
  recipes: [],
  sysctls: [],
  nft: [],
  probes: [
    {
      kind: 'udp',
      name: 'udp 192.0.2.1 → 192.0.2.2',
      from: { node: 'laptop', address: '192.0.2.1' },
      to: { address: '192.0.2.2' },
      family: 4,
      timeoutMs: 1000,
      listen: true,
      loc,
    },
  ],
  expect: {},
  loc,
  ...over,
});

/** The seed topology: laptop:wlan0/wlan1 cabled to ap:port0/port1 on ap's bridge br0. */
export const seedScenario = (cases: Case[] = [seedCase()]): Scenario => ({
  name: 'laptop-two-nics',
  file: 'scenarios/laptop-two-nics.yaml',
  nodes: [{ name: 'laptop' }, { name: 'ap', bridge: 'br0' }],
  links: [
    { kind: 'veth', ends: [{ node: 'laptop', dev: 'wlan0' }, { node: 'ap', dev: 'port0' }] },
    { kind: 'veth', ends: [{ node: 'laptop', dev: 'wlan1' }, { node: 'ap', dev: 'port1' }] },
  ],
  addresses: [
    { ref: { node: 'laptop', dev: 'wlan0' }, cidr: '192.0.2.1/24', address: '192.0.2.1', prefix: 24, family: 4 },
    { ref: { node: 'laptop', dev: 'wlan1' }, cidr: '192.0.2.2/24', address: '192.0.2.2', prefix: 24, family: 4 },
  ],
  cases,
});

/**
 * The seed topology as scenario YAML, named `name`, followed by `cases` (a YAML block that starts
 * with `cases:`' entries). The header is 11 lines, so a case's line numbers do not depend on it.
 */
export const seedYaml = (name: string, cases: string): string => `name: ${name}
${SEED_TOPOLOGY_YAML}cases:
${cases}`;
