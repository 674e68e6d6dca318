import t from 'tap';
import { loadScenarioFile } from '../../../src/model/load.js';
import type { DeviceRef, Probe } from '../../../src/types/scenario.js';

const SEED = 'scenarios/laptop-two-nics.yaml';

const ref = (text: string): DeviceRef => {
  const [node = '', dev = ''] = text.split(':');
  return { node, dev };
};
const refs = (...texts: string[]): DeviceRef[] => texts.map(ref);

const udp = (from: string, to: string, line: number, extra: Partial<Probe> = {}): Probe => ({
  kind: 'udp',
  name: `udp ${from} → ${to}`,
  from: { node: 'laptop', address: from },
  to: { address: to },
  family: 4,
  timeoutMs: 1000,
  listen: true,
  loc: { line, col: 9 },
  ...extra,
});

const acceptLocal = (line: number, col: number, over: Record<string, unknown> = {}) => ({
  name: 'accept-local',
  params: { node: 'laptop', out: 'wlan0', in: 'wlan1', both: false, accept_local: 1, rp_filter: 2, ...over },
  loc: { line, col },
});

t.test('the seed scenario resolves to the laptop with two NICs on one access point', async (t) => {
  const scenario = await loadScenarioFile(SEED);
  t.strictSame(scenario, {
    name: 'laptop-two-nics',
    description: 'Two NICs of one laptop on one access point.',
    file: SEED,
    nodes: [{ name: 'laptop' }, { name: 'ap', bridge: 'br0' }],
    links: [
      { kind: 'veth', ends: refs('laptop:wlan0', 'ap:port0') },
      { kind: 'veth', ends: refs('laptop:wlan1', 'ap:port1') },
    ],
    addresses: [
      { ref: ref('laptop:wlan0'), cidr: '192.0.2.1/24', address: '192.0.2.1', prefix: 24, family: 4 },
      { ref: ref('laptop:wlan1'), cidr: '192.0.2.2/24', address: '192.0.2.2', prefix: 24, family: 4 },
    ],
    cases: [
      {
        name: 'without a recipe the kernel short-cuts through lo',
        description: 'Both addresses are in the local table, so the datagram never leaves the laptop.',
        recipes: [],
        sysctls: [],
        nft: [],
        probes: [udp('192.0.2.1', '192.0.2.2', 19)],
        expect: {
          delivered: true,
          path: refs('laptop:lo'),
          notVia: refs('laptop:wlan0', 'ap:port0'),
          loc: { line: 20, col: 13 },
        },
        loc: { line: 16, col: 5 },
      },
      {
        name: 'accept-local sends it over the wire',
        recipes: [acceptLocal(23, 29)],
        sysctls: [],
        nft: [],
        probes: [udp('192.0.2.1', '192.0.2.2', 25)],
        expect: {
          delivered: true,
          path: refs('laptop:wlan0', 'ap:port0', 'ap:port1', 'laptop:wlan1'),
          loc: { line: 26, col: 13 },
        },
        loc: { line: 22, col: 5 },
      },
      {
        name: 'both directions over the wire',
        recipes: [acceptLocal(29, 29, { both: true })],
        sysctls: [],
        nft: [],
        probes: [
          udp('192.0.2.1', '192.0.2.2', 31, {
            name: 'wlan0 to wlan1',
            expect: { path: refs('laptop:wlan0', 'ap:port0', 'ap:port1', 'laptop:wlan1'), loc: { line: 33, col: 17 } },
          }),
          udp('192.0.2.2', '192.0.2.1', 34, {
            name: 'wlan1 to wlan0',
            expect: { path: refs('laptop:wlan1', 'ap:port1', 'ap:port0', 'laptop:wlan0'), loc: { line: 36, col: 17 } },
          }),
        ],
        expect: { delivered: true, notVia: refs('laptop:lo'), loc: { line: 37, col: 13 } },
        loc: { line: 28, col: 5 },
      },
      {
        name: 'without accept_local the ARP request goes unanswered',
        description: 'wlan1 refuses the ARP request because its sender address (192.0.2.1) is local, so the ' +
          "neighbour entry fails and the datagram never leaves wlan0's queue.\n",
        recipes: [acceptLocal(43, 29, { accept_local: 0 })],
        sysctls: [],
        nft: [],
        probes: [udp('192.0.2.1', '192.0.2.2', 45)],
        expect: { delivered: false, path: [], loc: { line: 46, col: 13 } },
        loc: { line: 39, col: 5 },
      },
      {
        name: 'strict rp_filter refuses it too',
        description: 'accept_local is set, but rp_filter=1 (strict) rejects the local source on wlan1: the ARP ' +
          'request is not answered and nothing crosses the wire.\n',
        recipes: [acceptLocal(52, 29, { rp_filter: 1 })],
        sysctls: [],
        nft: [],
        probes: [udp('192.0.2.1', '192.0.2.2', 54)],
        expect: { delivered: false, path: [], loc: { line: 55, col: 13 } },
        loc: { line: 48, col: 5 },
      },
    ],
  });
});
