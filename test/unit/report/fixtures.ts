// A scenario loaded by the real loader (so source positions are real) and hand-made results for it.
import { parseScenario } from '../../../src/model/load.js';
import type { Scenario } from '../../../src/types/scenario.js';
import type { ScenarioResult, CaseResult, ProbeResult } from '../../../src/types/result.js';
import { locateCases, type Locations } from '../../../src/report/locate.js';
import { seedYaml } from '../fixtures.js';

export const FILE = 'scenarios/ci.yaml';

// Line numbers matter: the tests check annotations against them.
export const YAML = seedYaml('ci-lab', `  - name: over the wire
    recipe: { accept-local: { node: laptop, out: wlan0, in: wlan1 } }
    probes:
      - udp: { from: laptop:192.0.2.1, to: 192.0.2.2 }
    expect:
      delivered: true
      path: [laptop:wlan0, ap:port0, ap:port1, laptop:wlan1]
  - name: 'expects the wire # but gets lo <&>'
    probes:
      - udp: { from: laptop:192.0.2.1, to: 192.0.2.2 }
    expect: { delivered: true, not-via: [laptop:lo] }
  - name: two probes
    recipe: { accept-local: { node: laptop, out: wlan0, in: wlan1, both: true } }
    probes:
      - name: there
        udp: { from: laptop:192.0.2.1, to: 192.0.2.2 }
      - name: back
        udp: { from: laptop:192.0.2.2, to: 192.0.2.1 }
        expect:
          path: [laptop:wlan1, ap:port1, ap:port0, laptop:wlan0]
    expect: { delivered: true }
  - name: cannot be built
    probes:
      - udp: { from: laptop:192.0.2.1, to: 192.0.2.2 }
`);

/** Lines of the YAML above, 1-based, that the reports must point at. */
export const LINES = {
  overTheWire: 12,
  expectsTheWire: 19,
  notVia: 22,
  twoProbes: 23,
  backPath: 31,
  backDelivered: 32,
  cannotBeBuilt: 33,
} as const;

export const scenario = (): Scenario => parseScenario(YAML, FILE);
export const locations = (): Locations => locateCases(scenario(), YAML);

const WIRE = ['laptop:wlan0', 'ap:port0', 'ap:port1', 'laptop:wlan1'];

export const probe = (over: Partial<ProbeResult> = {}): ProbeResult =>
  ({
    name: 'udp 192.0.2.1 → 192.0.2.2',
    proto: 'udp',
    from: 'laptop:192.0.2.1',
    to: '192.0.2.2:47000',
    delivered: true,
    path: WIRE,
    devices: {},
    explanation: 'delivered over the wire, received on laptop:wlan1',
    cause: null,
    evidence: [],
    prediction: null,
    ...over,
  }) as ProbeResult;

export const cases = (): CaseResult[] => [
  {
    name: 'over the wire',
    status: 'pass',
    probes: [probe()],
    expectations: [
      { what: 'udp 192.0.2.1 → 192.0.2.2: delivered', expected: true, actual: true, ok: true },
      { what: 'udp 192.0.2.1 → 192.0.2.2: path', expected: WIRE, actual: WIRE, ok: true },
    ],
    durationMs: 703.4,
  },
  {
    name: 'expects the wire # but gets lo <&>',
    status: 'fail',
    probes: [probe({ path: ['laptop:lo'], explanation: 'delivered through laptop:lo; nothing crossed the wire' })],
    expectations: [
      { what: 'udp 192.0.2.1 → 192.0.2.2: delivered', expected: true, actual: true, ok: true },
      { what: 'udp 192.0.2.1 → 192.0.2.2: not-via', expected: ['laptop:lo'], actual: ['laptop:lo'], ok: false },
    ],
    durationMs: 650,
  },
  {
    name: 'two probes',
    status: 'fail',
    probes: [
      probe({ name: 'there' }),
      probe({ name: 'back', delivered: false, path: ['laptop:wlan1'], explanation: 'not delivered: last seen on laptop:wlan1' }),
    ],
    expectations: [
      { what: 'there: delivered', expected: true, actual: true, ok: true },
      { what: 'back: delivered', expected: true, actual: false, ok: false },
      { what: 'back: path', expected: [...WIRE].reverse(), actual: ['laptop:wlan1'], ok: false },
    ],
    durationMs: 1200,
  },
  {
    name: 'cannot be built',
    status: 'error',
    probes: [],
    expectations: [],
    error: '`ip link add wlan0` exited with 2: RTNETLINK answers: File exists',
    durationMs: 12,
  },
];

export const results = (over: Partial<ScenarioResult> = {}): ScenarioResult[] => [
  { name: 'ci-lab', file: FILE, kernel: '6.18.0-test', cases: cases(), ...over },
];
