// Every cause of the vocabulary, produced for real by scenarios/why-not-delivered.yaml.
import { join } from 'node:path';
import t from 'tap';
import { lab, needsRoot, ROOT } from './helpers.js';

interface Probe {
  name: string;
  proto: string;
  delivered: boolean;
  path: string[];
  cause: string | null;
  explanation: string;
  evidence: string[];
  prediction: { ok: boolean; dev?: string } | null;
  reply?: { path: string[] };
  neighbour?: { protocol: string; askedOn: string[]; answeredBy: string[]; entry?: { owner?: string; state: string } };
}

t.test('each cause, from evidence, for real', { skip: needsRoot }, async (t) => {
  const r = await lab(['run', join(ROOT, 'scenarios', 'why-not-delivered.yaml'), '--format', 'json']);
  t.equal(r.exitCode, 0, String(r.stderr));
  const cases = JSON.parse(String(r.stdout)).scenarios[0].cases as { name: string; status: string; probes: Probe[] }[];
  const probes = (name: string): Probe[] => cases.find((c) => c.name === name)?.probes ?? [];
  for (const c of cases) t.equal(c.status, 'pass', c.name);

  const ok = probes('delivered, every kind of probe, both families');
  t.same(ok.map((p) => `${p.proto}${p.name.includes('::') ? 6 : 4}`), ['udp4', 'icmp4', 'tcp4', 'udp6', 'icmp6', 'tcp6']);
  for (const p of ok) {
    t.equal(p.cause, null, `${p.name}: no cause when delivered`);
    t.same(p.path, ['a:eth0', 'b:eth0'], `${p.name}: request over eth0`);
    t.equal(p.prediction?.dev, 'eth0', `${p.name}: route get predicted eth0`);
    if (p.proto !== 'udp') t.same(p.reply?.path, ['b:eth0', 'a:eth0'], `${p.name}: the answer came back over eth0`);
  }
  const arp = ok[0]?.neighbour;
  t.equal(arp?.protocol, 'arp');
  t.same(arp?.askedOn, ['a:eth0'], 'a asked on eth0');
  t.same(arp?.answeredBy, ['b:eth0'], 'b answered from eth0');
  t.equal(arp?.entry?.owner, 'b:eth0', "the MAC in a's neighbour table is b:eth0's");
  t.equal(ok[3]?.neighbour?.protocol, 'nd', 'IPv6 resolves with neighbour discovery');
  t.equal(ok[3]?.neighbour?.entry?.owner, 'b:eth0');

  const cause = (name: string) => probes(name).map((p) => p.cause);
  t.same(cause('nobody answers ARP for an address nobody has'), ['NEIGH_FAILED']);
  t.same(cause('no route to a network nobody announced'), ['NO_ROUTE']);
  t.same(cause('nothing listens on the port'), ['NO_LISTENER', 'NO_LISTENER']);
  t.same(probes('nothing listens on the port')[1]?.reply?.path, ['b:eth0', 'a:eth0'], 'the RST came back');
  t.same(cause('strict rp_filter drops a source routed elsewhere'), ['RPFILTER']);
  t.same(cause('a source address the receiver owns is a martian'), ['MARTIAN_SOURCE']);
  t.same(cause('a firewall drops it'), ['FILTERED']);

  const rp = probes('strict rp_filter drops a source routed elsewhere')[0];
  t.ok(rp?.evidence.some((e) => /^nstat on b: .*TcpExtIPReversePathFilter \+1/.test(e)), 'the rp_filter counter moved on b');
  const martian = probes('a source address the receiver owns is a martian')[0];
  t.ok(martian?.evidence.includes('route get on b input (iif eth0): refused: Invalid argument'));
  t.match(probes('no route to a network nobody announced')[0]?.explanation, /Network is unreachable$/);
});
