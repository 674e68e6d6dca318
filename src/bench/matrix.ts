// The matrix the bench runs with --jobs 1 and --jobs 2: the default scenario's topology with the
// accept-local recipe over rp_filter {0, 2} × direction {one-way, both} × a TTL dimension sized
// to reach the number of cells asked for. Every cell sends its datagram over the wire (measured
// first: accept_local=1 with rp_filter 0 or 2 delivers one way and both ways), so no cell waits
// for a probe timeout and the time is the lab's own work.

export const checkMatrixCells = (cells: number): string | undefined =>
  Number.isInteger(cells) && cells >= 4 && cells % 4 === 0 && cells <= 4 * 191
    ? undefined
    : `the matrix has rp_filter × direction × TTL cells: a multiple of 4 from 4 to ${4 * 191}, got ${cells}`;

/** The default scenario's topology (scenarios/laptop-two-nics.yaml) as YAML: nodes, links, addresses. */
export const SEED_TOPOLOGY_YAML = `nodes:
  laptop: {}
  ap: { bridge: br0 }
links:
  - [laptop:wlan0, ap:port0]
  - [laptop:wlan1, ap:port1]
addresses:
  laptop:wlan0: 192.0.2.1/24
  laptop:wlan1: 192.0.2.2/24
`;

export const matrixScenarioText = (cells: number): string => {
  const ttls = Array.from({ length: cells / 4 }, (_, i) => 64 + i);
  return `name: bench-matrix-${cells}
description: ${cells} cells of accept-local, each in a fresh copy of the topology (lab bench).
${SEED_TOPOLOGY_YAML}cases:
  - name: accept-local
    recipe: { accept-local: { node: laptop, out: wlan0, in: wlan1 } }
    matrix:
      rp_filter: { set: accept-local.rp_filter, values: [0, 2] }
      direction: { set: accept-local.both, values: { one-way: false, both: true } }
      ttl: { set: "laptop:net.ipv4.ip_default_ttl", values: [${ttls.join(', ')}] }
    probes:
      - udp: { from: laptop:192.0.2.1, to: 192.0.2.2 }
    expect: { delivered: true, path: [laptop:wlan0, ap:port0, ap:port1, laptop:wlan1] }
`;
};
