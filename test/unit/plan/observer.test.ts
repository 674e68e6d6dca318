// The observers are part of the case's plan: one `nft -f -` op per node, built from the probes'
// legs and the ARP/ND rules; a topology without probes has none.
import t from 'tap';
import { OBSERVER_TABLE, observerOps } from '../../../src/plan/observer.js';
import { planCase, withoutProbes } from '../../../src/plan/plan.js';
import { seedCase, seedScenario } from '../fixtures.js';

t.test('a case with probes: an observer op per node, counting every leg and the ARP exchange on each of its devices', async (t) => {
  const plan = planCase(seedScenario(), 0, 'lab-x');
  t.same(plan.observers.map((op) => [op.node, op.argv.join(' ')]), [['laptop', 'nft -f -'], ['ap', 'nft -f -']]);
  const laptop = plan.observers[0]?.input ?? '';
  t.match(laptop, new RegExp(`^table netdev ${OBSERVER_TABLE} \\{`));
  for (const dev of ['lo', 'wlan0', 'wlan1']) t.match(laptop, `device "${dev}"`, `counts on laptop:${dev}`);
  t.notMatch(laptop, 'device "port0"', 'only the node\'s own devices');
  t.match(laptop, `udp dport ${plan.probes[0]?.port} counter comment "p0:datagram"`);
  t.match(laptop, 'counter comment "arp:request"');
  t.notMatch(laptop, 'nd:solicit', 'no IPv6 probe: no ND rules');
  t.ok(plan.observers.every((op) => op.why), 'each op says why it is there');
  t.notOk(plan.ops.some((op) => op.argv.join(' ') === 'nft -f -' && op.input?.includes(OBSERVER_TABLE)), 'not among the ops a recipe show or --explain lists');
});

t.test('no probes, no observers', async (t) => {
  t.same(observerOps(planCase(seedScenario(), 0, 'lab-x').topology, []), []);
  t.same(planCase(seedScenario([seedCase({ probes: [] })]), 0, 'lab-x').observers, []);
  const bare = withoutProbes(planCase(seedScenario(), 0, 'lab-x'));
  t.same([bare.probes, bare.observers], [[], []], 'the topology alone, as the bench builds it');
});
