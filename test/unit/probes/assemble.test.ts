// The observation of a probe is a pure function of what was read around it: these evidence shapes
// are the ones runProbe reads on the seed topology (laptop:wlan0/wlan1 cabled to ap:port0/port1 on
// ap's bridge br0), written out by hand from what the kernel showed in the integration runs.
import t from 'tap';
import { planCase } from '../../../src/plan/plan.js';
import type { ProbePlan } from '../../../src/types/plan.js';
import { assembleObservation, withMedium, type ObserverCounts, type ProbeEvidence } from '../../../src/probes/assemble.js';
import type { DeviceCount } from '../../../src/types/observation.js';
import { probeResult } from '../../../src/verdict/verdict.js';
import { seedCase, seedScenario } from '../fixtures.js';
import type { Probe } from '../../../src/types/scenario.js';

const base = seedCase().probes[0] as Probe;
const plan = (probes: Probe[] = [base]) => planCase(seedScenario([seedCase({ probes })]), 0, 'lab-x');
const { topology } = plan();

/** Observer counts from `rule id → node:dev → [tx, rx]`. */
const counts = (spec: Record<string, Record<string, [number, number]>>): ObserverCounts =>
  new Map(Object.entries(spec).map(([id, byDev]) => [id, new Map(Object.entries(byDev).map(([k, [tx, rx]]) => [k, { tx, rx } as DeviceCount]))]));

const ok = (stdout: string) => ({ exitCode: 0, stdout, stderr: '' });
const ROUTE_WLAN1 = ok('[{"dst":"192.0.2.2","dev":"wlan1","prefsrc":"192.0.2.1","table":"main","type":"unicast"}]');
const ROUTE_LO = ok('[{"type":"local","dst":"192.0.2.2","dev":"lo","table":"local","prefsrc":"192.0.2.1"}]');
const RULES = ok('[{"priority":0,"src":"all","table":"local"},{"priority":32766,"src":"all","table":"main"}]');

/** Evidence of a udp probe that the receiver got, seen on `datagram`'s devices. */
const evidence = (over: Partial<ProbeEvidence> = {}): ProbeEvidence => ({
  received: true,
  countersBefore: { laptop: { UdpInDatagrams: 3 }, ap: {} },
  countersAfter: { laptop: { UdpInDatagrams: 4 }, ap: {} },
  counts: counts({ 'p0:datagram': { 'laptop:lo': [1, 1], 'laptop:wlan0': [0, 0], 'ap:port0': [0, 0] } }),
  neigh: ok('[]'),
  route: ROUTE_LO,
  rules: RULES,
  hops: [],
  ...over,
});

const assemble = (e: ProbeEvidence, pp: ProbePlan = plan().probes[0] as ProbePlan, window = {}) =>
  assembleObservation(topology, [], pp, 0, e, window);

t.test('delivered through lo: the path, the route decision, the rules and the counter deltas', async (t) => {
  const o = assemble(evidence());
  t.equal(o.delivered, true);
  t.same(o.path, ['laptop:lo']);
  t.same(o.legs.map((l) => l.name), ['datagram']);
  t.same(o.prediction, { ok: true, type: 'local', dev: 'lo', table: 'local', src: '192.0.2.1' });
  t.same(o.rules?.map((r) => r.pref), [0, 32766]);
  t.same(o.counters, { laptop: { UdpInDatagrams: 1 }, ap: {} }, 'what moved during the probe, per node');
  t.notOk(o.exchange, 'nobody asked for an address, and the sender has no entry');
  t.same(o.limits, []);
  t.notOk('answered' in o, 'udp has no answer');
});

t.test('delivered over the wire: the path follows the cables and the bridge', async (t) => {
  const o = assemble(evidence({
    route: ROUTE_WLAN1,
    counts: counts({ 'p0:datagram': { 'laptop:wlan1': [1, 0], 'ap:port1': [0, 1], 'ap:br0': [0, 0], 'ap:port0': [1, 0], 'laptop:wlan0': [0, 1] } }),
  }));
  t.same(o.path, ['laptop:wlan1', 'ap:port1', 'ap:port0', 'laptop:wlan0']);
  t.same(o.devices['ap:port1'], { tx: 0, rx: 1 });
});

t.test('never sent: the error, nothing received, and the ARP exchange counted since the previous probe only', async (t) => {
  const arp = (port0Rx: number): ObserverCounts => counts({
    'p0:datagram': { 'laptop:wlan1': [0, 0] },
    'arp:request': { 'laptop:wlan1': [port0Rx + 1, 0], 'ap:port1': [0, port0Rx + 1], 'ap:port0': [port0Rx + 1, port0Rx], 'laptop:wlan0': [0, port0Rx + 1] },
    'arp:reply': { 'laptop:wlan0': [1, 0] },
  });
  const o = assemble(evidence({
    received: false,
    sendError: 'No route to host',
    route: ROUTE_WLAN1,
    neigh: ok('[{"dst":"192.0.2.2","dev":"wlan1","state":["FAILED"]}]'),
    counts: arp(2),
    // The probe before this one had one request, heard everywhere, and an answer.
    previousCounts: arp(1),
  }));
  t.equal(o.delivered, false);
  t.equal(o.sendError, 'No route to host');
  t.same(o.path, []);
  t.same(o.neighbours, [{ node: 'laptop', dev: 'wlan1', address: '192.0.2.2', state: 'FAILED' }]);
  t.same(o.exchange, {
    protocol: 'arp',
    askedOn: ['laptop:wlan1'],
    heardBy: ['laptop:wlan0'],
    answeredBy: [],
    entry: { node: 'laptop', dev: 'wlan1', address: '192.0.2.2', state: 'FAILED' },
  }, 'the answer before this probe is not this probe\'s; bridge ports neither ask nor answer');
});

t.test('via a gateway: the gateway\'s entry, with the device the decision named; its owner by MAC', async (t) => {
  const pp = plan([{ ...base, to: { address: '198.51.100.7' } }]).probes[0] as ProbePlan;
  const o = assemble(evidence({
    received: false,
    route: ok('[{"dst":"198.51.100.7","gateway":"192.0.2.2","dev":"wlan0","prefsrc":"192.0.2.1","table":"main"}]'),
    neigh: ok('[]'),
    gatewayNeigh: ok('[{"dst":"192.0.2.2","lladdr":"02:00:00:00:00:02","state":["REACHABLE"]}]'),
    macs: new Map([['laptop', new Map([['02:00:00:00:00:02', 'wlan1']])], ['ap', new Map()]]),
    counts: counts({ 'p0:datagram': {} }),
  }), pp);
  t.same(o.neighbours, [{ node: 'laptop', dev: 'wlan0', address: '192.0.2.2', state: 'REACHABLE', lladdr: '02:00:00:00:00:02' }]);
  t.equal(o.exchange?.entry?.owner, 'laptop:wlan1');
  t.same(o.limits, ['no node owns 198.51.100.7, so nothing could receive it']);
});

t.test('icmp: delivered when the echo request reached the receiver\'s ICMP layer, answered or not', async (t) => {
  const pp = plan([{ ...base, kind: 'icmp', listen: false }]).probes[0] as ProbePlan;
  const echo = (before: number, after: number) => evidence({
    received: false,
    answered: false,
    countersBefore: { laptop: { IcmpInEchos: before }, ap: {} },
    countersAfter: { laptop: { IcmpInEchos: after }, ap: {} },
    counts: counts({ 'p0:request': { 'laptop:lo': [1, 1] }, 'p0:reply': {} }),
  });
  const heard = assemble(echo(5, 6), pp);
  t.equal(heard.delivered, true, 'IcmpInEchos grew on the receiving node');
  t.equal(heard.answered, false);
  t.same(heard.legs.map((l) => l.name), ['request', 'reply']);
  t.equal(assemble(echo(6, 6), pp).delivered, false, 'it did not grow');
  t.equal(assemble({ ...echo(6, 6), answered: true }, pp).delivered, true, 'the reply came back');
});

t.test('the receiving side: its input route and the source-check sysctls, named', async (t) => {
  const o = assemble(evidence({
    received: false,
    input: { dev: 'wlan0', route: { exitCode: 2, stdout: '', stderr: 'RTNETLINK answers: Invalid argument' }, sysctls: [0, 2, 0, 0, 1, 0] },
  }));
  t.same(o.inputRoute, { dev: 'wlan0', decision: { ok: false, error: 'Invalid argument' } });
  t.same(o.inputSysctls, {
    'all.accept_local': 0, 'all.rp_filter': 2, 'all.route_localnet': 0,
    'wlan0.accept_local': 0, 'wlan0.rp_filter': 1, 'wlan0.route_localnet': 0,
  });
  t.notOk('inputSysctls' in assemble(evidence({ input: { dev: 'wlan0', route: ROUTE_LO } })), 'not readable: none');
});

t.test('what the tracers saw in the window goes in with the rest, limits after the probe\'s own', async (t) => {
  const pp = plan([{ ...base, to: { address: '198.51.100.7' } }]).probes[0] as ProbePlan;
  const lookup = { comm: 'perl', table: 254, oif: 0, iif: 1, proto: 17, src: '192.0.2.1', sport: 42000, dst: '198.51.100.7', dport: 47000, tos: 0, dev: 'wlan0', err: 0 };
  const o = assemble(evidence(), pp, {
    dropReasons: [{ reason: 'NEIGH_FAILED', count: 1 }],
    lookups: [lookup],
    limits: ['the fib_table_lookup tracepoints cannot be used: no tracefs'],
  });
  t.same(o.dropReasons, [{ reason: 'NEIGH_FAILED', count: 1 }]);
  t.same(o.lookups, [lookup]);
  t.same(o.limits, ['no node owns 198.51.100.7, so nothing could receive it', 'the fib_table_lookup tracepoints cannot be used: no tracefs']);
  t.notOk('dropReasons' in assemble(evidence(), pp), 'no tracer: no key');
});

t.test('pure: the same evidence gives the same observation and is left as it was', async (t) => {
  const e = evidence({ previousCounts: counts({ 'arp:request': { 'laptop:wlan1': [1, 0] } }) });
  const before = JSON.stringify(e, (_k, v: unknown) => (v instanceof Map ? [...v] : v));
  const a = assemble(e);
  const b = assemble(e);
  t.same(a, b);
  t.not(a, b, 'a new observation each time');
  t.equal(JSON.stringify(e, (_k, v: unknown) => (v instanceof Map ? [...v] : v)), before, 'the evidence is not changed');
});

t.test('the media\'s frames make a new observation, which the verdict carries', async (t) => {
  const o = assemble(evidence());
  const medium = { frames: 2, media: { w0: 2 } };
  const seen = withMedium(o, medium);
  t.not(seen, o);
  t.notOk('medium' in o, 'the observation it came from is unchanged');
  t.same(seen.medium, medium);
  t.equal(withMedium(o, undefined), o, 'nothing seen: the same observation');
  t.same(probeResult(base, '192.0.2.2:47000', seen, 'laptop').medium, medium);
  t.notOk('medium' in probeResult(base, '192.0.2.2:47000', o, 'laptop'));
});
