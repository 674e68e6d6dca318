// linear,N: the topology Mininet calls `--topo linear,N`: N hosts, N switches in a chain, each
// host cabled to its switch. lab builds it as a scenario (switches are bridges, each in its own
// namespace); the floor is the same namespaces and veth pairs made by a single `ip -batch`.

/** Host addresses come from one documentation /24: .1 … .N. */
const MAX_LINEAR = 250;

export const checkLinearSize = (n: number): string | undefined =>
  Number.isInteger(n) && n >= 2 && n <= MAX_LINEAR ? undefined : `linear,N needs an integer N from 2 to ${MAX_LINEAR}, got ${n}`;

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

/**
 * The scenario file of linear,N. Host hI has eth0 (198.51.100.I/24) cabled to eth1 of switch sI;
 * sI's eth2 is cabled to eth3 of sI+1. One case with one probe, because a scenario needs them; the
 * bench only builds and tears down, it sends nothing.
 */
export const linearScenarioText = (n: number): string => {
  const lines = [
    `name: linear-${n}`,
    `description: ${n} hosts and ${n} switches (bridges) in a chain, like Mininet's linear,${n}.`,
    'nodes:',
    ...range(n).map((i) => `  h${i}: {}`),
    ...range(n).map((i) => `  s${i}: { bridge: br0 }`),
    'links:',
    ...range(n).map((i) => `  - [h${i}:eth0, s${i}:eth1]`),
    ...range(n - 1).map((i) => `  - [s${i}:eth2, s${i + 1}:eth3]`),
    'addresses:',
    ...range(n).map((i) => `  h${i}:eth0: 198.51.100.${i}/24`),
    'cases:',
    '  - name: build',
    `    probes: [ { udp: { from: h1:198.51.100.1, to: 198.51.100.${n} } } ]`,
    '    expect: { delivered: true }',
  ];
  return `${lines.join('\n')}\n`;
};

interface FloorBatch {
  /** Every namespace the batch creates, to be recorded before it runs. */
  namespaces: string[];
  /** `ip -batch -` input that creates the namespaces and the veth pairs (straight into them). */
  create: string;
  /** `ip -batch -` input that deletes the namespaces again (their veths go with them). */
  remove: string;
}

/** The raw floor of linear,N: namespaces and veth pairs, nothing else, in one `ip` process. */
export const floorBatch = (prefix: string, n: number): FloorBatch => {
  const host = (i: number): string => `${prefix}-h${i}`;
  const sw = (i: number): string => `${prefix}-s${i}`;
  const namespaces = range(n).flatMap((i) => [host(i), sw(i)]);
  // `link add … netns A … peer … netns B` creates both ends inside their namespaces: nothing
  // ever appears in the root namespace, not even for an instant.
  const create = [
    ...namespaces.map((ns) => `netns add ${ns}`),
    ...range(n).map((i) => `link add eth0 netns ${host(i)} type veth peer name eth1 netns ${sw(i)}`),
    ...range(n - 1).map((i) => `link add eth2 netns ${sw(i)} type veth peer name eth3 netns ${sw(i + 1)}`),
  ];
  const remove = namespaces.map((ns) => `netns del ${ns}`);
  return { namespaces, create: `${create.join('\n')}\n`, remove: `${remove.join('\n')}\n` };
};
