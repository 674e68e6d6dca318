// The ARP/ND evidence of a probe sent through a gateway names only the sender's exchange for that
// gateway, on the device it left by, though others resolve addresses in the same window (the
// router on its far side, the destination for its answer): test/integration/fixtures/arp-gateway.yaml,
// reproduced by hand first (see its comment). And a probe that dies at ARP for its gateway keeps
// its cause and its evidence.
import { join } from 'node:path';
import t from 'tap';
import { lab, needsRoot, ROOT, whyNotPassed } from './helpers.js';

const FIXTURE = join(ROOT, 'test', 'integration', 'fixtures', 'arp-gateway.yaml');

interface Exchange { protocol: string; askedOn: string[]; heardBy: string[]; answeredBy: string[]; entry?: { address: string; dev: string; owner?: string; state: string } }
interface Probe { name: string; cause: string | null; explanation: string; evidence: string[]; neighbour?: Exchange }
interface CaseJson {
  name: string;
  status: string;
  probes: Probe[];
  expectations: { what: string; ok: boolean; expected: unknown; actual: unknown }[];
}

t.test('two senders resolve their gateways in one window: each probe names only its sender\'s exchange', { skip: needsRoot }, async (t) => {
  const r = await lab(['run', FIXTURE, '--format', 'json', '--explain']);
  t.equal(r.exitCode, 0, String(r.stderr));
  const cases = JSON.parse(String(r.stdout)).scenarios[0].cases as CaseJson[];
  const byName = (name: string): CaseJson | undefined => cases.find((c) => c.name === name);
  for (const c of cases) t.equal(c.status, 'pass', `${c.name}\n${whyNotPassed(c)}`);

  const [v4, v6] = byName('two senders resolve their gateways in one window')?.probes ?? [];
  for (const [p, protocol, gateway] of [[v4, 'arp', '192.0.2.254'], [v6, 'nd', '2001:db8:10::fe']] as const) {
    const ex = p?.neighbour;
    t.equal(ex?.protocol, protocol, `${p?.name}: ${protocol}`);
    t.equal(ex?.entry?.address, gateway, `${p?.name}: the gateway's entry`);
    t.equal(ex?.entry?.owner, 'r:eth0', `${p?.name}: answered with r:eth0's MAC`);
    t.same(ex?.askedOn, ['h1:eth0'], `${p?.name}: asked on h1:eth0 only, not r:eth1 or h2:eth0`);
    t.same(ex?.answeredBy, ['r:eth0'], `${p?.name}: answered by r:eth0 only, not h2:eth0 or r:eth1`);
    t.notOk(ex?.heardBy.some((k) => k === 'h2:eth0' || k === 'r:eth1'), `${p?.name}: heard on h1's link only: ${ex?.heardBy}`);
    const line = p?.evidence.find((l) => l.startsWith(`${protocol.toUpperCase()} for`));
    t.match(line, new RegExp(`^${protocol.toUpperCase()} for ${gateway}: asked on h1:eth0; replies sent by r:eth0; answer: \\S+ \\(r:eth0\\)`), `${p?.name}: ${line}`);
  }

  const dead = byName('nobody answers for the gateway')?.probes ?? [];
  t.same(dead.map((p) => p.cause), ['NEIGH_FAILED', 'NEIGH_FAILED']);
  t.match(dead[0]?.explanation, /neighbour 192\.0\.2\.253 on h1:eth0 is (FAILED|INCOMPLETE); the ARP request went out on h1:eth0, nobody answered/);
  t.match(dead[1]?.explanation, /neighbour 2001:db8:10::fd on h1:eth0 is (FAILED|INCOMPLETE); the neighbour solicitation went out on h1:eth0, nobody answered/);

  const router = byName('the router asks for its next hop in vain')?.probes ?? [];
  t.same(router.map((p) => p.cause), ['NEIGH_FAILED', 'NEIGH_FAILED'], 'the cause at the router');
  t.equal(router[0]?.explanation, 'not delivered (NEIGH_FAILED): r received it on eth0 and asked for 198.51.100.99 on r:eth1 (ARP request), nobody answered');
  t.equal(router[1]?.explanation, 'not delivered (NEIGH_FAILED): r received it on eth0 and asked for 2001:db8:20::99 on r:eth1 (neighbour solicitation), nobody answered');
  for (const p of router) t.same(p.neighbour?.askedOn, ['h1:eth0'], `${p.name}: h1's exchange holds none of r's requests`);

  const answer = byName('the answer waits for a gateway nobody has')?.probes ?? [];
  t.match(answer[0]?.explanation, /no echo reply \(NEIGH_FAILED\): h2 asked for 198\.51\.100\.99 on h2:eth0 \(ARP request\), nobody answered$/);
  t.match(answer[1]?.explanation, /no echo reply \(NEIGH_FAILED\): h2 asked for 2001:db8:20::99 on h2:eth0 \(neighbour solicitation\), nobody answered$/);
  for (const p of answer) t.same(p.neighbour?.askedOn, ['h1:eth0'], `${p.name}: h2's requests are not h1's`);
});
