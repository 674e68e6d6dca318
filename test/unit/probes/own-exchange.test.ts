// The ARP/ND exchange of a probe sent through a gateway is the sender's own: its request for the
// next hop its route decision picked, on the device it left by, heard and answered on that
// device's link. The observer counts ARP on every device of every node, so a probe's window also
// holds the router resolving the destination on its far side and the destination resolving its own
// gateway for the answer. The counts below are those of scenarios/router.yaml, case "a ping is
// answered through the router", probe 1 (h1 192.0.2.1 -> 198.51.100.1), as `lab run --explain
// --json` reported them (askedOn/heardBy/answeredBy of the old selection) and as tcpdump -e -n arp
// showed them by hand in namespaces h-arpgw-* on kernel 6.18: h1:eth0 asks for 192.0.2.254
// (r:eth0 answers), then r:eth1 asks for 198.51.100.1 (h2:eth0 answers).
import t from 'tap';
import { planCase } from '../../../src/plan/plan.js';
import { loadScenarioFile } from '../../../src/recipes/scenario.js';
import type { CasePlan, ProbePlan } from '../../../src/types/plan.js';
import { assembleObservation, type ObserverCounts, type ProbeEvidence } from '../../../src/probes/assemble.js';
import { exchangeScope, ownExchange, entryOnHop } from '../../../src/probes/next-hop.js';
import { linkSegment } from '../../../src/probes/link-segment.js';
import type { DeviceCount } from '../../../src/types/observation.js';
import { probeResult } from '../../../src/verdict/verdict.js';

const counts = (spec: Record<string, Record<string, [number, number]>>): ObserverCounts =>
  new Map(Object.entries(spec).map(([id, byDev]) => [id, new Map(Object.entries(byDev).map(([k, [tx, rx]]) => [k, { tx, rx } as DeviceCount]))]));
const ok = (stdout: string) => ({ exitCode: 0, stdout, stderr: '' });

const routerCase = async (name: string): Promise<CasePlan> => {
  const scenario = await loadScenarioFile('scenarios/router.yaml');
  return planCase(scenario, scenario.cases.findIndex((c) => c.name === name), 'lab-x');
};

const R_ETH0 = '02:9a:00:00:00:fe';
/** h1's ping through r: the request and the answer, and both ARP exchanges of the window. */
const pingThroughRouter = (over: Partial<ProbeEvidence> = {}): ProbeEvidence => ({
  received: false,
  answered: true,
  countersBefore: {},
  countersAfter: {},
  counts: counts({
    'p0:request': { 'h1:eth0': [1, 0], 'r:eth0': [0, 1], 'r:eth1': [1, 0], 'h2:eth0': [0, 1] },
    'p0:reply': { 'h2:eth0': [1, 0], 'r:eth1': [0, 1], 'r:eth0': [1, 0], 'h1:eth0': [0, 1] },
    'arp:request': { 'h1:eth0': [1, 0], 'r:eth0': [0, 1], 'r:eth1': [1, 0], 'h2:eth0': [0, 1] },
    'arp:reply': { 'r:eth0': [1, 0], 'h1:eth0': [0, 1], 'h2:eth0': [1, 0], 'r:eth1': [0, 1] },
  }),
  neigh: ok('[]'),
  route: ok('[{"dst":"198.51.100.1","gateway":"192.0.2.254","dev":"eth0","prefsrc":"192.0.2.1","table":"main","type":"unicast"}]'),
  gatewayNeigh: ok(`[{"dst":"192.0.2.254","lladdr":"${R_ETH0}","state":["REACHABLE"]}]`),
  macs: new Map([['h1', new Map()], ['r', new Map([[R_ETH0, 'eth0']])], ['h2', new Map()]]),
  rules: ok('[]'),
  hops: [],
  ...over,
});

t.test('the links of the router scenario and of the seed', async (t) => {
  const { topology } = await routerCase('a ping is answered through the router');
  t.same([...linkSegment(topology, 'h1', 'eth0')].sort(), ['h1:eth0', 'r:eth0']);
  t.same([...linkSegment(topology, 'r', 'eth1')].sort(), ['h2:eth0', 'r:eth1']);
  t.same([...linkSegment(topology, 'h1', 'lo')], ['h1:lo'], 'lo shares its link with nobody');
  const seed = planCase(await loadScenarioFile('scenarios/laptop-two-nics.yaml'), 0, 'lab-x').topology;
  t.same([...linkSegment(seed, 'laptop', 'wlan1')].sort(), ['ap:br0', 'ap:port0', 'ap:port1', 'laptop:wlan0', 'laptop:wlan1'],
    'through the bridge, its device included');
});

t.test('via a gateway: the request for the gateway on the device the decision left by, nothing of the far side', async (t) => {
  const cp = await routerCase('a ping is answered through the router');
  const pp = cp.probes[0] as ProbePlan;
  const e = pingThroughRouter();
  // The check is live: the window does hold the router's own exchange on its far side.
  t.same([...(e.counts.get('arp:request')?.keys() ?? [])], ['h1:eth0', 'r:eth0', 'r:eth1', 'h2:eth0']);
  const o = assembleObservation(cp.topology, [], pp, 0, e);
  t.same(o.exchange, {
    protocol: 'arp',
    askedOn: ['h1:eth0'],
    heardBy: ['r:eth0'],
    answeredBy: ['r:eth0'],
    entry: { node: 'h1', dev: 'eth0', address: '192.0.2.254', state: 'REACHABLE', lladdr: R_ETH0, owner: 'r:eth0' },
  }, 'r:eth1 asking for 198.51.100.1 and h2:eth0 answering it are not h1\'s exchange');
  const result = probeResult(pp.probe, pp.probe.to.address, o, pp.receiverNode, pp.port);
  const line = result.evidence.find((l) => l.startsWith('ARP for'));
  t.equal(line, `ARP for 192.0.2.254: asked on h1:eth0; replies sent by r:eth0; answer: ${R_ETH0} (r:eth0) [REACHABLE]`);
});

t.test('the sender\'s device answering the router, or hearing its request, is not the sender\'s exchange', async (t) => {
  const cp = await routerCase('a ping is answered through the router');
  const pp = cp.probes[0] as ProbePlan;
  // r resolves h1 as well in the window (its entry for h1 had gone stale): r:eth0 asks, h1:eth0 answers.
  const o = assembleObservation(cp.topology, [], pp, 0, pingThroughRouter({
    counts: counts({
      'arp:request': { 'h1:eth0': [1, 1], 'r:eth0': [1, 1] },
      'arp:reply': { 'r:eth0': [1, 1], 'h1:eth0': [1, 1] },
    }),
  }));
  t.same([o.exchange?.askedOn, o.exchange?.heardBy, o.exchange?.answeredBy], [['h1:eth0'], ['r:eth0'], ['r:eth0']]);
});

t.test('died at ARP for an absent gateway: the cause keeps its evidence, without another node\'s answer', async (t) => {
  const cp = await routerCase('a ping is answered through the router');
  const pp = cp.probes[0] as ProbePlan;
  const o = assembleObservation(cp.topology, [], pp, 0, pingThroughRouter({
    answered: false,
    counts: counts({
      'p0:request': { 'h1:eth0': [0, 0] },
      // h1 asks three times for 192.0.2.253, which nobody has; meanwhile r and h2 resolve each other.
      'arp:request': { 'h1:eth0': [3, 0], 'r:eth0': [0, 3], 'r:eth1': [1, 0], 'h2:eth0': [0, 1] },
      'arp:reply': { 'h2:eth0': [1, 0], 'r:eth1': [0, 1] },
    }),
    route: ok('[{"dst":"198.51.100.1","gateway":"192.0.2.253","dev":"eth0","prefsrc":"192.0.2.1","table":"main","type":"unicast"}]'),
    gatewayNeigh: ok('[{"dst":"192.0.2.253","state":["FAILED"]}]'),
  }));
  t.same(o.exchange?.askedOn, ['h1:eth0']);
  t.same(o.exchange?.answeredBy, []);
  const result = probeResult(pp.probe, pp.probe.to.address, o, pp.receiverNode, pp.port);
  t.equal(result.cause, 'NEIGH_FAILED');
  t.equal(result.explanation, 'not delivered (NEIGH_FAILED): neighbour 192.0.2.253 on h1:eth0 is FAILED; the ARP request went out on h1:eth0, nobody answered');
});

t.test('the scope: the decision\'s device and its link; without a decision, every device of the sender', async (t) => {
  const { topology } = await routerCase('a ping is answered through the router');
  const seen = {
    requests: { sent: ['h1:eth0', 'r:eth1', 'r:eth0'], received: ['r:eth0', 'h2:eth0', 'h1:eth0'] },
    repliesSent: ['r:eth0', 'h2:eth0', 'h1:eth0'],
  };
  t.same(ownExchange(exchangeScope(topology, 'h1', { address: '192.0.2.254', dev: 'eth0' }), seen),
    { askedOn: ['h1:eth0'], heardBy: ['r:eth0'], answeredBy: ['r:eth0'] });
  t.same(ownExchange(exchangeScope(topology, 'r', { address: '198.51.100.1', dev: 'eth1' }), seen),
    { askedOn: ['r:eth1'], heardBy: ['h2:eth0'], answeredBy: ['h2:eth0'] }, 'the router\'s own, seen from the router');
  t.same(ownExchange(exchangeScope(topology, 'h1', { address: '198.51.100.1' }), seen),
    { askedOn: ['h1:eth0'], heardBy: ['r:eth0'], answeredBy: ['r:eth0'] }, 'no decision: h1 has one device that can ask');
});

t.test('the entry on the device the decision leaves by, when the sender has several', async (t) => {
  const entries = [{ dev: 'wlan0', state: 'STALE' }, { dev: 'wlan1', state: 'FAILED' }];
  t.equal(entryOnHop(entries, { address: 'x', dev: 'wlan1' })?.state, 'FAILED');
  t.equal(entryOnHop(entries, { address: 'x' })?.state, 'STALE', 'no device named: the first');
  t.equal(entryOnHop(entries, { address: 'x', dev: 'eth9' }), undefined, 'an entry on another device is another exchange\'s');
});

t.test('a router that asks for its next hop in vain: its own exchange, and the cause at the hop', async (t) => {
  const cp = await routerCase('a ping is answered through the router');
  const pp = cp.probes[0] as ProbePlan;
  // Recorded by hand (h-arpgw-4/5, kernel 6.18): r routes 203.0.113.0/24 via 198.51.100.99, which
  // nobody has; tcpdump on r:eth1 shows "who-has 198.51.100.99 tell 198.51.100.254" once a second
  // and `ip neigh` INCOMPLETE, then FAILED after three. route get on r answers with the route.
  const hop = {
    leg: 'request' as const, node: 'r', iif: 'eth0', dst: '203.0.113.5', src: '192.0.2.1', family: 4 as const,
    decision: { ok: true as const, type: 'unicast', dev: 'eth1', table: 'main', gateway: '198.51.100.99' },
    forwarding: 1, forwardingKey: 'net.ipv4.conf.eth0.forwarding', rpFilter: 0, routes: [],
  };
  const observe = (arp: Record<string, Record<string, [number, number]>>) => assembleObservation(cp.topology, [], pp, 0, pingThroughRouter({
    answered: false,
    counts: counts({ 'p0:request': { 'h1:eth0': [1, 0], 'r:eth0': [0, 1] }, ...arp }),
    hops: [hop],
  }));
  const failed = observe({
    'arp:request': { 'h1:eth0': [1, 0], 'r:eth0': [0, 1], 'r:eth1': [1, 0], 'h2:eth0': [0, 1] },
    'arp:reply': { 'r:eth0': [1, 0], 'h1:eth0': [0, 1] },
  });
  t.same(failed.hops?.[0]?.exchange, { protocol: 'arp', askedOn: ['r:eth1'], heardBy: ['h2:eth0'], answeredBy: [] },
    'r:eth0 answering h1 is not r\'s exchange for its next hop');
  t.same(failed.exchange?.askedOn, ['h1:eth0'], 'and r:eth1 is not h1\'s');
  const result = probeResult(pp.probe, pp.probe.to.address, failed, pp.receiverNode, pp.port);
  t.equal(result.cause, 'NEIGH_FAILED');
  t.equal(result.explanation, 'not delivered (NEIGH_FAILED): r received it on eth0 and asked for 198.51.100.99 on r:eth1 (ARP request), nobody answered');
  t.ok(result.evidence.some((l) => l.startsWith('request at r: ') && l.endsWith('; ARP for 198.51.100.99: asked on r:eth1, no reply')), result.evidence.join('\n'));

  // Negative control: answered on that link, the hop names no cause of its own.
  const answered = observe({
    'arp:request': { 'h1:eth0': [1, 0], 'r:eth0': [0, 1], 'r:eth1': [1, 0], 'h2:eth0': [0, 1] },
    'arp:reply': { 'r:eth0': [1, 0], 'h1:eth0': [0, 1], 'h2:eth0': [1, 0], 'r:eth1': [0, 1] },
  });
  t.same(answered.hops?.[0]?.exchange?.answeredBy, ['h2:eth0']);
  t.not(probeResult(pp.probe, pp.probe.to.address, answered, pp.receiverNode, pp.port).cause, 'NEIGH_FAILED');
});
